"""Processes that load the Dagster definitions at once against a new warehouse.

Every process that loads the definitions (webserver, daemon, each run worker) builds the dlt
pipeline, and a dlt pipeline that finds no state in its working folder wipes and re-creates the
folder; so does the drop() that dagster-dlt makes before every run. These are real processes
started together: one goes on to run the feeds as a Dagster run does, while the others keep
loading the definitions until it is done.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import duckdb
from synthetic_feeds import expected_rows, write_synthetic_feeds

from ingestion.contract import FILE_LOG_TABLE, RAW_DATASET
from ingestion.feeds_source import feeds_source, make_pipeline

PROCESSES = 4
ROUNDS = 3
DAYS = 1
MAX_RELOADS = 500  # bounds the reloading processes should the loading one hang


def _start_up(
    warehouse: str, feeds: str | None, ready: Queue, go: Event, done: Event, results: Queue
) -> None:
    """One process: build the pipeline when told to; then run `feeds` if given, else rebuild."""
    ready.put(None)
    go.wait()
    try:
        pipeline = make_pipeline(Path(warehouse))
        if feeds:
            # What DagsterDltResource.run does: drop the local state, then run.
            pipeline.drop()
            pipeline.run(feeds_source(feeds)).raise_on_failed_jobs()
        else:
            for _ in range(MAX_RELOADS):
                if done.is_set():
                    break
                make_pipeline(Path(warehouse))
        results.put("ok")
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")
    finally:
        if feeds:
            done.set()


def _start_together(warehouse: Path, feeds: Path) -> list[str]:
    # spawn, not fork: each process imports dlt afresh, as a new Dagster process does.
    ctx = multiprocessing.get_context("spawn")
    ready, go, done, results = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    processes = [
        ctx.Process(
            target=_start_up,
            args=(str(warehouse), str(feeds) if i == 0 else None, ready, go, done, results),
        )
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=120)
        go.set()
        outcomes = [results.get(timeout=300) for _ in processes]
    finally:
        done.set()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return outcomes


def _loaded_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*) FROM {RAW_DATASET}.{table}").fetchall()[0][0]
            for table in [*expected_rows(DAYS), FILE_LOG_TABLE]
        }


def test_processes_starting_together_on_a_new_warehouse_all_start_and_the_load_completes(
    tmp_path: Path,
) -> None:
    feeds = tmp_path / "feeds"
    write_synthetic_feeds(feeds, days=DAYS)
    files = sum(1 for path in feeds.rglob("*") if path.is_file())
    for round_ in range(ROUNDS):
        warehouse = tmp_path / f"round{round_}" / "warehouse.duckdb"
        assert _start_together(warehouse, feeds) == ["ok"] * PROCESSES, f"round {round_}"
        assert _loaded_rows(warehouse) == {**expected_rows(DAYS), FILE_LOG_TABLE: files}
        # The working folder kept the run's local state, and a next run finds nothing new.
        pipeline = make_pipeline(warehouse)
        assert pipeline.default_schema_name is not None, f"round {round_}"
        assert pipeline.run(feeds_source(str(feeds))).loads_ids == []
