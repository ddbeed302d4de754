"""dbt models as Dagster assets; dbt tests become asset checks through `dbt build`."""

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from listenloop.settings import DBT_PROJECT_DIR
from orchestration.defs.ownership import CX_TEAM, DATA_TEAM, WAREHOUSE_POOL

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


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ListenLoopDbtTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def listenloop_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        yield from dbt.cli(["build"], context=context).stream()

    return listenloop_dbt_models
