"""When ListenLoop runs unattended: every night, and through the calling day."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from listenloop.settings import Settings
from orchestration.defs.jobs import abandonment_path_job, everything_job
from orchestration.defs.partitions import LIST_CUTOFF_TAG, program_day, range_tags, utc_naive

NIGHTLY_CRON = "0 2 * * *"
# Calling hours are 09:00-20:00 in the program timezone (dbt vars calling_hours_start/end): a
# refresh at 09:00 catches the night's orders before the first call, the one at 19:00 is the last
# that still finishes while agents call. A test keeps these hours inside the dbt vars.
INTRADAY_CRON = "0 9-19/2 * * *"
# The nightly run covers the last week of daily partitions in one run: call_list_history adds a
# day a failed night left out, and mart_call_outcomes_daily recounts days whose calls came late.
NIGHTLY_DAYS = 7


def build_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    @dg.schedule(
        name="nightly_build",
        job=everything_job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=settings.timezone,
        description=(
            "Rebuild everything at 02:00 in the program timezone, in one run over the daily "
            "partitions of the last 7 days: today's list is written, a missing day is filled, "
            "late calls are recounted."
        ),
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly_build(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        today = date.fromisoformat(program_day(settings, context.scheduled_execution_time))
        first = max(
            today - timedelta(days=NIGHTLY_DAYS - 1), date.fromisoformat(settings.first_list_date)
        )
        if today < first:
            return dg.SkipReason(f"{today} is before the first list date {first}")
        return dg.RunRequest(tags=range_tags(first.isoformat(), today.isoformat()))

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
