"""Intraday refreshes and partition windows of the call list, on the hand-written fixture of
test_call_lists (D = 2026-03-11 lists C01/K01, C08/K08 and C09/O09; calling hours 09:00-20:00 UTC).

During D, three records arrive:
- C01 orders at 08:30 (after D began, before the 08:45 refresh): converted, so off the list;
- a late file brings K20, C20's cart abandoned on the 10th at 10:00: its window opens during D;
- C08 orders at 11:00, after the refresh. K08's window closes at 09:00, so a 10:00 refresh takes
  C08 off for that reason alone.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from listenloop.calllist import export_call_list
from tests.dbt.test_dbt_build import run_dbt
from tests.segments.lists import MAR9, MAR10, MAR11, dbt_vars
from tests.warehouse import query

REFRESH_AT = "2026-03-11 08:45:00"
START_OF_D = datetime(2026, 3, 11)
LISTS = ("--select", "+call_list", "+call_list_suppressed", "+mart_call_outcomes_daily")

ARRIVALS = """
insert into raw.customers (customer_id, email, phone, first_name, last_name, country, created_at,
    updated_at, accepts_phone_contact, _source_file, _source_row)
values ('C20', 'c20@example.com', '+1 415 555 0120', 'Name20', 'Last', 'US',
    '2026-02-01 10:00:00', '2026-02-01 10:00:00', true, 'customers/late.csv', 1);
insert into raw.checkouts (checkout_id, customer_id, email, phone, created_at, updated_at,
    completed_at, total, currency, items_count, _source_file, _source_row)
values ('K20', 'C20', 'c20@example.com', null, '2026-03-10 09:30:00', '2026-03-10 10:00:00',
    null, 80.00, 'USD', 1, 'checkouts/late.csv', 1);
insert into raw.orders (order_id, customer_id, checkout_id, created_at, updated_at, currency,
    subtotal, discount, shipping, tax, total, financial_status, channel, _source_file, _source_row)
values
    ('O50', 'C01', null, '2026-03-11 08:30:00', '2026-03-11 08:30:00', 'USD', 10, 0, 0, 0, 10,
        'paid', 'web', 'orders/2026-03-11.csv', 1),
    ('O51', 'C08', null, '2026-03-11 11:00:00', '2026-03-11 11:00:00', 'USD', 400, 0, 0, 0, 400,
        'paid', 'web', 'orders/2026-03-11.csv', 2);
"""


def history_on(warehouse: Path, day: date) -> list[tuple]:
    return query(
        warehouse,
        "select trigger_id, listed_at, arm, status from segments.call_list_history "
        "where list_date = ? order by trigger_id",
        [day],
    )


def call_list(warehouse: Path) -> list[tuple]:
    return query(
        warehouse, "select customer_id, trigger_id from segments.call_list order by customer_id"
    )


def table_checksum(warehouse: Path, table: str) -> tuple:
    return query(warehouse, f"select count(*), sum(hash(columns(*))) from {table}")[
        0
    ]  # the sum of every column's hash: any changed value changes it


@pytest.fixture()
def arrived(built: Path, tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(ARRIVALS)
    return warehouse


def test_a_nightly_rebuild_leaves_a_written_day_as_it_was(arrived: Path, tmp_path: Path) -> None:
    before = history_on(arrived, MAR11)
    run_dbt(arrived, tmp_path, "build", *LISTS, *dbt_vars(MAR11))
    assert history_on(arrived, MAR11) == before
    # as of the start of D, C01's order of 08:30 has not happened yet
    assert call_list(arrived) == [("C01", "K01"), ("C08", "K08"), ("C09", "O09")]


def test_an_intraday_refresh_adds_new_members_and_drops_converted_ones(
    arrived: Path, tmp_path: Path
) -> None:
    refresh = dbt_vars(MAR11, list_cutoff_at=REFRESH_AT)
    run_dbt(arrived, tmp_path, "build", *LISTS, *refresh)

    assert call_list(arrived) == [("C08", "K08"), ("C09", "O09"), ("C20", "K20")]
    refreshed = datetime(2026, 3, 11, 8, 45)
    assert history_on(arrived, MAR11) == [
        ("K01", START_OF_D, "treatment", "listed"),  # kept: agents may have called C01
        ("K08", START_OF_D, "treatment", "listed"),
        ("K20", refreshed, "treatment", "listed"),
        ("O09", START_OF_D, "treatment", "listed"),
    ]
    assert query(
        arrived,
        "select trigger_id, suppression_reason from segments.call_list_suppressed "
        "where list_date = ? and trigger_id in ('K01', 'K08', 'K20')",
        [MAR11],
    ) == [("K01", "converted")]
    # what agents get: the export reads the refreshed list, not the history as written
    summary = export_call_list(arrived, MAR11, tmp_path / "list.jsonl", fmt="jsonl")
    exported = [json.loads(line) for line in summary.out.read_text().splitlines()]
    assert sorted(row["customer_id"] for row in exported) == ["C08", "C09", "C20"]

    # the same refresh again adds nothing
    history = table_checksum(arrived, "segments.call_list_history")
    run_dbt(arrived, tmp_path, "build", *LISTS, *refresh)
    assert table_checksum(arrived, "segments.call_list_history") == history

    # at 10:00 K08's window (09:00 on the 9th + 24 h) has closed: C08 leaves the list, though
    # C08's order comes only at 11:00; the history still adds nothing
    run_dbt(arrived, tmp_path, "build", *LISTS, *dbt_vars(MAR11, list_cutoff_at="2026-03-11 10:00"))
    assert call_list(arrived) == [("C09", "O09"), ("C20", "K20")]
    assert table_checksum(arrived, "segments.call_list_history") == history


def test_a_refresh_cutoff_must_be_a_timestamp(built: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    with pytest.raises(AssertionError, match="list_cutoff_at must be a naive UTC timestamp"):
        run_dbt(warehouse, tmp_path, "build", *LISTS, *dbt_vars(MAR11, list_cutoff_at="10am"))


def window(start: date, end: date, **extra: object) -> tuple[str, str]:
    return dbt_vars(
        MAR11,
        partition_start_date=start.isoformat(),
        partition_end_date=end.isoformat(),
        **extra,
    )


def test_partition_windows_add_only_missing_days(built: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        expected_history = con.execute(
            "select * from segments.call_list_history order by all"
        ).fetchall()
        expected_daily = con.execute(
            "select * from marts.mart_call_outcomes_daily order by all"
        ).fetchall()
        for table in ("segments.call_list_history", "marts.mart_call_outcomes_daily"):
            con.execute(f"drop table {table}")
    history_days = "select distinct list_date from segments.call_list_history order by 1"
    call_days = "select distinct call_date from marts.mart_call_outcomes_daily order by 1"

    run_dbt(warehouse, tmp_path, "build", *LISTS, *window(MAR9, MAR10))
    assert query(warehouse, history_days) == [(MAR9,), (MAR10,)]
    assert all(day in ((MAR9,), (MAR10,)) for day in query(warehouse, call_days))

    # an overlapping window writes only the day it lacks
    mar10 = history_on(warehouse, MAR10)
    run_dbt(warehouse, tmp_path, "build", *LISTS, *window(MAR10, MAR11))
    assert query(warehouse, history_days) == [(MAR9,), (MAR10,), (MAR11,)]
    assert history_on(warehouse, MAR10) == mar10

    # rebuilding a window rewrites its days from the same data: the same rows
    checksum = table_checksum(warehouse, "segments.call_list_history")
    run_dbt(warehouse, tmp_path, "build", *LISTS, *window(MAR9, MAR11, rebuild_partitions=True))
    assert table_checksum(warehouse, "segments.call_list_history") == checksum

    # without a window, every missing list day up to D is filled; the daily mart's days come
    # from their own window. The result equals one full build.
    run_dbt(warehouse, tmp_path, "build", *LISTS, *dbt_vars(MAR11))
    run_dbt(warehouse, tmp_path, "build", *LISTS, *window(date(2026, 1, 1), MAR11))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute("select * from segments.call_list_history order by all").fetchall()
            == expected_history
        )
        assert (
            con.execute("select * from marts.mart_call_outcomes_daily order by all").fetchall()
            == expected_daily
        )


def test_a_window_must_name_two_dates(built: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    bad = ("--vars", json.dumps({"as_of_date": "2026-03-11", "partition_start_date": "2026-03-10"}))
    with pytest.raises(AssertionError, match="must both be dates"):
        run_dbt(warehouse, tmp_path, "build", *LISTS, *bad)
