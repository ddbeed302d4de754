"""The great-expectations suites and the freshness checks, run by Dagster on hand-built warehouses.

Three DuckDB warehouses share one clean layout: `clean` passes everything; `broken` adds rows that
break ERROR expectations (a negative amount, a future timestamp, unknown enum values, a rate of
1.2, a duplicate customer, a phone that is not E.164); `drifting` breaks only WARN expectations
(a null-share jump, a volume spike, a connect rate 4 sd off). Stand-in assets play dlt and dbt,
so a blocking failure can be seen to stop what sits downstream.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.contract import FEEDS
from listenloop.settings import Settings
from orchestration.defs import build_definitions
from orchestration.defs.dbt_models import build_dbt_assets
from orchestration.quality import build_quality_definitions
from orchestration.quality.checks import CHECK_NAME
from orchestration.quality.freshness import CHECK_NAME as FRESHNESS_CHECK
from orchestration.quality.tables import (
    ASSIGNMENT_RESULTS,
    CALL_LIST,
    CALL_OUTCOMES,
    CART_RECOVERY,
    mart_rate_columns,
)
from tests.dbt.raw_tables import create_raw_tables

ORDERS = dg.AssetKey(["raw", "orders"])
WEDNESDAY, SATURDAY = "2024-03-13", "2024-03-16"
RAW_CHECKS = {dg.AssetCheckKey(dg.AssetKey(["raw", f.name]), CHECK_NAME) for f in FEEDS}
FRESHNESS_CHECKS = {dg.AssetCheckKey(dg.AssetKey(["raw", f.name]), FRESHNESS_CHECK) for f in FEEDS}

_ORDER = "insert into raw.orders (order_id, created_at, total, channel, financial_status)"
CLEAN = [
    # 30 orders a day from 03-04 to 03-11 (the newest complete day), 5 so far on 03-12
    f"""{_ORDER} select 'O' || d || '-' || i, timestamp '2024-03-04 10:00' + to_days(d::int),
        24.5, 'web', 'paid' from range(8) t(d), range(30) s(i)""",
    f"""{_ORDER} select 'O12-' || i, timestamp '2024-03-12 08:00', 10, 'app', 'paid'
        from range(5) s(i)""",
    # one customer in ten without a phone, one with a blank one: 2 of 10
    """insert into raw.customers (customer_id, phone, created_at)
       select 'C' || i, case when i = 0 then null when i = 1 then '  ' else '+1415555010' || i end,
       timestamp '2024-03-12 09:00' from range(10) s(i)""",
    """insert into raw.calls (call_id, phone, direction, started_at, disposition, outcome)
       values ('CL1', '+14155550101', 'outbound', '2024-03-12 10:00', 'connected', 'none')""",
    # 28 days alternating 30 % and 50 % outbound connects, then 40 % on 03-12; inbound apart
    """insert into marts.mart_call_outcomes_daily (call_date, direction, attempts, connects,
       connect_rate) select date '2024-02-13' + d::int, 'outbound', 100, 30 + 20 * (d % 2),
       (30 + 20 * (d % 2)) / 100 from range(28) t(d)""",
    """insert into marts.mart_call_outcomes_daily (call_date, direction, attempts, connects,
       connect_rate, abandoned_rate) values ('2024-03-12', 'outbound', 100, 40, 0.4, null),
       ('2024-03-12', 'inbound', 50, 50, 1.0, 0.0)""",
    """insert into marts.mart_cart_recovery (recovery_rate, recovery_rate_ci_low,
       recovery_rate_ci_high) values (0.35, 0.3, 0.4), (0.08, 0.02, 0.2)""",
    # 03-09 and 03-10 have closed every window (50 % and 25 %); 03-11 has not
    """insert into intermediate.int_outcomes__assignment_results values
       ('cart_abandoner', 'treatment', '2024-03-09', true, true),
       ('cart_abandoner', 'treatment', '2024-03-09', false, true),
       ('cart_abandoner', 'treatment', '2024-03-10', true, true),
       ('cart_abandoner', 'treatment', '2024-03-10', false, true),
       ('cart_abandoner', 'treatment', '2024-03-10', false, true),
       ('cart_abandoner', 'treatment', '2024-03-10', false, true),
       ('cart_abandoner', 'treatment', '2024-03-11', false, false),
       ('cart_abandoner', 'holdout', '2024-03-11', true, true)""",
    """insert into segments.call_list values ('C1', '+14155550101'), ('C2', '+442079460958'),
       (null, '+14155550109')""",
]
BROKEN = [
    f"{_ORDER} values ('O-neg', '2024-03-11 12:00', -5, 'web', 'paid')",
    f"{_ORDER} values ('O-fax', '2024-03-11 13:00', 20, 'fax', 'paid')",
    """insert into raw.calls (call_id, direction, started_at, disposition)
       values ('CL-future', 'outbound', '2099-01-01 09:00', 'hung_up')""",
    "update marts.mart_cart_recovery set recovery_rate = 1.2 where recovery_rate = 0.35",
    "insert into segments.call_list values ('C1', '+14155550104'), ('C3', '0044 20 7946')",
]
DRIFTING = [
    "update raw.customers set phone = null where customer_id in ('C2', 'C3', 'C4')",
    f"{_ORDER} select 'O-extra-' || i, timestamp '2024-03-11 15:00', 9, 'web', 'paid' "
    "from range(40) s(i)",
    """update marts.mart_call_outcomes_daily set connects = 81, connect_rate = 0.81
       where call_date = '2024-03-12' and direction = 'outbound'""",
]


def build_warehouse(path: Path, statements: Iterable[str]) -> Path:
    """Every table the checks read, laid out as ingestion and dbt write them, then `statements`."""
    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
        # The shared fixture predates dlt's load id; the real table has it.
        con.execute("alter table raw.ingested_files add column load_id varchar")
        for schema in ("marts", "intermediate", "segments"):
            con.execute(f"create schema {schema}")
        for key, rates in mart_rate_columns().items():
            columns = ", ".join(f"{rate} double" for rate in rates)
            con.execute(f"create table {'.'.join(key.path)} ({columns})")
        for column in ("call_date date", "direction varchar", "attempts int", "connects int"):
            con.execute(f"alter table {'.'.join(CALL_OUTCOMES.path)} add column {column}")
        con.execute(
            f"""create table {".".join(ASSIGNMENT_RESULTS.path)} (segment varchar, arm varchar,
                assigned_on date, is_converted boolean, is_conversion_window_complete boolean)"""
        )
        con.execute(
            f"create table {'.'.join(CALL_LIST.path)} (customer_id varchar, phone_e164 varchar)"
        )
        for statement in statements:
            con.execute(statement)
    return path


def quality_defs(settings: Settings, selection: dg.AssetSelection | None = None) -> dg.Definitions:
    """The quality definitions, with stand-ins for the assets they check and one downstream;
    job `quality` runs `selection` (everything by default)."""
    # the real dbt steps only decide how the mart suites are grouped into steps
    quality = build_quality_definitions(settings, build_dbt_assets(settings))
    specs = [spec for checks in quality.asset_checks for spec in checks.check_specs]
    checked = {spec.asset_key for spec in specs} | {
        dep.asset_key for spec in specs for dep in spec.additional_deps
    }

    # The tables are built by hand before the run: these stand in for dlt and dbt.
    @dg.multi_asset(specs=[dg.AssetSpec(key) for key in sorted(checked, key=str)], can_subset=True)
    def warehouse_tables(context: dg.AssetExecutionContext):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)

    @dg.asset(deps=[ORDERS])
    def orders_report() -> None:
        """Downstream of raw/orders: runs only when its blocking checks let it."""

    return dg.Definitions.merge(
        quality,
        dg.Definitions(
            assets=[warehouse_tables, orders_report],
            jobs=[dg.define_asset_job("quality", selection=selection or dg.AssetSelection.all())],
        ),
    )


def run_checks(
    warehouse: Path, as_of_date: str = WEDNESDAY, selection: dg.AssetSelection | None = None
) -> dg.ExecuteInProcessResult:
    settings = Settings.from_env(warehouse=warehouse, as_of_date=as_of_date, timezone="UTC")
    job = quality_defs(settings, selection).resolve_job_def("quality")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


def suites(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The suite results by table: 'raw/orders', 'segments/call_list', ..."""
    return {
        e.asset_key.to_user_string(): e
        for e in result.get_asset_check_evaluations()
        if e.check_name == CHECK_NAME
    }


def entry(evaluation: dg.AssetCheckEvaluation, label: str) -> dict:
    return evaluation.metadata[label].value


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The clean warehouse and the digest of its bytes before any check read it."""
    path = build_warehouse(tmp_path_factory.mktemp("clean") / "w.duckdb", CLEAN)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clean(clean_warehouse: tuple[Path, str]) -> dg.ExecuteInProcessResult:
    return run_checks(clean_warehouse[0])


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dg.ExecuteInProcessResult:
    root = tmp_path_factory.mktemp("broken")
    return run_checks(build_warehouse(root / "w.duckdb", CLEAN + BROKEN))


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory) -> dg.ExecuteInProcessResult:
    root = tmp_path_factory.mktemp("drifting")
    return run_checks(build_warehouse(root / "w.duckdb", CLEAN + DRIFTING))


def test_clean_warehouse_passes_every_suite(clean: dg.ExecuteInProcessResult) -> None:
    results = suites(clean)
    assert clean.success
    assert set(results) == {
        *(f"raw/{f.name}" for f in FEEDS),
        *(k.to_user_string() for k in mart_rate_columns()),
        "segments/call_list",
    }
    assert {name: e.passed for name, e in results.items() if not e.passed} == {}
    # a passing suite that holds blocking expectations reports ERROR severity
    assert {e.severity for e in results.values()} == {dg.AssetCheckSeverity.ERROR}
    assert clean.asset_materializations_for_node("orders_report")


def test_checks_never_write_the_warehouse(
    clean_warehouse: tuple[Path, str], clean: dg.ExecuteInProcessResult
) -> None:
    path, before = clean_warehouse
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["w.duckdb"]  # no WAL either


def test_clean_raw_suite_reports_each_observed_value(clean: dg.ExecuteInProcessResult) -> None:
    orders = suites(clean)["raw/orders"]
    assert orders.description == "9/9 expectations passed; 1 skipped."
    assert entry(orders, "newest_day_row_count") == {
        "success": True,
        "severity": "WARN",
        "observed_value": 30,
        "min_value": 15.0,
        "max_value": 60.0,
        "day": "2024-03-11",
        "baseline_median": 30,
        "baseline_days": 7,
    }
    assert entry(orders, "total_not_negative") == {
        "success": True,
        "severity": "ERROR",
        "observed_value": 0,
        "unexpected_share": 0.0,
        "rows": 245,
        "min_value": 0.0,
    }
    customers = suites(clean)["raw/customers"]
    # a blank phone counts as missing
    assert entry(customers, "phone_null_share") == {
        "success": True,
        "severity": "WARN",
        "observed_value": 2,
        "unexpected_share": 0.2,
        "rows": 10,
        "max_null_share": 0.2,
    }


def test_raw_suites_skip_what_they_cannot_judge(clean: dg.ExecuteInProcessResult) -> None:
    results = suites(clean)
    assert entry(results["raw/calls"], "newest_day_row_count") == {
        "skipped": "data starts 2024-03-12; 2024-03-11 needs 7 days before it",
        "severity": "WARN",
    }
    refunds = results["raw/refunds"]
    assert refunds.description == "1/1 expectations passed; 2 skipped."
    assert entry(refunds, "newest_day_row_count")["skipped"] == "no dated rows yet"


def test_clean_mart_suites(clean: dg.ExecuteInProcessResult) -> None:
    results = suites(clean)
    outcomes = results["marts/mart_call_outcomes_daily"]
    assert entry(outcomes, "connect_rate_within_3_sd") == {
        "success": True,
        "severity": "WARN",
        "observed_value": 0.4,
        "min_value": 0.094495,
        "max_value": 0.705505,
        "day": "2024-03-12",
        "trailing_days": 28,
        "trailing_mean": 0.4,
        "trailing_sd": 0.101835,
    }
    assert entry(outcomes, "abandoned_rate_between_0_and_1")["rows"] == 30
    recovery = results["marts/mart_cart_recovery"]
    assert entry(recovery, "recovery_rate_within_3_sd") == {
        "skipped": "1 of the 28 days before 2024-03-10 have a rate; needs 7",
        "severity": "WARN",
    }
    call_list = results["segments/call_list"]
    assert entry(call_list, "not_empty_on_weekday") == {
        "success": True,
        "severity": "ERROR",
        "observed_value": 3,
        "min_value": 1,
        "list_date": WEDNESDAY,
        "weekday": "Wednesday",
    }
    # the guest without a customer_id is no duplicate
    assert entry(call_list, "customer_id_unique")["observed_value"] == 0


def test_broken_rows_fail_the_blocking_expectations(broken: dg.ExecuteInProcessResult) -> None:
    results = suites(broken)
    orders, calls = results["raw/orders"], results["raw/calls"]
    assert (orders.passed, orders.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert orders.description == (
        "7/9 expectations passed; failed: total_not_negative (ERROR), channel_in_enum (ERROR);"
        " 1 skipped."
    )
    assert entry(orders, "total_not_negative") == {
        "success": False,
        "severity": "ERROR",
        "observed_value": 1,
        "unexpected_share": 0.004049,
        "rows": 247,
        "unexpected_values": [-5.0],
        "min_value": 0.0,
    }
    assert entry(orders, "channel_in_enum")["unexpected_values"] == ["fax"]
    assert entry(orders, "newest_day_row_count")["observed_value"] == 32  # still in the band
    future = entry(calls, "started_at_not_in_future")
    assert (future["success"], future["observed_value"]) == (False, "2099-01-01T09:00:00")
    clock = dt.datetime.fromisoformat(future["max_value"]) - dt.timedelta(minutes=10)
    assert abs(clock - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=1)
    assert entry(calls, "answered_at_not_in_future") == {
        "skipped": "no values yet",
        "severity": "ERROR",
    }
    assert entry(calls, "disposition_in_enum")["unexpected_values"] == ["hung_up"]
    assert (calls.passed, calls.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert results["raw/customers"].passed


def test_broken_marts_and_call_list(broken: dg.ExecuteInProcessResult) -> None:
    results = suites(broken)
    recovery = results["marts/mart_cart_recovery"]
    assert (recovery.passed, recovery.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert entry(recovery, "recovery_rate_between_0_and_1") == {
        "success": False,
        "severity": "ERROR",
        "observed_value": 1,
        "unexpected_share": 0.5,
        "rows": 2,
        "unexpected_values": [1.2],
        "min_value": 0.0,
        "max_value": 1.0,
    }
    call_list = results["segments/call_list"]
    assert call_list.description == (
        "2/4 expectations passed; failed: customer_id_unique (ERROR), phone_e164_is_e164 (ERROR)."
    )
    assert entry(call_list, "customer_id_unique")["unexpected_values"] == ["C1", "C1"]
    assert entry(call_list, "phone_e164_is_e164") == {
        "success": False,
        "severity": "ERROR",
        "observed_value": 1,
        "unexpected_share": 0.2,
        "rows": 5,
        "pattern": r"^\+[1-9]\d{7,14}$",
    }
    # phone numbers never reach the metadata
    metadata = json.dumps({k: v.value for k, v in call_list.metadata.items()})
    assert "7946" not in metadata
    assert "+1415" not in metadata


def test_blocking_failure_stops_what_is_downstream(broken: dg.ExecuteInProcessResult) -> None:
    assert not broken.success
    failed = {e.step_key for e in broken.all_events if e.is_step_failure}
    # cart recovery and the call list are built by the same dbt step, so checked in one
    assert failed == {"raw_feed_expectations", "listenloop_dbt_after_daily_expectations"}
    assert not broken.asset_materializations_for_node("orders_report")


def test_drift_warns_without_blocking(drifting: dg.ExecuteInProcessResult) -> None:
    results = suites(drifting)
    warned = {name: e.description for name, e in results.items() if not e.passed}
    assert warned == {
        "raw/customers": "1/2 expectations passed; failed: phone_null_share (WARN); 2 skipped.",
        "raw/orders": "8/9 expectations passed; failed: newest_day_row_count (WARN); 1 skipped.",
        "marts/mart_call_outcomes_daily": (
            "3/4 expectations passed; failed: connect_rate_within_3_sd (WARN)."
        ),
    }
    assert {results[name].severity for name in warned} == {dg.AssetCheckSeverity.WARN}
    assert entry(results["raw/customers"], "phone_null_share")["unexpected_share"] == 0.5
    assert entry(results["raw/orders"], "newest_day_row_count")["observed_value"] == 70
    connect = entry(results["marts/mart_call_outcomes_daily"], "connect_rate_within_3_sd")
    assert (connect["success"], connect["observed_value"]) == (False, 0.81)
    assert (connect["max_value"], connect["trailing_sd"]) == (0.705505, 0.101835)
    assert drifting.success
    assert drifting.asset_materializations_for_node("orders_report")


@pytest.mark.parametrize(
    ("as_of_date", "passed", "row_count"),
    [
        (
            WEDNESDAY,
            False,
            {
                "success": False,
                "severity": "ERROR",
                "observed_value": 0,
                "min_value": 1,
                "list_date": WEDNESDAY,
                "weekday": "Wednesday",
            },
        ),
        (SATURDAY, True, {"skipped": "2024-03-16 is a Saturday", "severity": "ERROR"}),
    ],
)
def test_empty_call_list_fails_on_weekdays_only(
    tmp_path: Path, as_of_date: str, passed: bool, row_count: dict
) -> None:
    warehouse = build_warehouse(tmp_path / "w.duckdb", [])
    result = run_checks(warehouse, as_of_date, dg.AssetSelection.assets(CALL_LIST))
    [call_list] = suites(result).values()
    assert (call_list.passed, call_list.severity) == (passed, dg.AssetCheckSeverity.ERROR)
    assert entry(call_list, "not_empty_on_weekday") == row_count


def test_freshness_flags_feeds_without_new_rows_for_26_hours(tmp_path: Path) -> None:
    now = time.time()
    loads = [
        ("orders", now - 27 * 3600, 30),
        ("orders", now - 3600, 0),  # a file without rows is no new data
        ("calls", now - 2 * 3600, 12),
    ]
    warehouse = build_warehouse(
        tmp_path / "w.duckdb",
        [
            "insert into raw.ingested_files (feed, source_file, rows_read, rows_loaded,"
            f" rows_quarantined, load_id) values ('{feed}', '{feed}/{at}.csv', {rows}, {rows}, 0,"
            f" '{at:.6f}')"
            for feed, at, rows in loads
        ],
    )
    result = run_checks(warehouse, selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS))
    found = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert set(found) == {f.name for f in FEEDS}
    assert {e.severity for e in found.values()} == {dg.AssetCheckSeverity.WARN}
    assert {name for name, e in found.items() if e.passed} == {"calls"}
    orders = found["orders"]
    assert orders.description == "New orders rows were last loaded 27.0 hours ago."
    assert orders.metadata["hours_without_new_data"].value == 27.0
    assert orders.metadata["last_new_data_at"].value == pytest.approx(now - 27 * 3600, abs=1e-5)
    assert orders.metadata["max_hours_without_new_data"].value == 26.0
    assert found["calls"].metadata["hours_without_new_data"].value == 2.0
    assert found["customers"].description == "No customers rows have ever been loaded."
    assert result.success  # WARN never fails the run


def test_freshness_checks_run_every_hour_on_their_own(tmp_path: Path) -> None:
    settings = Settings.from_env(warehouse=tmp_path / "w.duckdb", timezone="UTC")
    defs = quality_defs(settings)
    [sensor] = defs.sensors
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.asset_selection.resolve_checks(defs.resolve_asset_graph()) == FRESHNESS_CHECKS
    requested = []
    cursor = None
    with dg.DagsterInstance.ephemeral() as instance:
        for minute in (10 * 60 + 30, 10 * 60 + 50, 11 * 60 + 5):
            evaluation = dg.evaluate_automation_conditions(
                defs=defs,
                instance=instance,
                evaluation_time=dt.datetime(2024, 3, 13, tzinfo=dt.UTC)
                + dt.timedelta(minutes=minute),
                cursor=cursor,
            )
            cursor = evaluation.cursor
            requested.append({r.key for r in evaluation.results if r.true_subset.size})
    assert requested == [set(), set(), FRESHNESS_CHECKS]


def test_the_code_location_registers_every_quality_check(tmp_path: Path) -> None:
    settings = Settings.from_env(feeds_dir=str(tmp_path / "feeds"), warehouse=tmp_path / "w.db")
    graph = build_definitions(settings).resolve_asset_graph()
    checks = {key: graph.get(key) for key in graph.asset_check_keys}
    suites_found = {k for k in checks if k.name == CHECK_NAME}
    mart_suites = {dg.AssetCheckKey(k, CHECK_NAME) for k in [*mart_rate_columns(), CALL_LIST]}
    assert suites_found == RAW_CHECKS | mart_suites
    assert {k for k in checks if k.name == FRESHNESS_CHECK} == FRESHNESS_CHECKS
    assert all(checks[k].blocking for k in suites_found)
    assert not any(checks[k].blocking for k in FRESHNESS_CHECKS)
    # the daily recovery rate is read from the table the weekly mart is built from
    recovery = checks[dg.AssetCheckKey(CART_RECOVERY, CHECK_NAME)]
    assert recovery.parent_entity_keys == {CART_RECOVERY, ASSIGNMENT_RESULTS}
