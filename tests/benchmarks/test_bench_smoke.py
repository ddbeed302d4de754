"""`make bench` end to end at a tiny scale: every stage reported, with the warehouse's own counts.

No timing is asserted: only that each stage ran, and that the rows reported are the rows there;
the nightly run after the last day arrives at the full rebuild's warehouse, with the vars the
nightly schedule's run would pass.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from benchmarks.feeds import Scale, ensure_feeds
from benchmarks.report_nightly import NIGHTLY_HEADER
from benchmarks.run import main, report_paths
from benchmarks.stages import STAGES, RunPaths
from ingestion.contract import FEEDS
from listenloop.settings import DBT_PROJECT_DIR, Settings
from orchestration.defs.schedules import build_schedules

pytestmark = pytest.mark.slow

SCALE = Scale(customers=300, days=20, seed=7)
# The generator starts on 2026-07-01: 20 days end on 2026-07-20, so the lists go up to the 21st.
LAST_DAY, AS_OF_DATE = "2026-07-20", "2026-07-21"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    argv = ["--customers", "300", "--days", "20", "--seed", "7", "--out", str(out)]
    assert main(argv) == 0
    markdown, report = report_paths(out, SCALE)
    text = markdown.read_text(encoding="utf-8")
    assert "| stage | seconds | rows | rows/s | peak MB | baseline seconds | ratio |" in text
    assert f"### Nightly run after one new day ({LAST_DAY})" in text
    assert NIGHTLY_HEADER in text
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


def test_nightly_run_is_measured_against_the_full_rebuild(
    bench: tuple[Path, dict[str, Any]],
) -> None:
    _, report = bench
    nightly = report["nightly"]
    files = [p for p in Path(report["feeds"]["path"]).glob("*/*") if p.is_file()]
    new = [p for p in files if p.stem == LAST_DAY]
    assert (
        nightly["files"]
        == {"before": len(files) - len(new), "new": len(new)}
        == {
            "before": 113,
            "new": 6,  # no refund on the last day
        }
    )
    assert (nightly["new_day"], nightly["as_of_date"]) == (LAST_DAY, AS_OF_DATE)
    full = {s["stage"]: s for s in report["stages"]}
    assert [s["stage"] for s in nightly["stages"]] == list(STAGES)
    for stage in nightly["stages"]:
        assert stage["seconds"] > 0 and stage["peak_mb"] > 0, stage
        assert stage["full_seconds"] == full[stage["stage"]]["seconds"]
        assert stage["full_peak_mb"] == full[stage["stage"]]["peak_mb"]
        # the report rounds the seconds it shows, and computes the ratio from the unrounded ones
        ratio = stage["seconds"] / stage["full_seconds"]
        assert stage["ratio"] == pytest.approx(ratio, abs=0.001)
    total = nightly["total"]
    assert total["seconds"] == pytest.approx(sum(s["seconds"] for s in nightly["stages"]))
    assert total["full_seconds"] == pytest.approx(sum(s["seconds"] for s in report["stages"]))
    assert total["ratio"] == pytest.approx(total["seconds"] / total["full_seconds"], abs=0.001)
    assert [s["stage"] for s in nightly["setup"]] == ["ingest", "build"]
    # The same tests ran over the same warehouse: they found the same.
    assert nightly["checks"] == report["checks"]["listenloop"]


def test_nightly_vars_are_those_of_the_nightly_schedule(
    bench: tuple[Path, dict[str, Any]],
) -> None:
    _, report = bench
    [schedule, _] = build_schedules(Settings.from_env())
    tick = f"{AS_OF_DATE}T02:00:00+00:00"
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime.fromisoformat(tick)
        )
        [request] = schedule.evaluate_tick(context).run_requests or []
    assert report["nightly"]["dbt_vars"] == {
        "partition_start_date": request.tags["dagster/asset_partition_range_start"],
        "partition_end_date": request.tags["dagster/asset_partition_range_end"],
        "rebuild_partitions": False,
    }


def test_nightly_warehouse_equals_the_full_rebuild(bench: tuple[Path, dict[str, Any]]) -> None:
    out, report = bench
    full = RunPaths(out / f"run-{SCALE.label}")
    nightly = RunPaths(full.root / "nightly")
    counts = {}
    for paths in (full, nightly):
        with duckdb.connect(str(paths.listenloop_warehouse), read_only=True) as con:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_type = 'BASE TABLE' and table_schema in ('segments', 'marts')"
            ).fetchall()
            counts[paths] = {f"{s}.{t}": count(con, f'"{s}"."{t}"') for s, t in tables}
    assert counts[nightly] == counts[full]
    assert sum(counts[full].values()) > 0
    compared = {t["relation"]: t for t in report["nightly"]["tables"]}
    for relation, rows in counts[full].items():
        assert (compared[relation]["full_rows"], compared[relation]["nightly_rows"]) == (rows, rows)
    # every raw feed table, and every table the build materializes, compared
    build = json.loads(nightly.manifest("build").read_text(encoding="utf-8"))
    models = [
        n for n in build["nodes"].values()
        if n["resource_type"] == "model"
        and n["config"]["materialized"] in ("table", "incremental")
    ]  # fmt: skip
    assert report["nightly"]["tables_compared"] == len(FEEDS) + len(models)
    assert report["nightly"]["tables_differing"] == []
    assert all(t["same_rows"] for t in report["nightly"]["tables"])
