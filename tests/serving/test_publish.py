"""The serving copy: what it holds, what the PII policy withholds, and how it is swapped in."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from listenloop.cli import main
from listenloop.serving import PhonePolicy, PiiPolicy, pii_policy, publish
from listenloop.settings import PROJECT_ROOT, Settings
from tests.serving.reader_loop import stop_reader
from tests.serving.warehouses import make_warehouse

READER = "tests.serving.serving_reader"


def _tables(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            """select table_schema || '.' || table_name, list(column_name order by ordinal_position)
               from information_schema.columns group by all order by 1"""
        ).fetchall()
    return dict(rows)


def test_strict_policy_serves_no_email_and_phones_only_in_the_call_list(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", build=1, carts=5)

    report = publish(warehouse, tmp_path, PiiPolicy())

    assert report.serving_file == tmp_path / "serving.duckdb"
    assert report.rows == {
        "marts.mart_cart_recovery": 5,
        "marts.mart_cx_scorecard": 3,
        "segments.call_list": 10,
        "segments.call_list_history": 10,
    }
    served = _tables(report.serving_file)
    assert served == {
        "main._published": ["published_at", "table_name", "row_count"],
        "marts.mart_cart_recovery": ["build", "cart"],
        # `voicemails` is a count, not an email column
        "marts.mart_cx_scorecard": [
            "build",
            "period",
            "nps",
            "period_start",
            "voicemails",
            "verbatim",
        ],
        "segments.call_list": ["build", "position", "phone_e164"],
        "segments.call_list_history": ["build", "position", "phone_e164"],
    }
    assert report.withheld == {
        "marts.mart_cart_recovery": ["customer_email", "phone_e164"],
        "segments.call_list": ["email"],
        "segments.call_list_history": ["email"],
    }
    # free text keeps its words, and loses the addresses and numbers it quotes
    with duckdb.connect(str(report.serving_file), read_only=True) as con:
        [(verbatim,)] = con.execute(
            "select verbatim from marts.mart_cx_scorecard where period = 1"
        ).fetchall()
    assert verbatim == "Call me on [phone withheld] or mail [email withheld] about order 2026-03-01"
    parquet = {p.name: pq.read_table(p) for p in sorted((tmp_path / "serving").glob("*"))}
    assert sorted(parquet) == [
        "call_list.parquet",
        "call_list_history.parquet",
        "mart_cart_recovery.parquet",
        "mart_cx_scorecard.parquet",
    ]
    assert parquet["mart_cart_recovery.parquet"].column_names == ["build", "cart"]
    assert parquet["call_list.parquet"].num_rows == 10
    # nothing is left behind from the build
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "serving",
        "serving.duckdb",
        "warehouse.duckdb",
    ]


def test_the_policy_is_configurable(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", build=1, carts=2)
    publish(warehouse, tmp_path, pii_policy(emails=True, phones="all"))
    assert _tables(tmp_path / "serving.duckdb")["marts.mart_cart_recovery"] == [
        "build",
        "cart",
        "customer_email",
        "phone_e164",
    ]
    publish(warehouse, tmp_path, PiiPolicy(phones=PhonePolicy.NONE))
    assert _tables(tmp_path / "serving.duckdb")["segments.call_list"] == ["build", "position"]
    with pytest.raises(ValueError, match="LISTENLOOP_SERVING_PHONES is 'some'"):
        pii_policy(emails=False, phones="some")


def test_a_reader_never_sees_a_half_published_copy(tmp_path: Path) -> None:
    """A separate process reads every served table in a loop while the copy is republished."""
    warehouse = tmp_path / "warehouse.duckdb"
    builds = {1: 50, 2: 7, 3: 400, 4: 0}
    expected = {build: [build, carts, 3, 2 * carts, 2 * carts] for build, carts in builds.items()}
    publish(make_warehouse(warehouse, 1, builds[1]), tmp_path, PiiPolicy())
    seen_file = tmp_path / "seen.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-m", READER, str(tmp_path / "serving.duckdb"), str(seen_file)],
        cwd=PROJECT_ROOT,
    )
    try:
        _wait_for_lines(seen_file, 1)
        for build in (2, 3, 4):
            publish(make_warehouse(warehouse, build, builds[build]), tmp_path, PiiPolicy())
            _wait_for_build(seen_file, build)
    finally:
        stop_reader(reader, seen_file)
    seen = [json.loads(line) for line in seen_file.read_text().splitlines()]
    errors = [s for s in seen if "error" in s]
    assert errors == []
    # every read is one whole build: its own build number in every table, its own row counts
    assert all(s["reads"] in expected.values() for s in seen), seen[:5]
    assert {s["reads"][0] for s in seen} == {1, 2, 3, 4}


def _wait_for_lines(path: Path, lines: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= lines:
            return
        time.sleep(0.05)
    raise AssertionError(f"the reader wrote fewer than {lines} lines in 60 s")


def _wait_for_build(path: Path, build: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines()
        if any(json.loads(line).get("reads", [None])[0] == build for line in lines[-20:]):
            return
        time.sleep(0.05)
    raise AssertionError(f"the reader never saw build {build}")


def test_cli_publishes_and_names_what_it_withheld(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", build=1, carts=3)
    serving = tmp_path / "bi"

    code = main(["publish", "--warehouse", str(warehouse), "--serving-dir", str(serving)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"Published 4 tables to {serving / 'serving.duckdb'}" in out
    assert "withheld from marts.mart_cart_recovery (PII policy): customer_email, phone_e164" in out
    before = hashlib.sha256((serving / "serving.duckdb").read_bytes()).hexdigest()
    # a warehouse another process is writing cannot be read: a clear error, the copy untouched
    with duckdb.connect(str(warehouse)):
        code = main(["publish", "--warehouse", str(warehouse), "--serving-dir", str(serving)])
    assert code == 2
    assert "listenloop publish:" in capsys.readouterr().err
    assert hashlib.sha256((serving / "serving.duckdb").read_bytes()).hexdigest() == before


def test_a_mistyped_pii_switch_is_refused_not_read_as_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENLOOP_SERVING_EMAILS", "none")
    with pytest.raises(ValueError, match="LISTENLOOP_SERVING_EMAILS is 'none'"):
        Settings.from_env()
    monkeypatch.setenv("LISTENLOOP_SERVING_EMAILS", "Off")
    assert Settings.from_env().serving_emails is False


def test_dropped_tables_leave_the_parquet_folder_and_an_empty_warehouse_publishes_nothing(
    tmp_path: Path,
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", build=1, carts=2)
    publish(warehouse, tmp_path, PiiPolicy())
    (tmp_path / "serving" / ".call_list.0a1b2c.building").write_bytes(b"killed midway")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.mart_cx_scorecard")
    publish(warehouse, tmp_path, PiiPolicy())
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == [
        "call_list.parquet",
        "call_list_history.parquet",
        "mart_cart_recovery.parquet",
    ]
    before = hashlib.sha256((tmp_path / "serving.duckdb").read_bytes()).hexdigest()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ValueError, match="holds no marts and no call list yet"):
        publish(empty, tmp_path, PiiPolicy())
    assert hashlib.sha256((tmp_path / "serving.duckdb").read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
