"""Materialize the whole asset graph in-process, as `listenloop run` and `make demo` do."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from ingestion.contract import QUARANTINE_TABLE, RAW_DATASET
from listenloop.serving import serving_paths
from listenloop.settings import Settings
from orchestration.defs import build_definitions
from orchestration.defs.dbt_models import prepare_manifest
from orchestration.defs.partitions import program_day, range_tags
from orchestration.defs.serving import PUBLISH_KEY
from orchestration.instance import open_instance

MART_SCHEMA = "marts"
SEGMENT_SCHEMA = "segments"


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool


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
    # The summary is the console output. dbt's progress goes to the log file, and every event
    # stays in the Dagster instance for the UI.
    with log_file.open("w") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=open_instance(settings),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags=every_partition_up_to_as_of(settings),
        )
    report = RunReport(
        run_id=result.run_id,
        success=result.success,
        warehouse=settings.warehouse,
        log_file=log_file,
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
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [RAW_DATASET, QUARANTINE_TABLE],
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(
        f"select feed, count(*) from {RAW_DATASET}.{QUARANTINE_TABLE} group by feed order by feed"
    ).fetchall()
    return dict(rows)


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
