"""The dlt pipeline that loads the feeds into the warehouse, and the per-feed counts of a load."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.pipeline import LoadInfo
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from filelock import FileLock, Timeout

from ingestion.contract import FILE_LOG_TABLE, QUARANTINE_TABLE, RAW_DATASET

PIPELINE_NAME = "listenloop_feeds"
# How long building the pipeline waits for a run in another process that has just dropped the
# working folder and not yet saved its state (see _LockedPipeline.drop).
LOCK_TIMEOUT_SECONDS = 1800.0
_LOCK_POLL_SECONDS = 1.0
# In the working folder while a run holds the lock (a killed run's stale marker is harmless: it
# is only read while the lock is held).
RUNNING_MARKER = "listenloop_run_in_progress"


def make_pipeline(
    warehouse: Path,
    pipeline_name: str = PIPELINE_NAME,
    duckdb_config: Mapping[str, str] | None = None,
) -> dlt.Pipeline:
    """A pipeline loading into the DuckDB file `warehouse`, dataset `raw`, with the DuckDB
    options `duckdb_config` (Settings.duckdb_config: the memory limit and spill folder).

    Each source has its own pipeline (`pipeline_name`), so each keeps its own state: file
    fingerprints, API cursors. Its working state sits beside the warehouse, so two warehouses
    never share it. The contract resources themselves pin the parquet loader file format.
    """
    warehouse = Path(warehouse).resolve()
    pipelines_dir = warehouse.parent / ".dlt_pipelines"
    lock = _working_folder_lock(pipelines_dir, pipeline_name)
    folder = pipelines_dir / pipeline_name
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while True:
        try:
            with lock.acquire(timeout=_LOCK_POLL_SECONDS):
                return _pipeline(warehouse, pipelines_dir, pipeline_name, duckdb_config)
        except Timeout:
            # A run holds the lock from its drop() to its end. Once it has saved its state, its
            # folder is only attached to, never wiped, so the definitions need not wait longer.
            if (folder / RUNNING_MARKER).exists() and (folder / "state.json").exists():
                return _pipeline(warehouse, pipelines_dir, pipeline_name, duckdb_config)
            if time.monotonic() > deadline:
                raise


def _pipeline(
    warehouse: Path,
    pipelines_dir: Path,
    pipeline_name: str,
    duckdb_config: Mapping[str, str] | None,
) -> dlt.Pipeline:
    # Global options are set once on each connection dlt opens; its load sessions inherit them.
    credentials = DuckDbCredentials(str(warehouse), global_config=dict(duckdb_config or {}))
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=RAW_DATASET,
        pipelines_dir=str(pipelines_dir),
        progress=None,
        _impl_cls=_LockedPipeline,
    )


class _LockedPipeline(dlt.Pipeline):
    """A dlt pipeline whose drop() holds off other processes building it until its run ends."""

    _held: FileLock | None = None

    def drop(self, pipeline_name: str | None = None) -> dlt.Pipeline:
        # dagster-dlt drops the pipeline right before every run (DagsterDltResource._run). The
        # folder then has no state.json until the run saves one, and a process building the
        # pipeline meanwhile would wipe the folder under the run: the lock is kept until run()
        # returns.
        lock = _working_folder_lock(Path(self.pipelines_dir), pipeline_name or self.pipeline_name)
        lock.acquire(timeout=LOCK_TIMEOUT_SECONDS)
        try:
            dropped = super().drop(pipeline_name)
            (Path(self.working_dir) / RUNNING_MARKER).touch()
        except BaseException:
            lock.release()
            raise
        self._release_held()
        self._held = lock
        return dropped

    def run(self, *args: Any, **kwargs: Any) -> LoadInfo:
        try:
            return super().run(*args, **kwargs)
        finally:
            self._release_held()

    def _release_held(self) -> None:
        if self._held is not None:
            (Path(self.working_dir) / RUNNING_MARKER).unlink(missing_ok=True)
            self._held.release()
            self._held = None


def _working_folder_lock(pipelines_dir: Path, pipeline_name: str) -> FileLock:
    """An inter-process lock for creating, attaching to or dropping the pipeline's working folder.

    Every process that loads the definitions (webserver, daemon, each run worker) builds the
    pipeline. A dlt pipeline that finds no state.json in its working folder wipes the folder and
    creates it anew (Pipeline._configure -> _create_pipeline; drop() does the same). Without the
    lock, processes building a pipeline on a new warehouse at once crash (FileExistsError,
    "Directory not empty"), and one that builds it just after a run's drop() wipes the folder
    under that run's load. The lock file sits beside the working folder, which the wipe deletes.
    """
    pipelines_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(pipelines_dir / f"{pipeline_name}.lock")


def feed_counts(
    con: duckdb.DuckDBPyConnection, feed: str, load_id: str | None = None
) -> dict[str, Any]:
    """Files and rows of `feed` as last read (or as read by the load `load_id`), for metadata.

    rows_read = rows_loaded + rows_quarantined; files_rejected counts files that could not be read
    at all (each one quarantined as source_row 0), and refused_files gives each one's reason.
    """
    if not has_raw_table(con, FILE_LOG_TABLE):
        return _counts_of([], [])
    scope = (
        "AND load_id = ?"
        if load_id
        else "QUALIFY load_id = max(load_id) OVER (PARTITION BY source_file)"
    )
    params = [feed, load_id] if load_id else [feed]
    files = con.execute(
        f"""
        SELECT rows_read, rows_loaded, rows_quarantined, extra_columns, file_error, source_file
        FROM {RAW_DATASET}.{FILE_LOG_TABLE}
        WHERE feed = ? {scope}""",
        params,
    ).fetchall()
    by_field = []
    if has_raw_table(con, QUARANTINE_TABLE):
        in_load = (
            f"AND source_file IN (SELECT source_file FROM {RAW_DATASET}.{FILE_LOG_TABLE}"
            " WHERE load_id = ?)"
            if load_id
            else ""
        )
        by_field = con.execute(
            f"""
            SELECT CASE WHEN source_row = 0 THEN '(unreadable file)'
                        ELSE coalesce(field, '(unparsable record)') END,
                   count(*)
            FROM {RAW_DATASET}.{QUARANTINE_TABLE}
            WHERE feed = ? {in_load}
            GROUP BY ALL ORDER BY 2 DESC, 1""",
            params,
        ).fetchall()
    return _counts_of(files, by_field)


def _counts_of(files: list[tuple], by_field: list[tuple]) -> dict[str, Any]:
    extras = sorted({name for f in files if f[3] for name in f[3].split(";")})
    return {
        "files": len(files),
        "files_rejected": sum(1 for f in files if f[4]),
        "refused_files": {f[5]: f[4] for f in sorted(files, key=lambda f: f[5]) if f[4]},
        "rows_read": sum(f[0] for f in files),
        "rows_loaded": sum(f[1] for f in files),
        "rows_quarantined": sum(f[2] for f in files),
        "extra_columns": extras,
        "quarantined_by_field": dict(by_field),
    }


def has_raw_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the `raw` dataset holds `table` (a first load creates them)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [RAW_DATASET, table],
    ).fetchone()
    return bool(found and found[0])
