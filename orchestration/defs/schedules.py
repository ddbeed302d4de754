"""When ListenLoop runs unattended."""

from __future__ import annotations

import dagster as dg

from listenloop.settings import Settings

everything_job = dg.define_asset_job(
    "build_everything",
    selection=dg.AssetSelection.all(),
    description="Ingest every feed, then build and test every dbt model.",
)


def build_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(
            name="nightly_build",
            job=everything_job,
            cron_schedule="0 2 * * *",
            execution_timezone=settings.timezone,
            description="Rebuild everything at 02:00 in the program timezone.",
            default_status=dg.DefaultScheduleStatus.RUNNING,
        )
    ]
