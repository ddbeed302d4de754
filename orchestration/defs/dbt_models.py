"""dbt models as Dagster assets; dbt tests become asset checks through `dbt build`."""

import contextlib
import json
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dbt.adapters.duckdb.connections import DuckDBConnectionManager

from listenloop.settings import DBT_PROJECT_DIR, Settings
from orchestration.defs.ownership import CX_TEAM, DATA_TEAM, WAREHOUSE_POOL
from orchestration.defs.partitions import (
    DAILY_SELECTION,
    daily_partitions,
    dbt_run_vars,
    is_full_refresh,
    partition_window,
)

# The model's meta key naming the date column its daily partitions follow.
PARTITION_COLUMN_META = "partition_column"
PARTITIONED_BY = "partitioned_by"

# The venv's dbt, whether or not the venv is on PATH (cron, IDEs, `.venv/bin/pytest`).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

# The deepest matching folder under models/ decides the Dagster group.
_GROUP_BY_FOLDER = {
    ("staging",): "staging",
    ("intermediate",): "staging",
    ("intermediate", "call_lists"): "segments",
    ("intermediate", "outcomes"): "outcomes",
    ("segments",): "segments",
    ("marts",): "outcomes",
}


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # `dagster dev` re-parses so edits show up; everywhere else the manifest is prepared ahead
    # (make prepare), which keeps loading the definitions fast.
    project.prepare_if_dev()
    return project


class ListenLoopDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"  # reference data (country codes, the tag vocabulary) read by staging
        folders = tuple(dbt_resource_props["fqn"][1:-1])
        for depth in range(len(folders), 0, -1):
            if folders[:depth] in _GROUP_BY_FOLDER:
                return _GROUP_BY_FOLDER[folders[:depth]]
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        group = self.get_group_name(dbt_resource_props)
        return [CX_TEAM] if group in ("segments", "outcomes") else [DATA_TEAM]

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        column = dbt_resource_props.get("config", {}).get("meta", {}).get(PARTITION_COLUMN_META)
        if column:
            metadata[PARTITIONED_BY] = column
        return metadata


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


def prepare_manifest() -> None:
    """Parse the dbt project when any of its files is newer than the manifest, like make does.

    A run must never execute models its manifest does not know; the code location itself only
    reads the file, which keeps loading it fast.
    """
    project = dbt_project()
    if project.manifest_path.exists():
        built = project.manifest_path.stat().st_mtime
        sources = (p for p in DBT_PROJECT_DIR.rglob("*") if p.is_file() and _is_project_source(p))
        if all(p.stat().st_mtime <= built for p in sources):
            return
    dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()


def _is_project_source(path: Path) -> bool:
    relative = path.relative_to(DBT_PROJECT_DIR).parts
    return relative[0] not in ("target", "logs", "dbt_packages") and path.suffix in (
        ".sql",
        ".yml",
        ".yaml",
        ".csv",
        ".md",
    )


# Breakdowns the UI shows beside a model's row count: (metadata label, query of label -> count).
_BREAKDOWNS: dict[tuple[str, str], tuple[str, str]] = {
    ("segments", "call_list_suppressed"): (
        "suppressed_by_reason (latest day)",
        "select suppression_reason, count(*) from segments.call_list_suppressed"
        " where list_date = (select max(list_date) from segments.call_list_suppressed)"
        " group by 1 order by 2 desc",
    ),
    ("segments", "call_list_history"): (
        "members_by_arm_and_status (latest day)",
        "select arm || ' / ' || status, count(*) from segments.call_list_history"
        " where list_date = (select max(list_date) from segments.call_list_history)"
        " group by 1 order by 1",
    ),
}


# Marts get a preview of their first rows in the UI. Only marts: the segments hold the phone
# numbers agents dial, which must not spread into the event log.
_PREVIEW_SCHEMA = "marts"
_PREVIEW_ROWS = 5


def _preview(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> dg.MetadataValue:
    frame = con.execute(f'select * from "{schema}"."{name}" limit {_PREVIEW_ROWS}').df()
    return dg.MetadataValue.md(frame.to_markdown(index=False))


def _with_row_counts(context: dg.AssetExecutionContext, events: list, warehouse: Path) -> Iterator:
    """Adds each built relation's row count (and a marts preview); read after dbt exits, as
    DuckDB allows one writer. A partitioned model counts the rows of the run's window: its
    partition's row count, or "rows in window" when the run covers several days."""
    if not warehouse.exists():
        yield from events
        return
    window = partition_window(context.run.tags)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                schema, name = key.path[-2:]
                column = context.assets_def.specs_by_key[key].metadata.get(PARTITIONED_BY)
                where, params, count_label = "", [], "dagster/row_count"
                if window and column:
                    where, params = f' where "{column}" between ? and ?', list(window)
                    # Dagster copies a range's metadata to each of its partitions
                    if window[0] != window[1]:
                        count_label = "rows in window"
                [(rows,)] = con.execute(
                    f'select count(*) from "{schema}"."{name}"{where}', params
                ).fetchall()
                metadata = {**event.metadata, count_label: rows}
                if (schema, name) in _BREAKDOWNS:
                    label, sql = _BREAKDOWNS[(schema, name)]
                    metadata[label] = dg.MetadataValue.json(dict(con.execute(sql).fetchall()))
                if schema == _PREVIEW_SCHEMA:
                    metadata["preview"] = _preview(con, schema, name)
                event = event.with_metadata(metadata)
            yield event


def _events_with_columns(invocation: DbtCliInvocation) -> list:
    """dbt's events with each model's column types and column lineage.

    On DuckDB, dagster-dbt first drains the events (so dbt has exited and released the
    warehouse), then reads the columns through its in-process adapter, read-only, and sqlglot
    derives the lineage from the compiled SQL.
    """
    try:
        return list(invocation.stream().fetch_column_metadata(with_column_lineage=True))
    finally:
        _release_adapter_warehouse()


def _release_adapter_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB handle open (keep_open defaults to true); left open, this
    process would hold the warehouse read-only, and no other process could write it."""
    with contextlib.suppress(Exception):  # no environment was opened
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def _failure_summary(run_results: Mapping[str, Any]) -> str:
    """One line per failed node, so the run's error (and the alert built from it) says why."""
    failed = [
        result
        for result in run_results.get("results", [])
        if result.get("status") in ("error", "fail", "runtime error")
    ]
    lines = [f"dbt build failed: {len(failed)} node(s) failed"]
    for result in failed:
        message = (result.get("message") or "").strip().splitlines()
        lines.append(f"{result['unique_id']}: {message[0] if message else result['status']}")
    return "\n".join(lines)


def build_dbt_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """Three definitions over one dbt project, run as three steps in this order: the models the
    daily-partitioned ones read, the daily-partitioned models (dbt tag `daily`), and the models
    that read them. Spelling the split out keeps every dbt test in the step of its models."""
    project = dbt_project()
    common: dict[str, Any] = {
        "manifest": project.manifest_path,
        "project": project,
        "dagster_dbt_translator": ListenLoopDbtTranslator(),
        "pool": WAREHOUSE_POOL,
    }
    downstream_of_daily = f"{DAILY_SELECTION}+"

    @dbt_assets(name="listenloop_dbt_models", exclude=downstream_of_daily, **common)
    def listenloop_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        yield from _dbt_build(context, dbt, settings, windowed=False)

    @dbt_assets(
        name="listenloop_dbt_daily",
        select=DAILY_SELECTION,
        partitions_def=daily_partitions(settings),
        backfill_policy=dg.BackfillPolicy.single_run(),
        **common,
    )
    def listenloop_dbt_daily(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        yield from _dbt_build(context, dbt, settings, windowed=True)

    @dbt_assets(
        name="listenloop_dbt_after_daily",
        select=downstream_of_daily,
        exclude=DAILY_SELECTION,
        **common,
    )
    def listenloop_dbt_after_daily(
        context: dg.AssetExecutionContext, dbt: DbtCliResource
    ) -> Iterator:
        yield from _dbt_build(context, dbt, settings, windowed=False)

    return [listenloop_dbt_models, listenloop_dbt_daily, listenloop_dbt_after_daily]


def _dbt_build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings, windowed: bool
) -> Iterator:
    """`dbt build` of this step's selection. A full refresh (run tag listenloop/full_refresh)
    rebuilds the unpartitioned models from scratch and the daily ones over the run's window."""
    run_vars = dbt_run_vars(context, windowed=windowed)
    args = ["build"]
    if run_vars:
        args += ["--vars", json.dumps(run_vars)]
    if not windowed and is_full_refresh(context.run.tags):
        args.append("--full-refresh")
    context.log.info("dbt %s", " ".join(args))
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events = _events_with_columns(invocation) if settings.column_lineage else invocation.stream()
    yield from _with_row_counts(context, list(events), settings.warehouse)
    if not invocation.is_successful():
        results_file = invocation.target_path / "run_results.json"
        if not results_file.exists():  # dbt stopped before running anything
            raise invocation.get_error() or RuntimeError("dbt build failed")
        raise dg.Failure(
            description=_failure_summary(invocation.get_artifact("run_results.json")),
            metadata={"dbt log": str(invocation.target_path / "dbt.log")},
        )
