"""Daily partitions through Dagster: a 3-day backfill is one run of three partitions, and
building it again, even as a full refresh, changes nothing."""

from __future__ import annotations

import dataclasses

import dagster as dg
import pytest

from listenloop.settings import Settings
from orchestration.defs.dbt_models import build_dbt_assets
from orchestration.defs.partitions import FULL_REFRESH_TAG
from orchestration.pipeline_run import every_partition_up_to_as_of

# the fixtures `settings` and `instance`
from tests.orchestration.dbt_runs import (  # noqa: F401
    HISTORY,
    build,
    fixture_instance,
    fixture_settings,
)
from tests.segments.lists import MAR9, MAR10, MAR11
from tests.segments.test_list_refreshes import table_checksum
from tests.warehouse import query

DAILY_CALLS = dg.AssetKey(["marts", "mart_call_outcomes_daily"])
THREE_DAYS = {
    "dagster/asset_partition_range_start": MAR9.isoformat(),
    "dagster/asset_partition_range_end": MAR11.isoformat(),
}


def test_a_backfill_of_three_days_is_one_run_of_three_partitions(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    daily = next(a for a in build_dbt_assets(settings) if HISTORY in a.keys)
    assert daily.keys == {HISTORY, DAILY_CALLS}
    assert daily.backfill_policy == dg.BackfillPolicy.single_run()

    result = build(settings, instance, THREE_DAYS)

    days = {MAR9.isoformat(), MAR10.isoformat(), MAR11.isoformat()}
    assert instance.get_materialized_partitions(HISTORY) == days
    assert instance.get_materialized_partitions(DAILY_CALLS) == days
    assert len(instance.get_runs()) == 1
    assert query(
        settings.warehouse,
        "select list_date, count(*) from segments.call_list_history group by 1 order by 1",
    ) == [(MAR9, 7), (MAR10, 8), (MAR11, 3)]  # a full build also lists two days in February
    # the window's rows: 18 over 3 days, not the table's
    [materialization] = [
        m
        for m in result.asset_materializations_for_node("listenloop_dbt_daily")
        if m.asset_key == HISTORY and m.partition == MAR10.isoformat()
    ]
    assert materialization.metadata["rows in window"].value == 18
    assert "dagster/row_count" not in materialization.metadata

    # The same backfill again, and then with a full refresh: nothing changes.
    checksums = {
        t: table_checksum(settings.warehouse, t)
        for t in ("segments.call_list_history", "marts.mart_call_outcomes_daily")
    }
    build(settings, instance, THREE_DAYS)
    build(settings, instance, {**THREE_DAYS, FULL_REFRESH_TAG: "true"})
    assert {t: table_checksum(settings.warehouse, t) for t in checksums} == checksums

    # One of those days again: its own rows, not the table's 18.
    again = build(settings, instance, {"dagster/partition": MAR10.isoformat()})
    [one_day] = [
        m
        for m in again.asset_materializations_for_node("listenloop_dbt_daily")
        if m.asset_key == HISTORY
    ]
    assert one_day.metadata["dagster/row_count"].value == 8


def test_a_run_covers_every_partition_up_to_the_as_of_date() -> None:
    settings = Settings.from_env(first_list_date="2026-03-01", as_of_date="2026-03-11")
    assert every_partition_up_to_as_of(settings) == {
        "dagster/asset_partition_range_start": "2026-03-01",
        "dagster/asset_partition_range_end": "2026-03-11",
    }
    too_early = dataclasses.replace(settings, as_of_date="2026-02-28")
    with pytest.raises(ValueError, match="as-of date 2026-02-28 is before the first list date"):
        every_partition_up_to_as_of(too_early)
