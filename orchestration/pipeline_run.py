"""Materialize the whole asset graph in-process, as `listenloop run` and `make demo` do."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from ingestion.contract import FILE_LOG_TABLE, QUARANTINE_TABLE, RAW_DATASET
from ingestion.pipeline import has_raw_table
from listenloop.serving import serving_paths
from listenloop.settings import Settings
from orchestration.defs import build_definitions
from orchestration.defs.dbt_models import prepare_manifest
from orchestration.defs.partitions import program_day, range_tags
from orchestration.defs.serving import PUBLISH_KEY
from orchestration.instance import open_instance
from orchestration.orphaned_runs import fail_orphaned_runs, process_tag

MART_SCHEMA = "marts"
SEGMENT_SCHEMA = "segments"


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool


@dataclass(frozen=True)
class FilesRead:
    """What this run's ingestion read: every file (or page, or batch) it read and its rows."""

    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # source file -> why it was refused


@dataclass
class RunReport:
    run_id: str
    success: bool
    warehouse: Path
    log_file: Path
    published_to: Path | None = None  # the serving copy, when this run published one
    checks: list[CheckOutcome] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    raw_rows: dict[str, int] = field(default_factory=dict)
    segment_rows: dict[str, int] = field(default_factory=dict)
    mart_rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    orphaned_runs: list[str] = field(default_factory=list)  # killed runs this run marked failed
    files_read: FilesRead = field(default_factory=FilesRead)

    @property
    def failed_blocking_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.blocking and not c.passed]

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_blocking_checks


def run_pipeline(settings: Settings) -> RunReport:
    settings.export_env()
    prepare_manifest()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("build_everything")
    log_file = settings.warehouse.parent / "logs" / "listenloop-run.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # dlt names a load after the time it started: this run's loads are those named after now.
    started = time.time()
    # The summary is the console output. dbt's progress goes to the log file, and every event
    # stays in the Dagster instance for the UI.
    with log_file.open("w") as log, contextlib.redirect_stdout(log):
        instance = open_instance(settings)
        orphaned = fail_orphaned_runs(instance)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags=every_partition_up_to_as_of(settings) | process_tag(),
        )
    report = RunReport(
        run_id=result.run_id,
        success=result.success,
        warehouse=settings.warehouse,
        log_file=log_file,
        orphaned_runs=orphaned,
    )
    if any(e.asset_key == PUBLISH_KEY for e in result.get_asset_materialization_events()):
        report.published_to = serving_paths(settings.serving_dir)[0]
    for evaluation in result.get_asset_check_evaluations():
        report.checks.append(
            CheckOutcome(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=evaluation.passed,
                blocking=evaluation.severity == dg.AssetCheckSeverity.ERROR,
            )
        )
    report.failed_steps = [
        f"{event.step_key}: {_failure_reason(event)}"
        for event in result.all_events
        if event.is_step_failure
    ]
    if settings.warehouse.exists():
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            report.raw_rows = table_row_counts(con, RAW_DATASET)
            report.segment_rows = table_row_counts(con, SEGMENT_SCHEMA)
            report.mart_rows = table_row_counts(con, MART_SCHEMA)
            report.quarantined = quarantine_counts(con)
            report.files_read = files_read_since(con, started)
    return report


def every_partition_up_to_as_of(settings: Settings) -> dict[str, str]:
    """The run's tags for one run over every daily partition from the first list date to the
    as-of date, as a single-run backfill of that range would be launched."""
    as_of = settings.as_of_date or program_day(settings, datetime.now(UTC))
    if as_of < settings.first_list_date:
        raise ValueError(
            f"the as-of date {as_of} is before the first list date {settings.first_list_date}: "
            "set LISTENLOOP_FIRST_LIST_DATE to your program's first day"
        )
    return range_tags(settings.first_list_date, as_of)


def table_row_counts(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, int]:
    tables = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and table_name not like '\\_dlt%' escape '\\'"
        " order by table_name",
        [schema],
    ).fetchall()
    return {
        name: con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        for (name,) in tables
    }


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    if not has_raw_table(con, QUARANTINE_TABLE):
        return {}
    rows = con.execute(
        f"select feed, count(*) from {RAW_DATASET}.{QUARANTINE_TABLE} group by feed order by feed"
    ).fetchall()
    return dict(rows)


def files_read_since(con: duckdb.DuckDBPyConnection, started: float) -> FilesRead:
    """The deliveries logged by loads begun at or after `started` (a Unix time), and those
    refused whole."""
    if not has_raw_table(con, FILE_LOG_TABLE):
        return FilesRead()
    rows = con.execute(
        f"""select source_file, rows_read, rows_loaded, rows_quarantined, file_error
            from {RAW_DATASET}.{FILE_LOG_TABLE}
            where try_cast(load_id as double) >= ?
            order by source_file""",
        [started],
    ).fetchall()
    return FilesRead(
        files=len(rows),
        rows_read=sum(r[1] for r in rows),
        rows_loaded=sum(r[2] for r in rows),
        rows_quarantined=sum(r[3] for r in rows),
        # The logged error starts with the file's name, which the report shows once.
        refused={r[0]: r[4].removeprefix(f"{r[0]}: ") for r in rows if r[4]},
    )


def _failure_reason(event: dg.DagsterEvent) -> str:
    """Why a step failed: a raised dg.Failure's description, else the error's first line."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    return data.error.message.strip().splitlines()[0] if data.error else "unknown error"


def format_report(report: RunReport) -> str:
    tables = (report.raw_rows, report.quarantined, report.segment_rows, report.mart_rows)
    width = max((len(name) for counts in tables for name in counts), default=0)

    def table(counts: dict[str, int]) -> list[str]:
        return [f"  {name:<{width}} {rows:>10,}" for name, rows in counts.items()]

    lines = [f"ListenLoop run {report.run_id}: {'OK' if report.ok else 'FAILED'}", ""]
    lines += [
        f"Run {run_id} had been killed: marked failed, its warehouse slot released"
        for run_id in report.orphaned_runs
    ]
    read = report.files_read
    lines.append(
        f"Files read this run: {read.files:,} (rows read {read.rows_read:,} ="
        f" {read.rows_loaded:,} loaded + {read.rows_quarantined:,} quarantined)"
    )
    lines.append(f"Files refused: {len(read.refused) or 'none'}")
    lines += [f"  {source_file}: {reason}" for source_file, reason in read.refused.items()]
    lines.append("Raw tables (rows):")
    lines += table(report.raw_rows)
    lines.append(f"Quarantined rows: {sum(report.quarantined.values()):,}")
    lines += table(report.quarantined)
    lines.append("Segments and call lists (rows):")
    lines += table(report.segment_rows)
    lines.append("Marts (rows):")
    lines += table(report.mart_rows)
    passed = sum(c.passed for c in report.checks)
    lines.append(f"Checks: {passed} passed, {len(report.checks) - passed} failed")
    for check in report.checks:
        if not check.passed:
            level = "BLOCKING" if check.blocking else "warning"
            lines.append(f"  {level}: {check.asset} / {check.name}")
    lines += [f"  failed step: {step}" for step in report.failed_steps]
    lines += [
        "",
        f"Warehouse: {report.warehouse}",
        f"BI tools:  {report.published_to or 'nothing published, the serving copy is unchanged'}",
        f"Full log:  {report.log_file}",
        "Open the Dagster UI with `make ui` (http://127.0.0.1:3000) to see runs and lineage.",
    ]
    return "\n".join(lines)
