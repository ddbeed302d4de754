"""Schema drift, delivery by delivery, through the real dlt pipeline and real Dagster runs.

The order_lines feed receives Parquet files: the normal shape, then a new column, then one
without an optional column, then a column whose type changes, then one without a required
column, then nothing. Each follows the policy in docs/data-contract.md ("Schema drift"), and
each run's column-schema-change check reports what changed since the delivery before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import dagster as dg
import pyarrow as pa
import pytest
from dagster_dlt import DagsterDltResource
from ingestion_lake import Lake

from listenloop.settings import Settings
from orchestration.defs.feeds import build_feed_assets, build_schema_change_checks

ORDER_LINES = dg.AssetKey(["raw", "order_lines"])
CHANGED = "Column schema changed between previous and latest materialization."
UNCHANGED = "No changes to column schema between previous and latest materialization"

# The normal shape, as the Parquet files carry it.
NORMAL = {
    "line_id": "string",
    "order_id": "string",
    "product_id": "string",
    "sku": "string",
    "title": "string",
    "category": "string",
    "quantity": "int64",
    "unit_price": "double",
}


def order_lines(rows: list[dict], types: dict[str, str]) -> pa.Table:
    arrow = {"string": pa.string(), "int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(name, arrow[kind]) for name, kind in types.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def line(line_id: str, quantity: int | str, **extra: object) -> dict:
    return {
        "line_id": line_id,
        "order_id": "O1",
        "product_id": "P1",
        "sku": "MUG-1",
        "title": "Mug",
        "category": "home",
        "quantity": quantity,
        "unit_price": 9.5,
        **extra,
    }


WITH_GIFT_WRAP = {**NORMAL, "gift_wrap": "bool"}
WITHOUT_CATEGORY = {k: v for k, v in WITH_GIFT_WRAP.items() if k != "category"}
QUANTITY_AS_TEXT = {**WITHOUT_CATEGORY, "quantity": "string"}
# Each day's file: its rows, and its columns as the Parquet file carries them.
DELIVERIES = [
    ("2026-03-01", [line("L1", 2), line("L2", 1)], NORMAL),
    ("2026-03-02", [line("L3", 1, gift_wrap=True)], WITH_GIFT_WRAP),
    ("2026-03-03", [line("L4", 4, gift_wrap=False)], WITHOUT_CATEGORY),
    ("2026-03-04", [line("L5", "3"), line("L6", "three"), line("L7", " 5 ")], QUANTITY_AS_TEXT),
]


@pytest.fixture
def instance(lake: Lake) -> Iterator[dg.DagsterInstance]:
    home = lake.warehouse.parent.parent / "dagster"
    home.mkdir(parents=True)
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        yield instance


def materialize(lake: Lake, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """One run of raw/order_lines and its checks, as the feeds sensor would start it."""
    settings = Settings.from_env(feeds_dir=str(lake.feeds), warehouse=lake.warehouse)
    assets = build_feed_assets(settings)
    result = dg.materialize(
        [*assets, *build_schema_change_checks(assets)],
        instance=instance,
        resources={"dlt": DagsterDltResource()},
        selection=dg.AssetSelection.assets(ORDER_LINES),
    )
    assert result.success  # a schema change warns; it never fails the run
    return result


def schema_check(result: dg.ExecuteInProcessResult) -> tuple[bool, str, dg.AssetCheckSeverity]:
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key == dg.AssetCheckKey(ORDER_LINES, "column_schema_change")
    return evaluation.passed, evaluation.description or "", evaluation.severity


def delivered(result: dg.ExecuteInProcessResult) -> tuple[dict[str, str], str]:
    """The column schema the materialization reports, and the load it was delivered in."""
    [materialization] = result.asset_materializations_for_node("raw_feeds")
    schema = materialization.metadata["dagster/column_schema"].value
    load_id = materialization.metadata["column_schema_load_id"].value
    return {column.name: column.type for column in schema.columns}, load_id


def test_each_kind_of_drift_follows_the_contract_and_warns_once(
    lake: Lake, instance: dg.DagsterInstance
) -> None:
    warn = dg.AssetCheckSeverity.WARN
    expected_checks = [
        (True, "The asset has been materialized fewer than 2 times"),
        (False, f"{CHANGED}\n\nAdded columns: gift_wrap"),
        (False, f"{CHANGED}\n\nRemoved columns: category"),
        (False, f"{CHANGED}\n\nColumn type changes:\n- quantity: int64 -> string"),
    ]
    for (day, rows, types), (passed, description) in zip(DELIVERIES, expected_checks, strict=True):
        lake.write_parquet(f"order_lines/{day}.parquet", order_lines(rows, types))
        result = materialize(lake, instance)
        assert schema_check(result) == (passed, description, warn), day
        columns, load_id = delivered(result)
        assert columns == types, day
        assert lake.query(
            "SELECT source_file FROM raw.ingested_files WHERE load_id = ?", [load_id]
        ) == [(f"order_lines/{day}.parquet",)]

    # A file without a required column is refused whole; it delivers no columns, so the check
    # still compares the last two deliveries that were read. So does a run that reads nothing.
    lake.write_parquet(
        "order_lines/2026-03-05.parquet",
        order_lines([{"line_id": "L8", "quantity": 1}], {"line_id": "string", "quantity": "int64"}),
    )
    for _ in ("refused file", "no new file"):
        result = materialize(lake, instance)
        assert schema_check(result) == (True, UNCHANGED, warn)
        assert delivered(result) == (QUANTITY_AS_TEXT, load_id)

    # The raw table only ever grows: the new column is VARCHAR, missing values are NULL, and
    # quantity stays BIGINT whatever the files carried it as.
    assert lake.query(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'raw' AND table_name = 'order_lines'"
        " AND column_name IN ('category', 'quantity', 'unit_price', 'gift_wrap') ORDER BY 1"
    ) == [
        ("category", "VARCHAR"),
        ("gift_wrap", "VARCHAR"),
        ("quantity", "BIGINT"),
        ("unit_price", "DECIMAL(18,4)"),
    ]
    assert lake.query(
        "SELECT line_id, category, quantity, gift_wrap, _source_file FROM raw.order_lines"
        " ORDER BY line_id"
    ) == [
        ("L1", "home", 2, None, "order_lines/2026-03-01.parquet"),
        ("L2", "home", 1, None, "order_lines/2026-03-01.parquet"),
        ("L3", "home", 1, "true", "order_lines/2026-03-02.parquet"),
        ("L4", None, 4, "false", "order_lines/2026-03-03.parquet"),
        ("L5", None, 3, None, "order_lines/2026-03-04.parquet"),
        ("L7", None, 5, None, "order_lines/2026-03-04.parquet"),
    ]
    assert lake.query(
        "SELECT source_file, source_row, field, rule, reason FROM raw.quarantine ORDER BY 1, 2"
    ) == [
        (
            "order_lines/2026-03-04.parquet",
            2,
            "quantity",
            "unparsable",
            "order_lines.quantity: 'three' is not a whole number",
        ),
        (
            "order_lines/2026-03-05.parquet",
            0,
            None,
            "unreadable_file",
            "order_lines/2026-03-05.parquet: has no order_id column (columns: line_id, quantity)",
        ),
    ]
    logged = lake.query(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined, extra_columns,"
        " missing_columns, delivered_schema, file_error FROM raw.ingested_files ORDER BY 1"
    )
    assert [(*row[:6], row[6] and json.loads(row[6]), row[7]) for row in logged] == [
        ("order_lines/2026-03-01.parquet", 2, 2, 0, None, None, NORMAL, None),
        ("order_lines/2026-03-02.parquet", 1, 1, 0, "gift_wrap", None, WITH_GIFT_WRAP, None),
        (
            "order_lines/2026-03-03.parquet",
            1,
            1,
            0,
            "gift_wrap",
            "category",
            WITHOUT_CATEGORY,
            None,
        ),
        (
            "order_lines/2026-03-04.parquet",
            3,
            2,
            1,
            "gift_wrap",
            "category",
            QUANTITY_AS_TEXT,
            None,
        ),
        (
            "order_lines/2026-03-05.parquet",
            0,
            0,
            0,
            None,
            None,
            None,
            "order_lines/2026-03-05.parquet: has no order_id column (columns: line_id, quantity)",
        ),
    ]


def test_one_load_of_several_shapes_reports_every_delivered_type(
    lake: Lake, instance: dg.DagsterInstance
) -> None:
    for day, rows, types in DELIVERIES:
        lake.write_parquet(f"order_lines/{day}.parquet", order_lines(rows, types))
    columns, _ = delivered(materialize(lake, instance))
    assert columns == {**WITH_GIFT_WRAP, "quantity": "int64 | string"}


def test_a_feed_with_no_delivery_yet_reports_an_empty_schema(
    lake: Lake, instance: dg.DagsterInstance
) -> None:
    for expected in [
        (True, "The asset has been materialized fewer than 2 times"),
        (True, UNCHANGED),
    ]:
        result = materialize(lake, instance)
        assert delivered(result) == ({}, "(no delivery yet)")
        assert schema_check(result)[:2] == expected


def test_nested_columns_evolve_and_absent_columns_are_told_from_empty_ones(lake: Lake) -> None:
    # A new column holding objects is kept as JSON text, from JSONL and from Parquet alike. The
    # JSONL reader pins updated_at's type, yet a file that never names it still lacks it, while
    # one that gives it as null delivered it.
    lake.write(
        "orders/2026-03-01.jsonl",
        '{"order_id": "O1", "created_at": "2026-03-01T10:00:00Z", "total": 12.5,'
        ' "shipping_address": {"city": "Leeds", "zip": null}}\n',
    )
    lake.write_parquet(
        "orders/2026-03-02.parquet",
        pa.Table.from_pylist(
            [{"order_id": "O2", "created_at": "2026-03-02T10:00:00Z", "tags": [{"k": "vip"}]}]
        ),
    )
    lake.write(
        "orders/2026-03-03.jsonl",
        '{"order_id": "O3", "created_at": "2026-03-03T10:00:00Z", "updated_at": null}\n',
    )
    lake.ingest(["orders"])
    assert lake.query(
        "SELECT order_id, updated_at, total, shipping_address, tags FROM raw.orders ORDER BY 1"
    ) == [
        ("O1", datetime(2026, 3, 1, 10), 12.5, '{"city": "Leeds", "zip": null}', None),
        ("O2", datetime(2026, 3, 2, 10), None, None, '[{"k": "vip"}]'),
        ("O3", datetime(2026, 3, 3, 10), None, None, None),
    ]
    logged = lake.query(
        "SELECT source_file, extra_columns, missing_columns, delivered_schema"
        " FROM raw.ingested_files ORDER BY 1"
    )
    assert [(*row[:3], json.loads(row[3])) for row in logged] == [
        (
            "orders/2026-03-01.jsonl",
            "shipping_address",
            "customer_id;checkout_id;updated_at;currency;subtotal;discount;shipping;tax;"
            "financial_status;channel",
            {
                "created_at": "string",
                "order_id": "string",
                "total": "double",
                "shipping_address": "struct<city: string, zip: null>",
            },
        ),
        (
            "orders/2026-03-02.parquet",
            "tags",
            "customer_id;checkout_id;updated_at;currency;subtotal;discount;shipping;tax;total;"
            "financial_status;channel",
            {
                "order_id": "string",
                "created_at": "string",
                "tags": "list<element: struct<k: string>>",
            },
        ),
        (
            "orders/2026-03-03.jsonl",
            None,
            "customer_id;checkout_id;currency;subtotal;discount;shipping;tax;total;"
            "financial_status;channel",
            {"created_at": "string", "updated_at": "null", "order_id": "string"},
        ),
    ]
    assert lake.query("SELECT count(*) FROM raw.quarantine") == [(0,)]
