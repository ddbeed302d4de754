"""The great-expectations suite of a raw feed, derived from its contract in ingestion/contract.py.

Ingestion already quarantines rows that break the contract; this suite is the second line: it
catches what slips past (a loader change, a table written by hand) and the volume and null-share
drifts no single row reveals. docs/data-quality.md lists each expectation and its severity.
"""

from __future__ import annotations

import datetime as dt
import statistics

import duckdb
import great_expectations as gx
import pandas as pd

from ingestion.contract import FEEDS_BY_NAME, RAW_DATASET, Column, Feed, Kind
from orchestration.quality.gx_suite import ERROR, WARN, Rule, Skipped, Suite
from orchestration.quality.warehouse import frame

# Above these shares of rows without a phone, a feed warns. The demo data sits at about 8 %
# (customers), 44 % (checkouts: guests often leave none) and 0.1 % (calls).
PHONE_NULL_SHARE_LIMITS = {"customers": 0.20, "checkouts": 0.60, "calls": 0.05}
ROW_COUNT_BAND = (0.5, 2.0)  # the newest complete day, as multiples of the baseline median
BASELINE_DAYS = 7
# Below this median a day's count is too noisy to judge (a feed of 2 refunds a day).
MIN_BASELINE_MEDIAN = 20
# Source clocks drift a little; a timestamp further ahead than this is a broken clock or parse.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)

_CHECKED_KINDS = (Kind.MONEY, Kind.TIMESTAMP)
ROWS = "rows"
NEWEST_DAY = "newest_complete_day"


def raw_feed_suite(con: duckdb.DuckDBPyConnection, feed: Feed, now: dt.datetime) -> Suite:
    """The frames and expectations for raw.<feed>; `now` is naive UTC like the raw timestamps."""
    checked = [c for c in feed.columns if c.name == "phone" or c.enum or c.kind in _CHECKED_KINDS]
    selected = ", ".join(_select(c) for c in checked)
    rows = frame(con, f'select {selected} from {RAW_DATASET}."{feed.name}"')
    newest_day, row_count_rule = _row_count_rule(con, feed)
    frames = {ROWS: rows}
    if newest_day is not None:
        frames[NEWEST_DAY] = newest_day
    return frames, [row_count_rule, *(_column_rule(feed, c, rows, now) for c in checked)]


def _column_rule(
    feed: Feed, column: Column, rows: pd.DataFrame, now: dt.datetime
) -> Rule | Skipped:
    expect = gx.expectations
    name = column.name
    if name == "phone":
        limit = PHONE_NULL_SHARE_LIMITS[feed.name]
        return Rule(
            "phone_null_share",
            expect.ExpectColumnValuesToNotBeNull(column=name, mostly=1 - limit),
            ROWS,
            WARN,
            facts={"max_null_share": limit},
        )
    if column.kind == Kind.MONEY:
        return Rule(
            f"{name}_not_negative",
            expect.ExpectColumnValuesToBeBetween(column=name, min_value=0),
            ROWS,
            ERROR,
            show_values=True,
        )
    if column.kind == Kind.TIMESTAMP:
        # The newest value against the clock: a per-row comparison of timestamps costs GX
        # seconds per million rows, the column maximum does not. GX has no maximum of nothing.
        if rows[name].isna().all():
            return Skipped(f"{name}_not_in_future", ERROR, "no values yet")
        return Rule(
            f"{name}_not_in_future",
            expect.ExpectColumnMaxToBeBetween(column=name, max_value=now + FUTURE_TOLERANCE),
            ROWS,
            ERROR,
        )
    return Rule(
        f"{name}_in_enum",
        expect.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.enum or ())),
        ROWS,
        ERROR,
        show_values=True,
    )


def _select(column: Column) -> str:
    if column.name == "phone":
        return "nullif(trim(phone), '') as phone"  # a blank phone is as missing as a null one
    if column.kind == Kind.MONEY:
        # decimals would reach pandas as Python objects
        return f'cast("{column.name}" as double) as "{column.name}"'
    return f'"{column.name}"'


def _row_count_rule(
    con: duckdb.DuckDBPyConnection, feed: Feed
) -> tuple[pd.DataFrame | None, Rule | Skipped]:
    """The newest complete day's rows against the median of the 7 days before it.

    The newest day with data may still be filling up (intraday runs), so the day before it is
    the newest complete one. Days without rows count as 0.
    """
    label = "newest_day_row_count"
    dated = _dated_rows(feed)
    counts = dict(
        con.execute(f"select cast(dated_at as date), count(*) from ({dated}) group by 1").fetchall()
    )
    if not counts:
        return None, Skipped(label, WARN, "no dated rows yet")
    day = max(counts) - dt.timedelta(days=1)
    baseline = [day - dt.timedelta(days=n) for n in range(1, BASELINE_DAYS + 1)]
    if min(counts) > baseline[-1]:
        reason = f"data starts {min(counts)}; {day} needs {BASELINE_DAYS} days before it"
        return None, Skipped(label, WARN, reason)
    median = statistics.median(counts.get(d, 0) for d in baseline)
    if median < MIN_BASELINE_MEDIAN:
        reason = f"baseline median {median} rows a day is below {MIN_BASELINE_MEDIAN}"
        return None, Skipped(label, WARN, reason)
    low, high = ROW_COUNT_BAND
    day_rows = frame(con, f"select dated_at from ({dated}) where cast(dated_at as date) = ?", [day])
    rule = Rule(
        label,
        gx.expectations.ExpectTableRowCountToBeBetween(
            min_value=low * median, max_value=high * median
        ),
        NEWEST_DAY,
        WARN,
        facts={"day": day, "baseline_median": median, "baseline_days": BASELINE_DAYS},
    )
    return day_rows, rule


def _dated_rows(feed: Feed) -> str:
    """A query of one `dated_at` per row; lines take the date of their order (first version)."""
    if feed.dated_by:
        return f'select "{feed.dated_by}" as dated_at from {RAW_DATASET}."{feed.name}"'
    orders = FEEDS_BY_NAME["orders"]
    return (
        f'select o.dated_at from {RAW_DATASET}."{feed.name}" l join ('
        f'select {orders.primary_key}, min("{orders.dated_by}") as dated_at'
        f' from {RAW_DATASET}."{orders.name}" group by 1) o using ({orders.primary_key})'
    )
