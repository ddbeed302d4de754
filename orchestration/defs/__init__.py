"""Everything Dagster knows about ListenLoop, built from one `Settings`."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from ingestion.sources import feeds_by_source
from listenloop.settings import Settings
from orchestration import quality
from orchestration.defs.dbt_models import build_dbt_assets, dbt_resource
from orchestration.defs.feeds import build_feed_assets, build_schema_change_checks
from orchestration.defs.jobs import JOBS
from orchestration.defs.notifications import build_failure_alert_sensor
from orchestration.defs.ownership import group_descriptions
from orchestration.defs.schedules import build_schedules
from orchestration.defs.sensors import build_feeds_sensor
from orchestration.defs.serving import build_publish_asset, gate_checks, served_keys


def build_definitions(settings: Settings) -> dg.Definitions:
    dbt_steps = build_dbt_assets(settings)
    feed_assets = build_feed_assets(settings)
    built = dg.Definitions.merge(
        dg.Definitions(
            assets=[*feed_assets, *dbt_steps],
            asset_checks=build_schema_change_checks(feed_assets),
            resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()},
        ),
        quality.build_quality_definitions(settings, dbt_steps),
    )
    # The publish gate needs every blocking check upstream of what it serves, including those
    # of assets a run does not rebuild, so it is worked out here over the whole graph.
    served = served_keys(dbt_steps)
    publish = build_publish_asset(settings, served, gate_checks(built, served))
    core = dg.Definitions(
        assets=[publish],
        jobs=JOBS,
        schedules=build_schedules(settings),
        sensors=[build_feeds_sensor(settings), build_failure_alert_sensor(settings)],
        metadata={
            f"asset group: {name}": description
            for name, description in group_descriptions(feeds_by_source(settings.sources)).items()
        },
    )
    return dg.Definitions.merge(built, core)
