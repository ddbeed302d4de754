"""`make bench` end to end at a tiny scale: every stage reported, with the warehouse's own counts.

No timing is asserted: only that each stage ran, and that the rows reported are the rows there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks.feeds import Scale, ensure_feeds
from benchmarks.run import main, report_paths
from benchmarks.stages import STAGES, RunPaths
from ingestion.contract import FEEDS
from listenloop.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow

SCALE = Scale(customers=300, days=20, seed=7)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    argv = ["--customers", "300", "--days", "20", "--seed", "7", "--out", str(out)]
    assert main(argv) == 0
    markdown, report = report_paths(out, SCALE)
    assert "| stage | seconds | rows | rows/s | peak MB | baseline seconds | ratio |" in (
        markdown.read_text(encoding="utf-8")
    )
    return out, json.loads(report.read_text(encoding="utf-8"))


def rows_by_stage(report: dict[str, Any], key: str) -> dict[str, int]:
    return {s["stage"]: s[key] for s in report["stages"]}


def count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return con.execute(f"select count(*) from {relation}").fetchone()[0]


def test_every_stage_is_measured(bench: tuple[Path, dict[str, Any]]) -> None:
    _, report = bench
    assert [s["stage"] for s in report["stages"]] == list(STAGES)
    for stage in report["stages"]:
        for key in ("seconds", "rows", "peak_mb", "baseline_seconds", "baseline_peak_mb"):
            assert stage[key] > 0, (stage["stage"], key)
    assert report["feeds"]["generated"] is True
    assert report["checks"]["listenloop"]["tests"] == report["checks"]["baseline"]["tests"] > 0


def test_rows_are_the_listenloop_warehouse_counts(bench: tuple[Path, dict[str, Any]]) -> None:
    out, report = bench
    paths = RunPaths(out / f"run-{SCALE.label}")
    seeds = {p.stem for p in (DBT_PROJECT_DIR / "seeds").glob("*.csv")}
    manifest = json.loads(paths.manifest("checks").read_text(encoding="utf-8"))
    relations = {
        uid: node["relation_name"]
        for uid, node in [*manifest["nodes"].items(), *manifest["sources"].items()]
    }
    with duckdb.connect(str(paths.listenloop_warehouse), read_only=True) as con:
        raw = sum(count(con, f"raw.{feed.name}") for feed in FEEDS)
        model_tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_schema not like 'raw%'"
        ).fetchall()
        built = sum(count(con, f'"{s}"."{t}"') for s, t in model_tables if t not in seeds)
        scanned = sum(
            count(con, relations[uid])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "test"
            for uid in node["depends_on"]["nodes"]
        )
    assert rows_by_stage(report, "rows") == {"ingest": raw, "build": built, "checks": scanned}


def test_baseline_does_the_same_work(bench: tuple[Path, dict[str, Any]]) -> None:
    _, report = bench
    assert rows_by_stage(report, "baseline_rows") == rows_by_stage(report, "rows")
    checks = report["checks"]
    assert (
        checks["baseline"]["tests_returning_rows"] == checks["listenloop"]["tests_returning_rows"]
    )


def test_feeds_at_the_same_scale_are_reused(bench: tuple[Path, dict[str, Any]]) -> None:
    out, report = bench
    assert ensure_feeds(out, SCALE) == (Path(report["feeds"]["path"]), None)
