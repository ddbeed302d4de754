"""A failing blocking check stops everything downstream, and `listenloop run` says so."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from listenloop.cli import main
from listenloop.serving import PiiPolicy, publish
from listenloop.settings import Settings
from orchestration.defs import build_definitions
from orchestration.defs.serving import PUBLISH_KEY
from orchestration.instance import open_instance
from tests.serving.warehouses import make_warehouse

CUSTOMERS = "customer_id,phone,country,created_at\nC1,+14155550132,US,2026-01-01T08:00:00Z\n"
CALLS = (
    "call_id,customer_id,direction,started_at,ended_at,disposition,talk_seconds\n"
    "CL1,C1,outbound,2026-01-02T10:00:00Z,2026-01-02T10:03:00Z,connected,170\n"
    # ends a minute before it starts: the log's clock is broken
    "CL2,C1,outbound,2026-01-02T11:00:00Z,2026-01-02T10:59:00Z,connected,60\n"
)


def test_broken_call_log_blocks_the_marts_and_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = tmp_path / "feeds"
    for feed, text in (("customers", CUSTOMERS), ("calls", CALLS)):
        (feeds / feed).mkdir(parents=True)
        (feeds / feed / "2026-01-02.csv").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    warehouse = tmp_path / "warehouse.duckdb"
    # yesterday's serving copy, beside the warehouse where the build publishes
    publish(make_warehouse(tmp_path / "yesterday.duckdb", build=1, carts=3), tmp_path, PiiPolicy())
    yesterday = _digests(tmp_path)

    exit_code = main(["run", "--feeds", str(feeds), "--warehouse", str(warehouse)])

    summary = capsys.readouterr().out
    assert exit_code == 1
    assert "FAILED" in summary.splitlines()[0]
    assert "BLOCKING: staging/stg_telephony__calls / calls_end_after_they_start" in summary
    # the failed step says why, node by node, as the failure alert does
    assert "failed step: listenloop_dbt_models: dbt build failed: 1 node(s) failed" in summary
    assert "test.listenloop.calls_end_after_they_start" in summary
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(loaded,)] = con.execute("select count(*) from raw.calls").fetchall()
        built = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    assert loaded == 2
    assert "mart_call_outcomes_daily" not in built
    # nothing was published: BI tools still read yesterday's marts
    assert "BI tools:  nothing published, the serving copy is unchanged" in summary
    assert _digests(tmp_path) == yesterday
    # A later run that does not rebuild the marts (as the intraday refresh) publishes nothing
    # either: the latest run of a blocking check on a served asset failed.
    settings = Settings.from_env(feeds_dir=str(feeds), warehouse=warehouse)
    publish_step = build_definitions(settings).get_assets_def(PUBLISH_KEY)
    with open_instance(settings) as instance:
        result = dg.materialize([publish_step], instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "calls_end_after_they_start" in str(failure.step_failure_data.error)
    assert _digests(tmp_path) == yesterday


def _digests(serving_dir: Path) -> dict[str, str]:
    files = [serving_dir / "serving.duckdb", *sorted((serving_dir / "serving").iterdir())]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
