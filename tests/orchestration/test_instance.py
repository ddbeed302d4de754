"""The Dagster instance: its storage, its history across restarts, one warehouse writer at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from ingestion.contract import FEEDS, FILE_LOG_TABLE, FILE_SUFFIXES, RAW_DATASET
from ingestion.pipeline import make_pipeline
from listenloop.generator import generate
from listenloop.settings import PROJECT_ROOT, Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.instance import (
    PG_PART_VARS,
    PG_SCHEME,
    PG_URL_VAR,
    open_instance,
    render_instance_yaml,
)
from tests.orchestration.feed_writer import materialize_feeds
from tests.services import PG_SERVER, postgres_scratch_database

RAW_KEYS = {dg.AssetKey([RAW_DATASET, feed.name]) for feed in FEEDS}
FEED_STEP = "raw_feeds"
FEED_WRITER = Path(__file__).with_name("feed_writer.py")


@pytest.fixture(autouse=True)
def _no_postgres_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test chooses its storage; a developer's own DAGSTER_PG_* must not leak in.
    for var in (PG_URL_VAR, *PG_PART_VARS.values()):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("instance") / "feeds"
    generate(out, 300, 10, 42, None)
    return out


def _feed_file_count(feeds: Path) -> int:
    return sum(1 for f in feeds.glob("*/**/*") if f.is_file() and f.suffix in FILE_SUFFIXES)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A database of its own for this test, dropped afterwards; yields its name."""
    with postgres_scratch_database("listenloop_instance") as name:
        yield name


def test_default_instance_keeps_sqlite_history_under_dagster_home(tmp_path: Path) -> None:
    settings = Settings.from_env(dagster_home=tmp_path / "home", warehouse=tmp_path / "w.duckdb")
    with open_instance(settings) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "SqliteScheduleStorage"
        assert (tmp_path / "home" / "history" / "runs.db").exists()
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        pools = instance.get_concurrency_config().pool_config
        assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60


def test_rendered_file_names_the_variables_not_the_password() -> None:
    url = f"{PG_SCHEME}://dagster:s3cret@db.internal:5432/dagster"
    by_url = render_instance_yaml({PG_URL_VAR: url})
    assert "s3cret" not in by_url
    assert f"postgres_url:\n      env: {PG_URL_VAR}" in by_url

    parts = {"DAGSTER_PG_HOST": "db", "DAGSTER_PG_DB": "d", "DAGSTER_PG_USERNAME": "u"}
    by_parts = render_instance_yaml({**parts, "DAGSTER_PG_PASSWORD": "s3cret"})
    assert "s3cret" not in by_parts
    assert "env: DAGSTER_PG_PASSWORD" in by_parts
    assert "DAGSTER_PG_PORT" not in by_parts  # unset: Dagster's default port
    assert f"scheme: {PG_SCHEME}" in by_parts


def test_a_url_without_the_driver_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match=r"must start with postgresql\+psycopg2://") as refused:
        render_instance_yaml({PG_URL_VAR: "postgresql://dagster:s3cret@db.internal/dagster"})
    assert "s3cret" not in str(refused.value)


def test_postgres_parts_without_host_database_or_user_are_refused() -> None:
    with pytest.raises(ValueError, match="DAGSTER_PG_HOST, DAGSTER_PG_DB, DAGSTER_PG_USERNAME"):
        render_instance_yaml({"DAGSTER_PG_PASSWORD": "secret"})


def _pg_rows(database: str, query: str) -> list[tuple]:
    with psycopg2.connect(dbname=database, **PG_SERVER) as con, con.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    con.close()
    return rows


@pytest.mark.services
def test_postgres_history_survives_a_restart(
    tmp_path: Path, feeds: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = f"{PG_SERVER['user']}@{PG_SERVER['host']}:{PG_SERVER['port']}"
    monkeypatch.setenv(PG_URL_VAR, f"{PG_SCHEME}://{server}/{pg_database}")
    home = tmp_path / "home"
    settings = Settings.from_env(
        feeds_dir=str(feeds), warehouse=tmp_path / "w.duckdb", dagster_home=home
    )
    with open_instance(settings) as instance:
        result = materialize_feeds(settings, instance)
    assert result.success

    def assert_history(instance: dg.DagsterInstance) -> None:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        runs = instance.get_runs()
        assert [(r.run_id, r.status) for r in runs] == [
            (result.run_id, dg.DagsterRunStatus.SUCCESS)
        ]
        materialized = instance.all_logs(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
        assert sorted(e.asset_materialization.asset_key for e in materialized) == sorted(RAW_KEYS)
        for key in RAW_KEYS:
            assert instance.get_latest_materialization_event(key).run_id == result.run_id
        # The warehouse slot was claimed and released through PostgreSQL's concurrency tables.
        pools = instance.event_log_storage.get_pool_limits()
        assert [(p.name, p.limit, p.from_default) for p in pools] == [(WAREHOUSE_POOL, 1, True)]
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots == []

    # A new process would do exactly this: read $DAGSTER_HOME/dagster.yaml afresh.
    with dg.DagsterInstance.from_config(str(home)) as restarted:
        assert_history(restarted)

    # The same database named by Dagster's usual variables instead of the URL.
    monkeypatch.delenv(PG_URL_VAR)
    for var, value in (
        ("DAGSTER_PG_HOST", PG_SERVER["host"]),
        ("DAGSTER_PG_PORT", str(PG_SERVER["port"])),
        ("DAGSTER_PG_USERNAME", PG_SERVER["user"]),
        ("DAGSTER_PG_DB", pg_database),
    ):
        monkeypatch.setenv(var, value)
    with open_instance(settings) as by_parts:
        assert_history(by_parts)

    # Nothing went to SQLite: the history is in that database, and only there.
    assert not (home / "history").exists()
    assert not (home / "schedules").exists()
    assert _pg_rows(pg_database, "select count(*) from runs") == [(1,)]
    assert _pg_rows(
        pg_database,
        "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'",
    ) == [(len(RAW_KEYS),)]
    tables = {t for (t,) in _pg_rows(pg_database, "select tablename from pg_tables")}
    assert {"runs", "event_logs", "concurrency_limits", "instigators", "job_ticks"} <= tables


def _step_window(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float]:
    events = {
        e.dagster_event_type: e.timestamp
        for e in instance.all_logs(run_id)
        if e.step_key == FEED_STEP and e.is_dagster_event
    }
    return events[dg.DagsterEventType.STEP_START], events[dg.DagsterEventType.STEP_SUCCESS]


def _blocked_steps(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Steps of the run that found the warehouse pool full and waited for its slot."""
    return [
        e.step_key or ""
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        if e.message == f"Step blocked by limit for pool {WAREHOUSE_POOL}"
    ]


def test_two_materializations_take_turns_at_the_warehouse(
    tmp_path: Path, feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fresh modification times: the second run re-reads every file, so both runs write.
    other_feeds = tmp_path / "other_feeds"
    shutil.copytree(feeds, other_feeds, copy_function=shutil.copy)
    warehouse = tmp_path / "w.duckdb"
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("LISTENLOOP_WAREHOUSE", str(warehouse))
    settings = Settings.from_env()
    open_instance(settings).dispose()  # renders dagster.yaml before both processes read it
    # dlt creates its working folder beside the warehouse when the definitions load, wiping any
    # folder without a state file: two processes loading at the same instant on a new warehouse
    # would wipe each other's (a race of code loading, outside any pool). Create it once first.
    make_pipeline(warehouse)

    processes = [
        subprocess.Popen(
            [sys.executable, str(FEED_WRITER)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "LISTENLOOP_FEEDS_DIR": str(folder)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for folder in (feeds, other_feeds)
    ]
    outputs = [process.communicate(timeout=240)[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
        assert "Could not set lock" not in output

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        first, second = sorted(runs, key=lambda r: _step_window(instance, r.run_id))
        first_window = _step_window(instance, first.run_id)
        second_window = _step_window(instance, second.run_id)
        assert first_window[1] <= second_window[0], (first_window, second_window)
        # They did meet: the second asked for the slot while the first held it, and waited.
        assert _blocked_steps(instance, first.run_id) == []
        assert _blocked_steps(instance, second.run_id) == [FEED_STEP]

    files = _feed_file_count(feeds)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = con.execute(
            f"select count(*) from {RAW_DATASET}.{FILE_LOG_TABLE} group by load_id"
        ).fetchall()
    assert loads == [(files,), (files,)]
