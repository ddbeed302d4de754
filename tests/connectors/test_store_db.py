"""The store_db source against the machine's real MariaDB (WooCommerce) and PostgreSQL.

One scenario per schema flavour, run once and shared by the tests (store_databases.py holds
the rows and the hand-derived numbers):

1. load 1, a first full load;
2. new rows; load 2 runs in a subprocess reading one row per batch and is SIGKILLed once the
   first orders batch has landed; load 2 runs again, to completion, in this process;
3. a late refund (a week later); load 3;
4. a run with a wrong password; then the staging models are built over the warehouse.

The reader account has a password, logging is at DEBUG throughout, and the tests look for the
password everywhere it must not be.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dlt.common.versioned_state import decompress_state

from ingestion.contract import FEEDS_BY_NAME
from ingestion.pipeline import make_pipeline
from ingestion.sources import SOURCES
from ingestion.sources.store_db import FEEDS_DELIVERED, StoreDbError, store_db_source
from tests.connectors.staging import staging_counts
from tests.connectors.store_databases import (
    FIRST,
    LATE_REFUND,
    QUARANTINED,
    ROWS_READ,
    SECOND,
    StoreDatabase,
    at,
    postgres_store,
    store_database,
)
from tests.dbt.test_dbt_build import run_dbt
from tests.warehouse import query

PIPELINE = SOURCES["store_db"].pipeline_name
REPO = Path(__file__).resolve().parents[2]
KILL_WAIT_SECONDS = 60.0
D = Decimal


class _Collect(logging.Handler):
    """Every record logged while a scenario runs, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Scenario:
    flavour: str
    warehouse: Path
    password: str
    credentials: str
    loads: dict[int, str] = field(default_factory=dict)  # load number -> dlt load id
    fetched: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # keys each load read
    after_load_1: dict[str, list[tuple]] = field(default_factory=dict)  # raw rows, by feed
    raw_after: dict[str, dict[str, int]] = field(default_factory=dict)  # step -> raw counts
    killed_returncode: int | None = None
    killed_output: str = ""
    logs: str = ""
    wrong_password_error: str = ""
    staging: dict[str, int] = field(default_factory=dict)
    database: dict[str, int] = field(default_factory=dict)


def _run(warehouse: Path) -> str:
    info = make_pipeline(warehouse, PIPELINE).run(store_db_source(list(FEEDS_DELIVERED)))
    info.raise_on_failed_jobs()
    (load_id,) = info.loads_ids
    return load_id


def _raw_counts(warehouse: Path) -> dict[str, int]:
    tables = {t for (t,) in query(warehouse, "select table_name from duckdb_tables()")}
    return {
        name: query(warehouse, f"select count(*) from raw.{name}")[0][0] if name in tables else 0
        for name in (*FEEDS_DELIVERED, "quarantine", "ingested_files")
    }


def _fetched(warehouse: Path, load_id: str) -> dict[str, list[str]]:
    """The keys of the rows `load_id` landed, read right after it (a later load replaces them)."""
    return {
        feed: sorted(
            key
            for (key,) in query(
                warehouse,
                f"select {FEEDS_BY_NAME[feed].primary_key} from raw.{feed} "
                "where _source_file like ?",
                [f"%/{load_id}/%"],
            )
        )
        for feed in FEEDS_DELIVERED
    }


def _killed_load(store: StoreDatabase, warehouse: Path, work: Path) -> tuple[int, str]:
    """Load 2 in a subprocess, one row per batch, SIGKILLed after its first orders batch."""
    marker = work / "paused"
    env = {
        **os.environ,
        **store.settings_env(chunk_size=1),
        "RUNTIME__LOG_LEVEL": "DEBUG",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with (work / "killed.out").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.connectors.store_db_run", str(warehouse), "orders",
             str(marker)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        paused = marker.exists()
        process.send_signal(signal.SIGKILL)
        process.wait()
    output = (work / "killed.out").read_text()
    assert paused, f"the load never reached its first orders batch:\n{output[-3000:]}"
    return process.returncode, output


@pytest.fixture(scope="module", params=["woocommerce", "postgres_store"])
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    flavour: str = request.param
    work = tmp_path_factory.mktemp(f"store_db_{flavour}")
    warehouse = work / "warehouse.duckdb"
    collect = _Collect()
    collect.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    watched = [logging.getLogger(), logging.getLogger("dlt"), logging.getLogger("sqlalchemy")]
    levels = [logger.level for logger in watched]
    with store_database(flavour) as store, pytest.MonkeyPatch.context() as env:
        for name, value in {**store.settings_env(), "RUNTIME__LOG_LEVEL": "DEBUG"}.items():
            env.setenv(name, value)
        for logger in watched:
            logger.addHandler(collect)
            logger.setLevel(logging.DEBUG)
        run = Scenario(flavour, warehouse, store.password, store.credentials())
        try:
            store.write(FIRST)
            run.loads[1] = _run(warehouse)
            run.raw_after["load 1"] = _raw_counts(warehouse)
            run.fetched[1] = _fetched(warehouse, run.loads[1])
            run.after_load_1 = {
                feed: query(
                    warehouse,
                    f"select * exclude (_source_file, _source_row) from raw.{feed} order by 1",
                )
                for feed in FEEDS_DELIVERED
            }

            store.write(SECOND)
            run.killed_returncode, run.killed_output = _killed_load(store, warehouse, work)
            run.raw_after["killed load 2"] = _raw_counts(warehouse)
            run.loads[2] = _run(warehouse)
            run.raw_after["load 2"] = _raw_counts(warehouse)
            run.fetched[2] = _fetched(warehouse, run.loads[2])

            store.refund_fully(LATE_REFUND)
            run.loads[3] = _run(warehouse)
            run.raw_after["load 3"] = _raw_counts(warehouse)
            run.fetched[3] = _fetched(warehouse, run.loads[3])

            env.setenv("SOURCES__STORE_DB__CREDENTIALS", _wrong_credentials(store))
            with pytest.raises(Exception) as failed:
                _run(work / "wrong_password.duckdb")
            run.wrong_password_error = "".join(traceback.format_exception(failed.value))
        finally:
            for logger, level in zip(watched, levels, strict=True):
                logger.removeHandler(collect)
                logger.setLevel(level)
        run.logs = "\n".join(collect.lines)
        run.database = store.counts()
    # Staging reads seeds (calling codes, concern tags) that staging_counts does not build.
    run_dbt(warehouse, work, "seed")
    run.staging = staging_counts(warehouse, work)
    yield run


def _wrong_credentials(store: StoreDatabase) -> str:
    if store.flavour == "woocommerce":
        return store.credentials(password=store.password + "-wrong")
    # The machine's PostgreSQL trusts 127.0.0.1 and never checks a password: a role that does
    # not exist is the credential it refuses.
    return store.credentials(user=store.reader + "_nobody")


def _file_log(run: Scenario, load: int) -> dict[str, tuple[int, int, int]]:
    rows = query(
        run.warehouse,
        """select feed, sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
           from raw.ingested_files where load_id = ? group by feed""",
        [run.loads[load]],
    )
    return {feed: (int(read), int(loaded), int(bad)) for feed, read, loaded, bad in rows}


def _expected_read(load: int, flavour: str) -> dict[str, int]:
    return {feed: n[flavour] if isinstance(n, dict) else n for feed, n in ROWS_READ[load].items()}


@pytest.mark.services
def test_first_load_maps_each_feed_to_the_contract(scenario: Scenario) -> None:
    run = scenario
    read = _expected_read(1, run.flavour)
    assert _file_log(run, 1) == {
        feed: (n, n - QUARANTINED.get(feed, 0), QUARANTINED.get(feed, 0))
        for feed, n in read.items()
    }
    assert query(
        run.warehouse,
        "select distinct source_file from raw.ingested_files where load_id = ? order by 1",
        [run.loads[1]],
    ) == [(f"store_db/{feed}/{run.loads[1]}/batch-000001",) for feed in sorted(read)]

    woo = run.flavour == "woocommerce"
    checkout = (lambda _: None) if woo else (lambda order: f"chk_{order}")
    app = "web" if woo else "app"  # WooCommerce's created_via has no app
    gbp, zero = "GBP", D("0")
    assert run.after_load_1["orders"] == [
        ("101", "1", checkout(101), at(1, 10), at(1, 10, 5), gbp, D("64.97"), D("5"), D("4.99"),
         D("10"), D("74.96"), "paid", "web"),
        # The refund of 11:30 is the order's newest change: partially refunded from then on.
        ("102", "2", checkout(102), at(1, 11), at(1, 11, 30), gbp, D("40"), zero, zero, zero,
         D("40"), "partially_refunded", "phone"),
        # A guest's order: WooCommerce finds the guest's customer row by the billing email.
        ("103", "4", checkout(103), at(1, 13), at(1, 13), gbp, D("25"), zero, zero, zero,
         D("25"), "pending", app),
        ("104", "3", checkout(104), at(1, 12), at(1, 12, 40), gbp, D("30"), zero, zero, zero,
         D("30"), "voided", "web"),
    ]  # fmt: skip
    april = datetime(2024, 4, 1, 9)
    assert run.after_load_1["customers"] == [
        ("1", "ann@example.com", "+44 20 7946 0958", "Ann", "Archer", "GB", april, at(1, 10),
         True),
        ("2", "ben@example.com", "020 7946 0959", "Ben", "Baker", "GB", april.replace(day=2),
         at(1, 11, 15), False),
        ("3", "cat@example.com", "+1 212 555 0100", "Cat", "Cole", "US", april.replace(day=3),
         at(1, 12), None),
        # A WooCommerce guest has no user meta: the phone of their newest order's billing
        # address, and no consent either way.
        ("4", "gus@example.com", "+44 7700 900123", "Gus", "Gray", "GB", at(1, 13), at(1, 13),
         None),
    ]  # fmt: skip
    category = None if woo else "accessories"  # WooCommerce keeps categories in taxonomies
    assert run.after_load_1["order_lines"] == [
        ("1001", "101", "501", "TEE-RED-M", "T-shirt - Red, M", category, 3, D("19.99")),
        ("1002", "101", "502", "SOCKS", "Socks", category, 1, D("5")),
        ("1003", "102", "503", "MUG", "Mug", category, 1, D("40")),
        ("1004", "104", "504", "CAP", "Cap", category, 1, D("30")),
        ("1005", "103", "505", "SCARF", "Scarf", category, 2, D("12.5")),
        ("1007", "105", "503", "MUG", "Mug", category, 1, D("15")),
    ]
    assert run.after_load_1["refunds"] == [("201", "102", at(1, 11, 30), D("10"), "Damaged box")]


@pytest.mark.services
def test_bad_rows_are_quarantined_with_their_reason_and_counted(scenario: Scenario) -> None:
    run = scenario
    unmapped = "wc-shipped" if run.flavour == "woocommerce" else "chargeback"
    rows = query(
        run.warehouse,
        """select feed, source_file, source_row, field, rule, reason,
                  json_extract_string(raw_record, '$.order_id')
           from raw.quarantine order by feed""",
    )
    load = run.loads[1]
    assert rows == [
        ("order_lines", f"store_db/order_lines/{load}/batch-000001", 1, "quantity",
         "below_minimum", "order_lines.quantity: -1 is below the minimum 0", "105"),
        ("orders", f"store_db/orders/{load}/batch-000001", 1, "financial_status", "not_in_enum",
         f"orders.financial_status: '{unmapped}' is not one of paid, pending, "
         "partially_refunded, refunded, voided", "105"),
    ]  # fmt: skip
    # Counted where they were read, and never again: neither row changed after load 1.
    counted = query(
        run.warehouse,
        "select feed, sum(rows_quarantined) from raw.ingested_files group by feed order by feed",
    )
    assert counted == [("customers", 0), ("order_lines", 1), ("orders", 1), ("refunds", 0)]


@pytest.mark.services
def test_incremental_load_reads_only_new_rows_and_the_lag_window(scenario: Scenario) -> None:
    run = scenario
    read = _expected_read(2, run.flavour)
    assert _file_log(run, 2) == {feed: (n, n, 0) for feed, n in read.items()}
    # New rows, and the rows changed within the hour before load 1's newest one.
    assert run.fetched[2] == {
        "orders": ["103", "104", "107"],
        "customers": ["3", "4", "5"],
        "order_lines": ["1004", "1005", "1008"],
        "refunds": ["201"],
    }
    # Rows read again with an unchanged updated_at are merged, not added.
    assert run.raw_after["load 2"] == {
        "customers": 5,
        "orders": 5,
        "order_lines": 7,
        "refunds": 1,
        "quarantine": 2,
        "ingested_files": 8,
    }


@pytest.mark.services
def test_a_late_refund_lands_as_a_new_version_of_its_order(scenario: Scenario) -> None:
    run = scenario
    read = _expected_read(3, run.flavour)
    assert _file_log(run, 3) == {feed: (n, n, 0) for feed, n in read.items()}
    # Order 107 and customer 5 are read again (inside the lag) and stay one row each; the late
    # refund brings back order 101 (and, in WooCommerce, its lines, which share its date).
    assert run.fetched[3] == {
        "orders": ["101", "107"],
        "customers": ["5"],
        "order_lines": ["1001", "1002", "1008"] if run.flavour == "woocommerce" else ["1008"],
        "refunds": ["201", "202"],
    }
    versions = query(
        run.warehouse,
        "select updated_at, financial_status, total from raw.orders where order_id = '101' "
        "order by updated_at",
    )
    assert versions == [(at(1, 10, 5), "paid", D("74.96")), (at(8, 10), "refunded", D("74.96"))]
    assert query(
        run.warehouse, "select order_id, financial_status from staging.stg_store__orders "
        "where order_id in ('101', '102') order by 1"
    ) == [("101", "refunded"), ("102", "partially_refunded")]  # fmt: skip
    assert query(
        run.warehouse, "select amount, reason, created_at from raw.refunds where refund_id = '202'"
    ) == [(D("74.96"), "Returned everything", at(8, 10))]
    assert run.raw_after["load 3"] == {
        "customers": 5,
        "orders": 6,
        "order_lines": 7,
        "refunds": 2,
        "quarantine": 2,
        "ingested_files": 12,
    }
    _assert_one_row_per_key(run.warehouse)


@pytest.mark.services
def test_a_killed_load_is_read_again_and_lands_exactly_once(scenario: Scenario) -> None:
    run = scenario
    assert run.killed_returncode == -signal.SIGKILL
    # Killed with load 2 under way (one row per batch): nothing of it landed.
    assert run.raw_after["killed load 2"] == run.raw_after["load 1"]
    # The rerun read exactly what an uninterrupted load 2 reads: the killed run had not moved
    # any cursor.
    assert _file_log(run, 2) == {
        feed: (n, n, 0) for feed, n in _expected_read(2, run.flavour).items()
    }
    assert run.raw_after["load 2"]["orders"] == len(FIRST.orders) + len(SECOND.orders) - 1
    _assert_one_row_per_key(run.warehouse)


def _assert_one_row_per_key(warehouse: Path) -> None:
    for name in FEEDS_DELIVERED:
        keys = ", ".join(FEEDS_BY_NAME[name].merge_key)
        total, distinct = query(
            warehouse, f"select count(*), count(distinct ({keys})) from raw.{name}"
        )[0]
        assert total == distinct, name


@pytest.mark.services
def test_the_password_appears_nowhere(scenario: Scenario) -> None:
    run = scenario
    secret = run.password
    # The captures did capture: DEBUG lines of dlt and of this source, and the failure.
    assert "store_db.orders: reading" in run.logs
    assert " DEBUG " in run.logs
    assert secret not in run.logs
    assert "Bind incremental on orders_rows" in run.killed_output
    assert secret not in run.killed_output
    refused = "Access denied for user" if run.flavour == "woocommerce" else "does not exist"
    assert refused in run.wrong_password_error
    assert "store_db: reading " in run.wrong_password_error
    assert secret not in run.wrong_password_error
    assert secret + "-wrong" not in run.wrong_password_error
    assert secret not in _warehouse_text(run.warehouse)
    # Nor in any file of the run: dlt's working folder (state, trace, packages), the subprocess
    # output, dbt's logs, the warehouse file itself.
    files = [f for f in run.warehouse.parent.rglob("*") if f.is_file()]
    assert len(files) > 20
    assert [f for f in files if secret.encode() in f.read_bytes()] == []


def _warehouse_text(warehouse: Path) -> str:
    """Every text value in every table of the warehouse, with dlt's compressed state unpacked."""
    parts: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where data_type = 'VARCHAR'"""
        ).fetchall()
        for schema, table, column in columns:
            values = con.execute(f'select "{column}" from "{schema}"."{table}"').fetchall()
            parts += [str(v) for (v,) in values if v is not None]
        states = con.execute("select state from raw._dlt_pipeline_state").fetchall()
    parts += [str(decompress_state(state)) for (state,) in states]
    assert len(parts) > 100
    return "\n".join(parts)


@pytest.mark.services
def test_staging_counts_equal_the_database_less_what_was_quarantined(scenario: Scenario) -> None:
    run = scenario
    assert run.database == {"customers": 5, "orders": 6, "order_lines": 8, "refunds": 2}
    expected = {feed: rows - QUARANTINED.get(feed, 0) for feed, rows in run.database.items()}
    assert {feed: run.staging[feed] for feed in FEEDS_DELIVERED} == expected
    assert run.staging["checkouts"] == 0  # this source delivers no checkouts


@pytest.mark.services
def test_a_run_of_some_feeds_moves_only_their_cursors(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with postgres_store() as store, pytest.MonkeyPatch.context() as env:
        for name, value in store.settings_env().items():
            env.setenv(name, value)
        store.write(FIRST)
        pipeline = make_pipeline(warehouse, PIPELINE)
        pipeline.run(store_db_source(list(FEEDS_DELIVERED)).with_resources("orders"))
        cursors = pipeline.state["sources"]["store_db"]["resources"]
        assert {
            name: c["incremental"]["updated_at"]["last_value"] for name, c in cursors.items()
        } == {"orders_rows": at(1, 13).replace(tzinfo=UTC)}
        (load_id,) = (
            make_pipeline(warehouse, PIPELINE).run(store_db_source(list(FEEDS_DELIVERED))).loads_ids
        )
    # The second run read every other feed from the start, and orders from its own cursor.
    assert {
        feed: read
        for feed, read in query(
            warehouse,
            "select feed, rows_read from raw.ingested_files where load_id = ?",
            [load_id],
        )
    } == {"customers": 4, "order_lines": 7, "refunds": 1, "orders": 2}


def test_empty_source_tables_still_get_their_raw_tables(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with postgres_store() as store, pytest.MonkeyPatch.context() as env:
        for name, value in store.settings_env().items():
            env.setenv(name, value)
        first = make_pipeline(warehouse, PIPELINE).run(store_db_source(list(FEEDS_DELIVERED)))
        created = query(
            warehouse,
            "select table_name from duckdb_tables()"
            " where schema_name = 'raw' and not starts_with(table_name, '_dlt') order by 1",
        )
        assert [t for (t,) in created] == sorted((*FEEDS_DELIVERED, "quarantine", "ingested_files"))
        assert _raw_counts(warehouse) == dict.fromkeys(
            (*FEEDS_DELIVERED, "quarantine", "ingested_files"), 0
        )
        # rows that arrive later load into the tables the empty run created
        store.write(FIRST)
        make_pipeline(warehouse, PIPELINE).run(store_db_source(list(FEEDS_DELIVERED)))
    assert len(first.loads_ids) == 1
    assert _raw_counts(warehouse)["orders"] == 4


def test_building_the_source_reads_no_setting_and_a_missing_one_names_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SOURCES__STORE_DB__"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SOURCES__STORE_DB__SCHEMA_FLAVOUR", "woocommerce")
    source = store_db_source(["orders", "refunds"])  # no credentials anywhere: still builds
    assert list(source.selected_resources) == ["orders", "refunds"]
    with pytest.raises(Exception) as failed:
        make_pipeline(tmp_path / "w.duckdb", PIPELINE).run(source)
    text = "".join(traceback.format_exception(failed.value))
    assert "store_db: missing setting sources.store_db.credentials" in text
    assert "SOURCES__STORE_DB__CREDENTIALS" in text
    with pytest.raises(ValueError, match="delivers customers, orders, order_lines, refunds"):
        store_db_source(["checkouts"])
    assert issubclass(StoreDbError, RuntimeError)
