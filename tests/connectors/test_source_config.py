"""Which source feeds which feed is configuration, and the graph downstream does not change."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ingestion.sources import assign_sources, feeds_by_source
from listenloop.cli import main
from listenloop.settings import Settings
from orchestration.defs import build_definitions

STORE = ("customers", "orders", "order_lines", "refunds", "checkouts")


def test_files_feed_everything_unless_configured() -> None:
    assert set(assign_sources(None).values()) == {"files"}
    assert set(assign_sources(" ").values()) == {"files"}


def test_a_source_alone_takes_every_feed_it_delivers_and_a_pair_wins_over_it() -> None:
    assigned = assign_sources("shopify, checkouts=files, calls=aircall")
    assert feeds_by_source(assigned) == {
        "files": ("checkouts", "surveys"),
        "shopify": ("customers", "orders", "order_lines", "refunds"),
        "aircall": ("calls",),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hubspot", "unknown source 'hubspot'"),
        ("payments=shopify", "unknown feed 'payments'"),
        ("orders=aircall", "aircall cannot deliver orders"),
        ("shopify,store_db", "customers is assigned to both shopify and store_db"),
        ("calls=aircall,calls=twilio", "calls is assigned to both aircall and twilio"),
    ],
)
def test_a_wrong_assignment_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assign_sources(text)


def test_the_command_line_names_a_wrong_setting_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LISTENLOOP_SOURCES", "shopfy")

    assert main(["run"]) == 2

    assert capsys.readouterr().err == (
        "listenloop: LISTENLOOP_SOURCES: unknown source 'shopfy' in 'shopfy'; sources are files,"
        " shopify, store_db, aircall, twilio\n"
    )


def _specs(tmp: Path, sources: str | None) -> dict[dg.AssetKey, dg.AssetSpec]:
    settings = Settings.from_env(
        feeds_dir=str(tmp / "feeds"),
        warehouse=tmp / f"{(sources or 'files').replace(',', '_')}.duckdb",
        sources=assign_sources(sources),
    )
    defs = build_definitions(settings)
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_each_source_is_one_group_and_the_lineage_downstream_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No credential is set anywhere: the definitions must load without them.
    for name in ("ACCESS_TOKEN", "SHOP_URL"):
        monkeypatch.delenv(f"SOURCES__SHOPIFY__{name}", raising=False)
    files = _specs(tmp_path, None)
    mixed = _specs(tmp_path, "shopify,calls=aircall")

    assert set(files) == set(mixed)
    raw = {key for key in mixed if key.path[0] == "raw"}
    groups = {key.path[-1]: mixed[key].group_name for key in raw}
    assert groups == {
        **dict.fromkeys(STORE, "ingestion_shopify"),
        "calls": "ingestion_aircall",
        "surveys": "ingestion",
    }
    assert "shopify" in mixed[dg.AssetKey(["raw", "orders"])].kinds
    for key, spec in files.items():
        if key not in raw:
            assert {d.asset_key for d in spec.deps} == {d.asset_key for d in mixed[key].deps}
            assert spec.group_name == mixed[key].group_name
