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

# The first folder under models/ decides the Dagster group.
_GROUP_BY_FOLDER = {
    "staging": "staging",
    "intermediate": "staging",
    "segments": "segments",
    "marts": "outcomes",
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
        fqn = dbt_resource_props["fqn"]
        folder = fqn[1] if len(fqn) > 2 else ""
        return _GROUP_BY_FOLDER.get(folder, super().get_group_name(dbt_resource_props))

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        group = self.get_group_name(dbt_resource_props)
        return [CX_TEAM] if group in ("segments", "outcomes") else [DATA_TEAM]


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


def prepare_manifest() -> None:
    """Parse the dbt project, so a run never executes models its manifest does not know.

    Partial parsing keeps this to a few seconds; the code location itself only reads the file.
    """
    project = dbt_project()
    dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()


def _with_row_counts(context: dg.AssetExecutionContext, events: list, warehouse: Path) -> Iterator:
    """Adds each built relation's row count; read after dbt exits, as DuckDB allows one writer."""
    if not warehouse.exists():
        yield from events
        return
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                schema, name = context.asset_key_for_output(event.output_name).path[-2:]
                [(rows,)] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()
                event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


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
            raise invocation.get_error() or RuntimeError("dbt build failed")

    return listenloop_dbt_models
