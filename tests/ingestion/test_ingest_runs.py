"""Behaviour across deliveries and runs: versions, re-runs, new and changed files, bad files."""

from __future__ import annotations

import os
from decimal import Decimal

import pyarrow as pa
from ingestion_lake import Lake
from synthetic_feeds import expected_rows, write_synthetic_feeds

from ingestion.contract import FEEDS, FEEDS_BY_NAME
from ingestion.feeds_source import feed_counts, feeds_source, make_pipeline

CUSTOMERS_HEADER = "customer_id,email,created_at,updated_at,accepts_phone_contact\n"
REFUNDS_HEADER = "refund_id,order_id,created_at,amount\n"
RAW_TABLES = [*(f.name for f in FEEDS), "quarantine", "ingested_files"]


def snapshot(lake: Lake) -> dict[str, list[tuple]]:
    tables = {
        r[0] for r in lake.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'")
    }
    return {t: lake.query(f"SELECT * FROM raw.{t} ORDER BY ALL") for t in RAW_TABLES if t in tables}


def test_versioned_feed_keeps_history_and_other_feeds_keep_newest(lake: Lake) -> None:
    lake.write(
        "customers/2026-01-01.csv",
        CUSTOMERS_HEADER
        + "C1,a@example.com,2026-01-01T08:00:00Z,,true\n"
        + "C2,b@example.com,2026-01-01T09:00:00Z,2026-01-01T10:00:00Z,true\n",
    )
    lake.write(
        "customers/2026-01-02.jsonl",
        # C1 changed (new updated_at), C2 re-delivered unchanged.
        '{"customer_id": "C1", "email": "a@example.com", "created_at": "2026-01-01T08:00:00Z",'
        ' "updated_at": "2026-01-02T07:00:00Z", "accepts_phone_contact": "no"}\n'
        '{"customer_id": "C2", "email": "b@example.com", "created_at": "2026-01-01T09:00:00Z",'
        ' "updated_at": "2026-01-01T10:00:00Z", "accepts_phone_contact": true}\n',
    )
    lake.write("refunds/2026-01-01.csv", REFUNDS_HEADER + "R1,O1,2026-01-01T12:00:00Z,5.00\n")
    lake.write("refunds/2026-01-02.csv", REFUNDS_HEADER + "R1,O1,2026-01-01T12:00:00Z,4.00\n")
    lake.ingest(["customers", "refunds"])
    assert lake.query(
        "SELECT customer_id, updated_at::VARCHAR, accepts_phone_contact, _source_file "
        "FROM raw.customers ORDER BY 1, 2"
    ) == [
        ("C1", "2026-01-01 08:00:00", True, "customers/2026-01-01.csv"),
        ("C1", "2026-01-02 07:00:00", False, "customers/2026-01-02.jsonl"),
        ("C2", "2026-01-01 10:00:00", True, "customers/2026-01-02.jsonl"),
    ]
    assert lake.query("SELECT refund_id, amount, _source_file FROM raw.refunds") == [
        ("R1", Decimal("4.0000"), "refunds/2026-01-02.csv")
    ]

    # A later run: a third version of C1, and a correction of R1 in a new file.
    lake.write(
        "customers/2026-01-03.csv",
        CUSTOMERS_HEADER + "C1,a@example.com,2026-01-01T08:00:00Z,2026-01-03T07:00:00Z,yes\n",
    )
    lake.write("refunds/2026-01-03.csv", REFUNDS_HEADER + "R1,O1,2026-01-01T12:00:00Z,3.00\n")
    lake.ingest(["customers", "refunds"])
    assert lake.query("SELECT customer_id, count(*) FROM raw.customers GROUP BY 1 ORDER BY 1") == [
        ("C1", 3),
        ("C2", 1),
    ]
    assert lake.query("SELECT refund_id, amount FROM raw.refunds") == [("R1", Decimal("3.0000"))]


def test_second_run_over_same_files_changes_nothing(lake: Lake) -> None:
    write_synthetic_feeds(lake.feeds, days=3)
    lake.write("calls/2026-02-01.csv", "call_id,started_at\nX1,yesterday\nX2,\n")
    first = lake.ingest()
    before = snapshot(lake)
    second = lake.ingest()
    assert snapshot(lake) == before
    assert len(before["quarantine"]) == 2
    assert len(lake.file_log(first.loads_ids[0])) == 22
    assert second.loads_ids == []  # nothing new: no file read, no load package
    for feed, rows in expected_rows(3).items():
        assert lake.query(f"SELECT count(*) FROM raw.{feed}") == [(rows,)]
        assert lake.query(
            "SELECT sum(rows_read) - sum(rows_loaded) - sum(rows_quarantined) "
            "FROM raw.ingested_files WHERE feed = ?",
            [feed],
        ) == [(0,)]


def test_only_new_or_changed_files_are_read(lake: Lake) -> None:
    lake.write("refunds/2026-01-01.csv", REFUNDS_HEADER + "R1,O1,2026-01-01T12:00:00Z,5.00\n")
    lake.write("refunds/2026-01-02.csv", REFUNDS_HEADER + "R2,O2,2026-01-02T12:00:00Z,6.00\n")
    lake.ingest(["refunds"])

    lake.write("refunds/2026-01-03.csv", REFUNDS_HEADER + "R3,O3,2026-01-03T12:00:00Z,7.00\n")
    added = lake.ingest(["refunds"])
    assert lake.file_log(added.loads_ids[0]) == {"refunds/2026-01-03.csv": (1, 1, 0)}

    touched = lake.feeds / "refunds/2026-01-01.csv"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    retouched = lake.ingest(["refunds"])
    assert lake.file_log(retouched.loads_ids[0]) == {"refunds/2026-01-01.csv": (1, 1, 0)}

    lake.write("refunds/2026-01-02.csv", REFUNDS_HEADER + "R2,O2,2026-01-02T12:00:00Z,60.00\n")
    changed = lake.ingest(["refunds"])
    assert lake.file_log(changed.loads_ids[0]) == {"refunds/2026-01-02.csv": (1, 1, 0)}
    assert lake.query("SELECT refund_id, amount FROM raw.refunds ORDER BY 1") == [
        ("R1", Decimal("5.0000")),
        ("R2", Decimal("60.0000")),
        ("R3", Decimal("7.0000")),
    ]
    # Counts describe each file as last read: the re-read file is not counted twice.
    counts = lake.counts(lambda con: feed_counts(con, "refunds"))
    assert (counts["files"], counts["rows_read"], counts["rows_loaded"]) == (3, 3, 3)


def test_a_reread_file_replaces_its_quarantine_rows(lake: Lake) -> None:
    lake.write("refunds/2026-01-01.csv", REFUNDS_HEADER + "R1,,2026-01-01,1\nR2,O2,2026-01-01,2\n")
    lake.ingest(["refunds"])
    lake.write("refunds/2026-01-01.csv", REFUNDS_HEADER + "R1,O1,2026-01-01,1\nR2,O2,never,2\n")
    lake.ingest(["refunds"])
    assert lake.query("SELECT source_row, field FROM raw.quarantine") == [(2, "created_at")]
    assert lake.query("SELECT refund_id FROM raw.refunds ORDER BY 1") == [("R1",), ("R2",)]


def test_unreadable_files_are_quarantined_whole_and_the_rest_loads(lake: Lake) -> None:
    good = lake.write_parquet(
        "orders/2026-01-01.parquet",
        pa.table({"order_id": ["O1"], "created_at": ["2026-01-01T10:00:00Z"]}),
    )
    truncated = lake.write_parquet(
        "orders/2026-01-02.parquet",
        pa.table({"order_id": ["O2"], "created_at": ["2026-01-02T10:00:00Z"]}),
    )
    truncated.write_bytes(truncated.read_bytes()[:-20])
    lake.write("calls/2026-01-01.csv", "")
    lake.write("calls/2026-01-02.csv", "call_id,started_at\n")  # header only: fine, 0 rows
    lake.write("calls/2026-01-03.csv", "call_id,started_at\nA1,2026-01-03T09:00:00Z\n")
    lake.write("surveys/2026-01-01.csv", "id,submitted_at\nS1,2026-01-01T09:00:00Z\n")
    lake.write(
        "surveys/2026-01-02.jsonl",
        '{"survey_id": "S2", "submitted_at": "2026-01-02T09:00:00Z"}\n{"survey_id": "S3",\n',
    )
    assert good.exists()
    lake.ingest(["orders", "calls", "surveys"])

    file_level = lake.query(
        "SELECT source_file, reason FROM raw.quarantine WHERE source_row = 0 ORDER BY 1"
    )
    assert [(f, r.split(":")[0]) for f, r in file_level] == [
        ("calls/2026-01-01.csv", "calls/2026-01-01.csv"),
        ("orders/2026-01-02.parquet", "orders/2026-01-02.parquet"),
        ("surveys/2026-01-01.csv", "surveys/2026-01-01.csv"),
    ]
    reasons = dict(file_level)
    assert reasons["calls/2026-01-01.csv"] == "calls/2026-01-01.csv: file is empty (0 bytes)"
    assert reasons["orders/2026-01-02.parquet"].startswith(
        "orders/2026-01-02.parquet: unreadable Parquet ("
    )
    assert reasons["surveys/2026-01-01.csv"] == (
        "surveys/2026-01-01.csv: has no survey_id column (columns: id, submitted_at)"
    )
    assert lake.query(
        "SELECT source_file, source_row, reason FROM raw.quarantine WHERE source_row > 0"
    ) == [
        (
            "surveys/2026-01-02.jsonl",
            2,
            "surveys: record 2 is not valid JSON (Expecting property name enclosed in double "
            "quotes at column 20)",
        )
    ]
    assert lake.query("SELECT order_id FROM raw.orders") == [("O1",)]
    assert lake.query("SELECT call_id FROM raw.calls") == [("A1",)]
    assert lake.query("SELECT survey_id FROM raw.surveys") == [("S2",)]
    assert lake.file_log() == {
        "calls/2026-01-01.csv": (0, 0, 0),
        "calls/2026-01-02.csv": (0, 0, 0),
        "calls/2026-01-03.csv": (1, 1, 0),
        "orders/2026-01-01.parquet": (1, 1, 0),
        "orders/2026-01-02.parquet": (0, 0, 0),
        "surveys/2026-01-01.csv": (0, 0, 0),
        "surveys/2026-01-02.jsonl": (2, 1, 1),
    }
    rejected = lake.query("SELECT count(*) FROM raw.ingested_files WHERE file_error IS NOT NULL")
    assert rejected == [(3,)]
    # the Dagster materialization of each raw asset carries its refused files and their reasons
    refused = lake.counts(lambda con: feed_counts(con, "surveys"))["refused_files"]
    assert refused == {"surveys/2026-01-01.csv": reasons["surveys/2026-01-01.csv"]}
    assert lake.counts(lambda con: feed_counts(con, "calls"))["refused_files"] == {
        "calls/2026-01-01.csv": "calls/2026-01-01.csv: file is empty (0 bytes)"
    }


def test_a_feed_empty_on_the_first_run_loads_its_first_file_later(lake: Lake) -> None:
    (lake.feeds / "refunds").mkdir(parents=True)
    first = lake.ingest(["refunds"])
    assert lake.query("SELECT count(*) FROM raw.refunds") == [(0,)]
    # The table the empty run created has exactly the columns the rows will bring.
    columns = lake.query(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'raw' AND table_name = 'refunds' ORDER BY ordinal_position"
    )
    assert [c for (c,) in columns] == [
        *FEEDS_BY_NAME["refunds"].column_names,
        "_source_file",
        "_source_row",
    ]
    lake.write("refunds/2026-01-03.csv", REFUNDS_HEADER + "R1,O1,2026-01-03T10:00:00Z,5.00\n")
    second = lake.ingest(["refunds"])
    assert lake.query("SELECT refund_id, amount FROM raw.refunds") == [("R1", Decimal("5.0000"))]
    assert len(first.loads_ids) == len(second.loads_ids) == 1
    assert lake.ingest(["refunds"]).loads_ids == []


def test_counts_of_one_load_cover_only_the_files_it_read(lake: Lake) -> None:
    lake.write("refunds/2026-01-03.csv", REFUNDS_HEADER + "R1,O1,2026-01-03T10:00:00Z,5.00\n")
    [first] = lake.ingest(["refunds"]).loads_ids
    lake.write(
        "refunds/2026-01-04.csv",
        REFUNDS_HEADER + "R2,O2,2026-01-04T10:00:00Z,6.00\nR3,,2026-01-04T11:00:00Z,1\n",
    )
    [second] = lake.ingest(["refunds"]).loads_ids

    def counts(load_id: str | None) -> tuple:
        found = lake.counts(lambda con: feed_counts(con, "refunds", load_id))
        return found["files"], found["rows_read"], found["rows_loaded"], found["rows_quarantined"]

    assert counts(first) == (1, 1, 1, 0)
    assert counts(second) == (1, 2, 1, 1)
    assert counts(None) == (2, 3, 2, 1)
    assert lake.counts(lambda con: feed_counts(con, "refunds", second))["quarantined_by_field"] == {
        "order_id": 1
    }


def test_the_load_runs_under_the_duckdb_memory_limit_and_spill_folder(lake: Lake) -> None:
    write_synthetic_feeds(lake.feeds, days=2)
    spill = lake.warehouse.parent / "spill"
    # What Settings.duckdb_config() gives for LISTENLOOP_DUCKDB_MEMORY_LIMIT=64MB and _TEMP_DIR.
    options = {"memory_limit": "64MB", "temp_directory": str(spill)}
    pipeline = make_pipeline(lake.warehouse, duckdb_config=options)
    pipeline.run(feeds_source(str(lake.feeds))).raise_on_failed_jobs()
    with pipeline.sql_client() as client:
        shown = client.execute_sql(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        )
    assert shown == [("61.0 MiB", str(spill))]
    for feed, rows in expected_rows(2).items():
        assert lake.query(f"SELECT count(*) FROM raw.{feed}") == [(rows,)]
