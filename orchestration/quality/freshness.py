"""Freshness: a raw feed warns when no new rows of it have been loaded for 26 hours.

Dagster's FreshnessPolicy and build_last_update_freshness_checks judge an asset by its last
materialization, and a feed's dlt asset materializes on every ingest, new files or not. So this
check reads raw.ingested_files instead: when the last file that brought rows of the feed was
loaded (a dlt load id is the unix time the load started). An automation condition runs it every
hour, so a silent feed is flagged even when no run would otherwise touch it.
"""

import datetime as dt
from collections.abc import Iterator

import dagster as dg

from ingestion.contract import FEEDS, FILE_LOG_TABLE, RAW_DATASET
from listenloop.settings import Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.quality.warehouse import has_table, read_only

MAX_SILENCE = dt.timedelta(hours=26)
CHECK_NAME = "new_data_within_26h"
EVERY_HOUR = "0 * * * *"


def build_freshness_checks(settings: Settings) -> dg.AssetChecksDefinition:
    hourly = dg.AutomationCondition.cron_tick_passed(EVERY_HOUR, settings.timezone)
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=dg.AssetKey([RAW_DATASET, feed.name]),
            description=(
                f"Warns when no new {feed.name} rows have been loaded for "
                f"{MAX_SILENCE.total_seconds() / 3600:.0f} hours (raw.{FILE_LOG_TABLE})."
            ),
            automation_condition=hourly & ~dg.AutomationCondition.in_progress(),
        )
        for feed in FEEDS
    ]

    @dg.multi_asset_check(
        name="raw_feed_freshness", specs=specs, can_subset=True, pool=WAREHOUSE_POOL
    )
    def raw_feed_freshness(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        now = dt.datetime.now(dt.UTC)
        loaded = last_new_data(settings) if settings.warehouse.exists() else {}
        for check in sorted(context.selected_asset_check_keys, key=str):
            yield freshness_result(check, loaded.get(check.asset_key.path[-1]), now)

    return raw_feed_freshness


def build_freshness_sensor(
    checks: dg.AssetChecksDefinition,
) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "feed_freshness_hourly",
        target=dg.AssetSelection.checks(checks),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Runs the feed freshness checks every hour, whether or not anything ingests.",
    )


def last_new_data(settings: Settings) -> dict[str, dt.datetime]:
    """When each feed last had rows loaded, in UTC."""
    with read_only(settings.warehouse) as con:
        if not has_table(con, RAW_DATASET, FILE_LOG_TABLE):
            return {}
        newest = con.execute(
            f"""select feed, max(cast(load_id as double))
                from {RAW_DATASET}.{FILE_LOG_TABLE}
                where rows_loaded > 0
                group by feed"""
        ).fetchall()
    return {feed: dt.datetime.fromtimestamp(started, dt.UTC) for feed, started in newest}


def freshness_result(
    check: dg.AssetCheckKey, last: dt.datetime | None, now: dt.datetime
) -> dg.AssetCheckResult:
    feed = check.asset_key.path[-1]
    common = {"max_hours_without_new_data": MAX_SILENCE.total_seconds() / 3600}
    if last is None:
        return dg.AssetCheckResult(
            asset_key=check.asset_key,
            check_name=check.name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"No {feed} rows have ever been loaded.",
            metadata=common,
        )
    silence = now - last
    hours = round(silence.total_seconds() / 3600, 1)
    return dg.AssetCheckResult(
        asset_key=check.asset_key,
        check_name=check.name,
        passed=silence <= MAX_SILENCE,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"New {feed} rows were last loaded {hours} hours ago.",
        metadata={
            **common,
            "last_new_data_at": dg.MetadataValue.timestamp(last),
            "hours_without_new_data": hours,
        },
    )
