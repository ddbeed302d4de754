"""The docs are part of the product: they must name what the code does."""

from __future__ import annotations

import re

from ingestion.contract import FEEDS
from listenloop.settings import PROJECT_ROOT


def test_data_contract_lists_every_feed_column() -> None:
    text = (PROJECT_ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for feed in FEEDS:
        row = re.search(rf"^\| {feed.name} \|(.*)$", text, flags=re.MULTILINE)
        assert row, f"docs/data-contract.md has no row for {feed.name}"
        documented = set(re.findall(r"[a-z_]+", row.group(1)))
        missing = set(feed.column_names) - documented
        assert not missing, f"{feed.name}: {sorted(missing)} undocumented"
        for column in feed.columns:
            if column.required:
                assert f"**{column.name}**" in row.group(1), f"{feed.name}.{column.name}"


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    settings_code = (PROJECT_ROOT / "listenloop" / "settings.py").read_text(encoding="utf-8")
    for variable in set(re.findall(r'"((?:LISTENLOOP|DAGSTER)_[A-Z_]+)"', settings_code)):
        assert f"`{variable}`" in readme, variable


def test_metrics_doc_defines_every_mart() -> None:
    metrics = (PROJECT_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    marts = sorted((PROJECT_ROOT / "dbt_project" / "models" / "marts").rglob("mart_*.sql"))
    assert len(marts) == 8
    for mart in marts:
        assert f"## `marts.{mart.stem}`" in metrics, (
            f"docs/metrics.md has no section for {mart.stem}"
        )
