"""dbt models as Dagster assets; dbt tests become asset checks through `dbt build`."""

import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from listenloop.settings import DBT_PROJECT_DIR, Settings
from orchestration.defs.ownership import CX_TEAM, DATA_TEAM, WAREHOUSE_POOL

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
    DuckDB allows one writer."""
    if not warehouse.exists():
        yield from events
        return
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                schema, name = context.asset_key_for_output(event.output_name).path[-2:]
                [(rows,)] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()
                metadata = {**event.metadata, "dagster/row_count": rows}
                if (schema, name) in _BREAKDOWNS:
                    label, sql = _BREAKDOWNS[(schema, name)]
                    metadata[label] = dg.MetadataValue.json(dict(con.execute(sql).fetchall()))
                if schema == _PREVIEW_SCHEMA:
                    metadata["preview"] = _preview(con, schema, name)
                event = event.with_metadata(metadata)
            yield event


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


def build_dbt_assets(settings: Settings) -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ListenLoopDbtTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def listenloop_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        invocation = dbt.cli(["build"], context=context, raise_on_error=False)
        yield from _with_row_counts(context, list(invocation.stream()), settings.warehouse)
        if not invocation.is_successful():
            results_file = invocation.target_path / "run_results.json"
            if not results_file.exists():  # dbt stopped before running anything
                raise invocation.get_error() or RuntimeError("dbt build failed")
            raise dg.Failure(
                description=_failure_summary(invocation.get_artifact("run_results.json")),
                metadata={"dbt log": str(invocation.target_path / "dbt.log")},
            )

    return listenloop_dbt_models
