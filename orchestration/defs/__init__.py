"""Everything Dagster knows about ListenLoop, built from one `Settings`."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from listenloop.settings import Settings
from orchestration.defs.dbt_models import build_dbt_assets, dbt_resource
from orchestration.defs.feeds import build_feed_assets
from orchestration.defs.schedules import build_schedules


def build_definitions(settings: Settings) -> dg.Definitions:
    feed_assets = build_feed_assets(settings)
    dbt_assets = build_dbt_assets(settings)
    return dg.Definitions(
        assets=[feed_assets, dbt_assets],
        schedules=build_schedules(settings),
        resources={
            "dlt": DagsterDltResource(),
            "dbt": dbt_resource(),
        },
    )
