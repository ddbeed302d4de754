"""When ListenLoop runs unattended: every night, and through the calling day."""

from __future__ import annotations

import dagster as dg

from listenloop.settings import Settings
from orchestration.defs.jobs import abandonment_path_job, everything_job
from orchestration.defs.partitions import LIST_CUTOFF_TAG, program_day, utc_naive

NIGHTLY_CRON = "0 2 * * *"
# Calling hours are 09:00-20:00 in the program timezone (dbt vars calling_hours_start/end): a
# refresh at 09:00 catches the night's orders before the first call, the one at 19:00 is the last
# that still finishes while agents call. A test keeps these hours inside the dbt vars.
INTRADAY_CRON = "0 9-19/2 * * *"


def build_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    @dg.schedule(
        name="nightly_build",
        job=everything_job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=settings.timezone,
        description="Rebuild everything at 02:00 in the program timezone, for today's partition.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(partition_key=program_day(settings, context.scheduled_execution_time))

    @dg.schedule(
        name="intraday_call_list",
        job=abandonment_path_job,
        cron_schedule=INTRADAY_CRON,
        execution_timezone=settings.timezone,
        description=(
            "Every 2 hours in calling hours (09:00 to 19:00 in the program timezone), re-decide "
            "today's call list as of the tick: new checkouts, orders and calls add members and "
            "take off those who ordered, were reached or opted out."
        ),
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def intraday_call_list(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time
        return dg.RunRequest(
            partition_key=program_day(settings, tick), tags={LIST_CUTOFF_TAG: utc_naive(tick)}
        )

    return [nightly_build, intraday_call_list]
