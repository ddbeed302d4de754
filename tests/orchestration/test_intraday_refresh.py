"""The intraday cutoff carried by a run tag, and the column metadata of the dbt assets, through
Dagster over the call-list fixture (see tests/segments/test_list_refreshes.py for the arrivals)."""

from __future__ import annotations

import dataclasses

import dagster as dg
import duckdb

from listenloop.settings import Settings
from orchestration.defs.partitions import CUTOFF_AT_RUN_START, LIST_CUTOFF_TAG

# the fixtures `settings` and `instance`
from tests.orchestration.dbt_runs import (  # noqa: F401
    HISTORY,
    build,
    fixture_instance,
    fixture_settings,
)
from tests.segments.lists import MAR11
from tests.segments.test_list_refreshes import ARRIVALS, call_list

CALL_LIST = dg.AssetKey(["segments", "call_list"])


def test_the_intraday_cutoff_tag_redecides_todays_list(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    today = {"dagster/partition": MAR11.isoformat()}
    result = build(settings, instance, today)
    [materialization] = [
        m
        for m in result.asset_materializations_for_node("listenloop_dbt_daily")
        if m.asset_key == HISTORY
    ]
    assert materialization.partition == MAR11.isoformat()
    assert materialization.metadata["dagster/row_count"].value == 3  # one partition: its rows
    assert call_list(settings.warehouse) == [("C01", "K01"), ("C08", "K08"), ("C09", "O09")]
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(ARRIVALS)

    # At 08:45, C01 has ordered (08:30) and C20's late cart is in; C08 orders only at 11:00.
    build(settings, instance, {**today, LIST_CUTOFF_TAG: "2026-03-11 08:45:00"})
    assert call_list(settings.warehouse) == [("C08", "K08"), ("C09", "O09"), ("C20", "K20")]

    # A run created today sees all of the 11th: C08 ordered, and K08's and O09's windows closed
    # (09:00 and 15:00); K20's stays open until the 12th.
    build(settings, instance, {**today, LIST_CUTOFF_TAG: CUTOFF_AT_RUN_START})
    assert call_list(settings.warehouse) == [("C20", "K20")]


def test_dbt_assets_carry_column_types_and_lineage(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    with_lineage = dataclasses.replace(settings, column_lineage=True)
    result = build(with_lineage, instance, {"dagster/partition": MAR11.isoformat()})
    metadata = {
        m.asset_key: m.metadata
        for node in ("listenloop_dbt_models", "listenloop_dbt_after_daily")
        for m in result.asset_materializations_for_node(node)
    }
    orders = metadata[dg.AssetKey(["staging", "stg_store__orders"])]
    types = {c.name: c.type for c in orders["dagster/column_schema"].value.columns}
    assert types["total"] == "DECIMAL(18,4)"
    lineage = orders["dagster/column_lineage"].value.deps_by_column
    assert lineage["total"] == [dg.TableColumnDep(dg.AssetKey(["raw", "orders"]), "total")]
    phone = metadata[CALL_LIST]["dagster/column_lineage"].value.deps_by_column["phone_e164"]
    assert dg.TableColumnDep(HISTORY, "phone_e164") in phone
