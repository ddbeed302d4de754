"""Daily partitions of the date-keyed dbt models, and what a run tells dbt about its window.

The models tagged `daily` in dbt (call_list_history by list date, mart_call_outcomes_daily by
call date) are partitioned by day in the program timezone. A run of several days is one run
(single-run backfill policy) that hands dbt the window as vars; everything else is unpartitioned
and is built once per run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from listenloop.settings import Settings

DAILY_SELECTION = "tag:daily"

# Run tags a person (launchpad) or a schedule sets; every dbt step of the run reads them.
LIST_CUTOFF_TAG = "listenloop/list_cutoff_at"
FULL_REFRESH_TAG = "listenloop/full_refresh"
# The cutoff tag's value that means "when the run was created", the same for every step.
CUTOFF_AT_RUN_START = "run_start"

_PARTITION_TAG = "dagster/partition"
_RANGE_START_TAG = "dagster/asset_partition_range_start"
_RANGE_END_TAG = "dagster/asset_partition_range_end"


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    # end_offset=1: today's list is built during today, so today's partition must exist.
    return dg.DailyPartitionsDefinition(
        start_date=settings.first_list_date, timezone=settings.timezone, end_offset=1
    )


def program_day(settings: Settings, moment: datetime) -> str:
    """The partition key of `moment`: its calendar day in the program timezone."""
    return moment.astimezone(ZoneInfo(settings.timezone)).date().isoformat()


def utc_naive(moment: datetime) -> str:
    """A moment as the warehouse stores time: naive UTC, to the second."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of one run over the partitions first..last, as a single-run backfill sets them."""
    return {_RANGE_START_TAG: first, _RANGE_END_TAG: last}


def partition_window(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """The run's first and last partition key, or None for an unpartitioned run."""
    if _PARTITION_TAG in tags:
        return tags[_PARTITION_TAG], tags[_PARTITION_TAG]
    if _RANGE_START_TAG in tags:
        return tags[_RANGE_START_TAG], tags[_RANGE_END_TAG]
    return None


def is_full_refresh(tags: Mapping[str, str]) -> bool:
    return tags.get(FULL_REFRESH_TAG, "").strip().lower() in ("true", "1", "yes")


def dbt_run_vars(context: dg.AssetExecutionContext, windowed: bool) -> dict[str, object]:
    """The dbt vars of this step: the partition window (daily models only), the intraday cutoff
    and the rebuild flag, all from the run's tags so every step of a run agrees."""
    tags = context.run.tags
    run_vars: dict[str, object] = {}
    window = partition_window(tags)
    if windowed and window:
        for name, key in zip(("partition_start_date", "partition_end_date"), window, strict=True):
            run_vars[name] = date.fromisoformat(key).isoformat()
        run_vars["rebuild_partitions"] = is_full_refresh(tags)
    cutoff = tags.get(LIST_CUTOFF_TAG, "").strip()
    if cutoff == CUTOFF_AT_RUN_START:
        # a retry is a new run: it keeps the cutoff of the run it retries
        root = tags.get("dagster/root_run_id", context.run.run_id)
        record = context.instance.get_run_record_by_id(root)
        created = record.create_timestamp if record else datetime.now(UTC)
        cutoff = utc_naive(created if created.tzinfo else created.replace(tzinfo=UTC))
    if cutoff:
        run_vars["list_cutoff_at"] = cutoff
    return run_vars
