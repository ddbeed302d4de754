"""The code location loads from the prepared manifest, and the graph has no loose ends."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.contract import FEEDS
from ingestion.sources import SOURCES
from listenloop.settings import PROJECT_ROOT, Settings
from orchestration.defs import build_definitions
from orchestration.defs.dbt_models import _preview
from orchestration.defs.ownership import ASSET_GROUPS, group_descriptions
from orchestration.lineage_diagram import mermaid

RAW_KEYS = {dg.AssetKey(["raw", feed.name]) for feed in FEEDS}


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    tmp = tmp_path_factory.mktemp("defs")
    settings = Settings.from_env(feeds_dir=str(tmp / "feeds"), warehouse=tmp / "w.duckdb")
    return build_definitions(settings)


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_asset_keys_cover_feeds_staging_and_marts(defs: dg.Definitions) -> None:
    keys = set(_specs(defs))
    assert keys >= RAW_KEYS
    assert dg.AssetKey(["staging", "stg_telephony__calls"]) in keys
    assert dg.AssetKey(["marts", "mart_call_outcomes_daily"]) in keys


def test_every_dependency_is_an_asset_of_this_location(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    for spec in specs.values():
        for dep in spec.deps:
            assert dep.asset_key in specs, f"{spec.key} depends on unknown {dep.asset_key}"


def test_each_feed_asset_feeds_its_staging_model(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    upstream_of_staging = {
        dep.asset_key
        for key, spec in specs.items()
        if key.path[-1].startswith("stg_")
        for dep in spec.deps
    }
    assert upstream_of_staging >= RAW_KEYS


def test_groups_owners_kinds_and_descriptions(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    assert {spec.group_name for spec in specs.values()} <= {
        "ingestion",
        "staging",
        "segments",
        "outcomes",
        "serving",
    }
    assert {specs[k].group_name for k in RAW_KEYS} == {"ingestion"}
    assert specs[dg.AssetKey(["marts", "mart_call_outcomes_daily"])].group_name == "outcomes"
    for spec in specs.values():
        assert spec.owners, spec.key
        assert spec.description, spec.key
        assert spec.kinds, spec.key


def test_nightly_schedule_runs_everything_at_two(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("nightly_build")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    job = defs.resolve_job_def("build_everything")
    assert set(job.asset_layer.executable_asset_keys) == set(_specs(defs))


def test_loading_does_not_run_dbt(tmp_path: Path) -> None:
    # A manifest prepared ahead means no dbt subprocess at load time: no warehouse file appears.
    settings = Settings.from_env(feeds_dir=str(tmp_path / "feeds"), warehouse=tmp_path / "w.duckdb")
    build_definitions(settings).resolve_all_asset_specs()
    assert not (tmp_path / "w.duckdb").exists()


def test_readme_shows_the_current_asset_graph(defs: dg.Definitions) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert shown == mermaid(defs), (
        "regenerate with: .venv/bin/python -m orchestration.lineage_diagram"
    )


def test_raw_feeds_show_the_contract_columns(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    for feed in FEEDS:
        schema = specs[dg.AssetKey(["raw", feed.name])].metadata["dagster/column_schema"]
        assert [column.name for column in schema.columns] == list(feed.column_names)
    refunds = specs[dg.AssetKey(["raw", "refunds"])].metadata["dagster/column_schema"]
    by_name = {column.name: column for column in refunds.columns}
    assert (by_name["amount"].type, by_name["amount"].constraints.nullable) == (
        "DECIMAL(18,4)",
        True,
    )
    assert (by_name["refund_id"].type, by_name["refund_id"].constraints.nullable) == (
        "VARCHAR",
        False,
    )


def test_mart_preview_is_the_first_five_rows(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.m as select range as n, 'row ' || range as label from range(8)"
        )
        text = _preview(con, "marts", "m").value
    lines = text.splitlines()
    assert len(lines) == 2 + 5  # header, rule, five rows
    assert "label" in lines[0] and "row 4" in lines[-1] and "row 5" not in text


def test_every_group_is_described_in_the_definitions_and_the_readme(
    defs: dg.Definitions,
) -> None:
    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups == set(ASSET_GROUPS)
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for group, description in ASSET_GROUPS.items():
        assert defs.metadata[f"asset group: {group}"].value == description
    # The README also describes the group of every connector, in use or not.
    for group, description in group_descriptions(SOURCES).items():
        assert f"| `{group}` | {description} |" in readme
