"""The great-expectations suites of the marts and of the call list.

docs/data-quality.md lists each expectation, its severity and where its figures come from.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import great_expectations as gx
import pandas as pd

from listenloop.settings import Settings
from orchestration.quality.gx_suite import ERROR, WARN, Rule, Skipped, Suite
from orchestration.quality.tables import (
    ASSIGNMENT_RESULTS,
    CALL_LIST,
    CALL_OUTCOMES,
    CART_RECOVERY,
)
from orchestration.quality.warehouse import frame

E164 = r"^\+[1-9]\d{7,14}$"
TRAILING_DAYS = 28
MIN_TRAILING_DAYS = 7  # fewer days give no usable standard deviation
SD_LIMIT = 3

# The outbound connect rate per call day: connects over attempts, not an average of rates.
_DAILY_CONNECT_RATE = f"""
    select call_date, cast(sum(connects) as double) / sum(attempts)
    from {".".join(CALL_OUTCOMES.path)}
    where direction = 'outbound'
    group by call_date
    having sum(attempts) > 0"""
# The treatment arm's cart recovery per first list date, for days whose every 7-day conversion
# window has closed, as mart_cart_recovery counts it per week.
_DAILY_RECOVERY_RATE = f"""
    select assigned_on, avg(case when is_converted then 1.0 else 0.0 end)::double
    from {".".join(ASSIGNMENT_RESULTS.path)}
    where segment = 'cart_abandoner' and arm = 'treatment'
    group by assigned_on
    having bool_and(is_conversion_window_complete)"""


def mart_suite(
    con: duckdb.DuckDBPyConnection,
    key: dg.AssetKey,
    rate_columns: Sequence[str],
    settings: Settings,
) -> Suite:
    frames: dict[str, pd.DataFrame] = {}
    rules: list[Rule | Skipped] = []
    if rate_columns:
        frames["rates"] = frame(con, f"select {', '.join(rate_columns)} from {'.'.join(key.path)}")
        rules += [_between_0_and_1(column) for column in rate_columns]
    extra = _EXTRA_SUITES.get(key)
    if extra:
        extra_frames, extra_rules = extra(con, settings)
        frames.update(extra_frames)
        rules += extra_rules
    return frames, rules


def _between_0_and_1(column: str) -> Rule:
    return Rule(
        f"{column}_between_0_and_1",
        gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1),
        "rates",
        ERROR,
        show_values=True,
    )


def _connect_rate_suite(con: duckdb.DuckDBPyConnection, settings: Settings) -> Suite:
    rates = dict(con.execute(_DAILY_CONNECT_RATE).fetchall())
    return _within_sd_of_trailing("connect_rate_within_3_sd", rates)


def _recovery_rate_suite(con: duckdb.DuckDBPyConnection, settings: Settings) -> Suite:
    rates = dict(con.execute(_DAILY_RECOVERY_RATE).fetchall())
    return _within_sd_of_trailing("recovery_rate_within_3_sd", rates)


def _within_sd_of_trailing(label: str, rates: dict[dt.date, float]) -> Suite:
    """The newest day's rate within 3 standard deviations of the 28 days before it (WARN)."""
    if not rates:
        return {}, [Skipped(label, WARN, "no days yet")]
    today = max(rates)
    start = today - dt.timedelta(days=TRAILING_DAYS)
    trailing = [rate for day, rate in rates.items() if start <= day < today]
    if len(trailing) < MIN_TRAILING_DAYS:
        reason = f"{len(trailing)} of the {TRAILING_DAYS} days before {today} have a rate"
        return {}, [Skipped(label, WARN, f"{reason}; needs {MIN_TRAILING_DAYS}")]
    mean, sd = statistics.mean(trailing), statistics.stdev(trailing)
    rule = Rule(
        label,
        # On a one-row frame the column mean is that day's rate: GX reports it as observed.
        gx.expectations.ExpectColumnMeanToBeBetween(
            column="rate", min_value=mean - SD_LIMIT * sd, max_value=mean + SD_LIMIT * sd
        ),
        label,
        WARN,
        facts={
            "day": today,
            "trailing_days": len(trailing),
            "trailing_mean": mean,
            "trailing_sd": sd,
        },
    )
    return {label: pd.DataFrame({"rate": [rates[today]]})}, [rule]


def _call_list_suite(con: duckdb.DuckDBPyConnection, settings: Settings) -> Suite:
    members = frame(con, f"select customer_id, phone_e164 from {'.'.join(CALL_LIST.path)}")
    list_date = list_day(settings)
    expect = gx.expectations
    rules: list[Rule | Skipped] = []
    if list_date.weekday() < 5:
        rules.append(
            Rule(
                "not_empty_on_weekday",
                expect.ExpectTableRowCountToBeBetween(min_value=1),
                "call_list",
                ERROR,
                facts={"list_date": list_date, "weekday": list_date.strftime("%A")},
            )
        )
    else:
        rules.append(Skipped("not_empty_on_weekday", ERROR, f"{list_date} is a {list_date:%A}"))
    rules += [
        # Guests without a customer_id are told apart by their phone (unique in dbt's tests).
        Rule(
            "customer_id_unique",
            expect.ExpectColumnValuesToBeUnique(column="customer_id"),
            "call_list",
            ERROR,
            show_values=True,
        ),
        # Phone numbers never reach the metadata: counts only.
        Rule(
            "phone_e164_not_null",
            expect.ExpectColumnValuesToNotBeNull(column="phone_e164"),
            "call_list",
            ERROR,
        ),
        Rule(
            "phone_e164_is_e164",
            expect.ExpectColumnValuesToMatchRegex(column="phone_e164", regex=E164),
            "call_list",
            ERROR,
            facts={"pattern": E164},
        ),
    ]
    return {"call_list": members}, rules


def list_day(settings: Settings) -> dt.date:
    """The call list's date D as dbt reads it: the as-of date, else today in the program zone."""
    if settings.as_of_date:
        return dt.date.fromisoformat(settings.as_of_date)
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


_EXTRA_SUITES: dict[dg.AssetKey, Callable[[duckdb.DuckDBPyConnection, Settings], Suite]] = {
    CALL_OUTCOMES: _connect_rate_suite,
    CART_RECOVERY: _recovery_rate_suite,
    CALL_LIST: _call_list_suite,
}
