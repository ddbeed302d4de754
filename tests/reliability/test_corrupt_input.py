"""Corrupt deliveries beside good ones, through `listenloop run` as a real process.

A file that cannot be read as a whole (truncated Parquet, a zip archive named .csv, an empty file,
a header without a required column, a CSV without its header row) is refused: quarantined as one
row numbered 0, and listed in the run's report with the reason. Junk inside an otherwise good
file (binary bytes in a CSV, a JSONL line that is not JSON, a CSV cut off mid-record) refuses
only those records. Every other row loads: the raw tables hold exactly the rows of the generated
feeds.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.reliability.runs import (
    generate_feeds,
    generated_files,
    report_refused,
    run_listenloop,
    warehouse_path,
)

CUSTOMERS, DAYS, SEED = 150, 8, 7
# Every byte but the line breaks, the quote and the separator, so the junk is one CSV record of
# one field: NUL, control bytes, and 0x80-0xff that are not UTF-8.
JUNK = bytes(b for b in range(256) if b not in b'\n\r",')
# A zip archive dropped into the folder under a .csv name.
ZIP_AS_CSV = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 8
NOT_JSON = b'{"checkout_id": "K99999999", "created_at": '


@dataclass(frozen=True)
class Delivered:
    feeds: Path
    truth: dict
    report: str
    added: int  # files put beside the generated ones
    refused: dict[str, str]  # source file -> the reason the test expects
    junk_rows: dict[str, list[tuple[int, str]]]  # source file -> (record, reason) it expects
    good_rows: dict[str, tuple[int, set[str]]]  # junk's file -> its own records, and their keys
    warehouse: Path


def _first(folder: Path, suffix: str) -> Path:
    return sorted(folder.glob(f"*{suffix}"))[0]


def _insert_line(path: Path, after: int, line: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([*lines[: after + 1], line, *lines[after + 1 :]]))


def _records_and_keys(path: Path, key: str) -> tuple[int, set[str]]:
    """A generated file's records and primary keys, as DuckDB's own readers see them."""
    reader = "read_csv" if path.suffix == ".csv" else "read_json"
    with duckdb.connect() as con:
        rows = con.execute(f"select {key}::varchar from {reader}(?)", [str(path)]).fetchall()
    return len(rows), {k for (k,) in rows if k is not None}


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n", 1)[0].replace('"', "").split(",")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Delivered:
    root = tmp_path_factory.mktemp("corrupt")
    truth = generate_feeds(root, CUSTOMERS, DAYS, SEED)
    feeds = root / "feeds"
    refused: dict[str, str] = {}

    # Copies of real files, damaged: the originals still deliver their rows.
    parquet = _first(feeds / "calls", ".parquet")
    truncated = parquet.with_name(f"{parquet.stem}-resent.parquet")
    truncated.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])
    refused[f"calls/{truncated.name}"] = (
        "unreadable Parquet (Parquet magic bytes not found in footer. Either the file is"
        " corrupted or this is not a parquet file.)"
    )
    (feeds / "orders" / "2026-07-08-export.csv").write_bytes(ZIP_AS_CSV)
    refused["orders/2026-07-08-export.csv"] = "not a text file: its header line holds NUL bytes"
    (feeds / "surveys" / "2026-07-08-late.jsonl").write_bytes(b"")
    refused["surveys/2026-07-08-late.jsonl"] = "file is empty (0 bytes)"

    orders_csv = _first(feeds / "orders", ".csv")
    no_key = orders_csv.with_name(f"{orders_csv.stem}-v2.csv")
    no_key.write_bytes(orders_csv.read_bytes().replace(b'"order_id"', b'"id"', 1))
    refused[f"orders/{no_key.name}"] = (
        f"has no order_id column (columns: {', '.join(_header(no_key))})"
    )
    calls_csv = _first(feeds / "calls", ".csv")
    renamed = calls_csv.with_name(f"{calls_csv.stem}-v2.csv")
    renamed.write_bytes(calls_csv.read_bytes().replace(b'"started_at"', b'"start_time"', 1))
    refused[f"calls/{renamed.name}"] = (
        f"has no started_at column (columns: {', '.join(_header(renamed))})"
    )
    customers_csv = _first(feeds / "customers", ".csv")
    headless = customers_csv.with_name(f"{customers_csv.stem}-v2.csv")
    headless.write_bytes(customers_csv.read_bytes().split(b"\n", 1)[1])
    refused[f"customers/{headless.name}"] = (
        "none of its 9 columns is a customers column"
        " (is the header row missing, or is this another feed's file?)"
    )

    # A transfer cut off inside a quoted value. A first day's file holds no planted faults, so
    # its first records are good.
    lines = customers_csv.read_bytes().split(b"\n")
    partial = customers_csv.with_name(f"{customers_csv.stem}-partial.csv")
    partial.write_bytes(b"\n".join(lines[:4]) + b"\n" + lines[4][: lines[4].index(b',"') + 4])
    complete = {row[0] for row in csv.reader(line.decode() for line in lines[1:4])}
    added = len(refused) + 1

    # Junk inside real files: only the junk records are refused.
    checkouts_jsonl = _first(feeds / "checkouts", ".jsonl")
    good_rows = {
        f"customers/{customers_csv.name}": _records_and_keys(customers_csv, "customer_id"),
        f"checkouts/{checkouts_jsonl.name}": _records_and_keys(checkouts_jsonl, "checkout_id"),
        f"customers/{partial.name}": (3, complete),
    }
    _insert_line(customers_csv, after=2, line=JUNK)
    _insert_line(checkouts_jsonl, after=1, line=NOT_JSON)
    _insert_line(checkouts_jsonl, after=4, line=JUNK)
    junk_rows = {
        f"customers/{customers_csv.name}": [
            (3, "customers: record 3 holds bytes that are not UTF-8 text, or NUL bytes")
        ],
        f"checkouts/{checkouts_jsonl.name}": [
            (3, "checkouts: record 3 is not valid JSON (Expecting value at column 44)"),
            (6, "checkouts: record 6 holds NUL bytes"),
        ],
        f"customers/{partial.name}": [(4, "customers: record 4 has 2 fields, the header has 9")],
    }

    end = truth["generator"]["end_date"]
    result = run_listenloop(feeds, root, end, first_list_date=truth["generator"]["start_date"])
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return Delivered(
        feeds, truth, result.stdout, added, refused, junk_rows, good_rows, warehouse_path(root)
    )


def _query(delivered: Delivered, sql: str) -> list[tuple]:
    with duckdb.connect(str(delivered.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_report_lists_every_refused_file_with_its_reason(delivered: Delivered) -> None:
    assert report_refused(delivered.report) == delivered.refused
    files = generated_files(delivered.truth) + delivered.added
    assert f"Files read this run: {files} " in delivered.report


def test_each_refused_file_is_one_quarantine_row_numbered_0(delivered: Delivered) -> None:
    rows = _query(
        delivered,
        "select source_file, rule, reason, raw_record from raw.quarantine where source_row = 0",
    )
    assert sorted(rows) == sorted(
        (file, "unreadable_file", f"{file}: {reason}", None)
        for file, reason in delivered.refused.items()
    )
    # The headerless file's first row, a customer's email and phone, stayed out of the reason.
    assert not [r for _, _, r, _ in rows if "@" in r or re.search(r"\d{7}", r)]


def test_junk_records_are_refused_and_the_rest_of_their_files_loads(
    delivered: Delivered,
) -> None:
    malformed = _query(
        delivered,
        "select source_file, source_row, reason from raw.quarantine"
        " where rule = 'malformed_record' order by 1, 2",
    )
    assert malformed == sorted(
        (file, row, reason) for file, rows in delivered.junk_rows.items() for row, reason in rows
    )
    for source_file, (records, keys) in delivered.good_rows.items():
        feed = source_file.split("/")[0]
        junk = len(delivered.junk_rows[source_file])
        [(read, loaded, quarantined)] = _query(
            delivered,
            "select rows_read, rows_loaded, rows_quarantined from raw.ingested_files"
            f" where source_file = '{source_file}'",
        )
        assert (read, loaded + quarantined) == (records + junk, records + junk)
        key = "customer_id" if feed == "customers" else "checkout_id"
        raw_keys = {k for (k,) in _query(delivered, f"select {key} from raw.{feed}")}
        assert keys and keys <= raw_keys, source_file


def test_every_file_reads_as_loaded_plus_quarantined(delivered: Delivered) -> None:
    unbalanced = _query(
        delivered,
        "select source_file from raw.ingested_files"
        " where rows_read <> rows_loaded + rows_quarantined",
    )
    assert unbalanced == []


def test_nothing_else_is_lost(delivered: Delivered) -> None:
    rows = delivered.truth["rows"]
    for feed, counts in rows.items():
        [(loaded,)] = _query(delivered, f"select count(*) from raw.{feed}")
        assert loaded == counts["expected_raw_rows"], feed
    quarantined = dict(_query(delivered, "select feed, count(*) from raw.quarantine group by 1"))
    expected = {
        feed: sum(kinds.values()) for feed, kinds in delivered.truth["expected_quarantine"].items()
    }
    for source_file in delivered.refused:
        expected[source_file.split("/")[0]] += 1
    for source_file, junk in delivered.junk_rows.items():
        expected[source_file.split("/")[0]] += len(junk)
    assert quarantined == {feed: n for feed, n in expected.items() if n}
