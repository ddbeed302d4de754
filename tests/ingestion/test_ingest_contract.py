"""One hand-written delivery mixing CSV, JSONL and Parquet across all seven feeds.

Every count and reason below is worked out by hand from the files in `write_mixed_delivery`.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from ingestion_lake import Lake

from ingestion.contract import FEEDS, RAW_SQL_TYPES
from ingestion.feeds_source import feed_counts, feeds_source

CUSTOMERS_CSV = """\
customer_id,email,phone,first_name,last_name,country,created_at,updated_at,accepts_phone_contact,loyalty_tier
C1,ann@example.com,+441234,Ann,Lee,GB,2026-01-01T10:00:00+02:00,,yes,gold
C2,bob@example.com,,Bob,,US,2026-01-01 09:00:00,2026-01-01T12:00:00Z,0,
C3,,,,,,not-a-date,,true,
,hidden@example.com,,,,,2026-01-01,,,
C4,,,,,,2026-01-01,,maybe,
C5,,,,,,2026-01-01,garbage,,
"""


def jsonl(*records: dict | str) -> str:
    """JSON lines; a str record is written as is (to plant a line that is not JSON)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


ORDERS_JSONL = jsonl(
    {
        "order_id": "O1",
        "customer_id": "C1",
        "created_at": "2026-01-01T10:00:00Z",
        "subtotal": "10.50",
        "total": 12.5,
        "financial_status": "paid",
        "channel": "web",
    },
    {
        "order_id": "O2",
        "created_at": "2026-01-01T11:00:00Z",
        "total": -1,
        "financial_status": "paid",
    },
    {"order_id": "O3", "created_at": "2026-01-01T11:00:00Z", "financial_status": "lost"},
    {
        "order_id": "O4",
        "created_at": "2026-01-01T11:00:00Z",
        "subtotal": "abc",
        "financial_status": "lost",
    },
)

CALLS_JSONL = jsonl(
    {
        "call_id": "K1",
        "started_at": "2026-01-01T10:00:00Z",
        "disposition": "connected",
        "talk_seconds": 30,
        "concern_tags": ["price", "shipping_cost"],
        "resolved_first_contact": True,
    },
    "this line is not JSON",
    {"call_id": "K2", "started_at": "2026-01-01T11:00:00Z", "disposition": "transferred"},
)

SURVEYS_CSV = """\
survey_id,customer_id,channel,submitted_at,nps,csat,ces,comment
S1,C1,call,2026-01-01T12:00:00Z,9,5,7,Great
S2,C1,call,2026-01-01T12:00:00Z,11,,,
S3,C2,web,2026-01-01T12:00:00Z,,0,,
"""

REFUNDS_CSV = """\
refund_id,order_id,created_at,amount,reason
R1,O1,2026-01-01T12:00:00Z,5.00,"Damaged, box"
R2,,2026-01-01T12:00:00Z,1.00,
R3,O1
"""

CHECKOUTS_CSV = """\
checkout_id,customer_id,email,phone,created_at,updated_at,completed_at,total,currency,items_count
K1,C1,,,2026-01-01T08:00:00Z,,,40.00,EUR,2
K2,C2,,,2026-01-01T08:00:00Z,,,40.00,EUR,2.5
"""

ORDER_LINES = pa.table(
    {
        "line_id": ["L1", "L2", "L3"],
        "order_id": ["O1", None, "O1"],
        "quantity": pa.array([2, 1, -1], pa.int64()),
        "unit_price": [5.25, 1.0, 1.0],
    }
)


def write_mixed_delivery(lake: Lake) -> None:
    lake.write("customers/2026-01-01.csv", CUSTOMERS_CSV)
    lake.write("orders/2026-01-01.jsonl", ORDERS_JSONL)
    lake.write("calls/2026-01-01.jsonl", CALLS_JSONL)
    lake.write("surveys/2026-01-01.csv", SURVEYS_CSV)
    lake.write("refunds/2026-01-01.csv", REFUNDS_CSV)
    lake.write("checkouts/2026-01-01.csv", CHECKOUTS_CSV)
    lake.write_parquet("order_lines/2026-01-01.parquet", ORDER_LINES)


def test_counts_per_file_add_up(lake: Lake) -> None:
    write_mixed_delivery(lake)
    lake.ingest()
    assert lake.file_log() == {
        "calls/2026-01-01.jsonl": (3, 1, 2),
        "checkouts/2026-01-01.csv": (2, 1, 1),
        "customers/2026-01-01.csv": (6, 2, 4),
        "order_lines/2026-01-01.parquet": (3, 1, 2),
        "orders/2026-01-01.jsonl": (4, 1, 3),
        "refunds/2026-01-01.csv": (3, 1, 2),
        "surveys/2026-01-01.csv": (3, 1, 2),
    }
    for feed in FEEDS:
        loaded = lake.query(f"SELECT count(*) FROM raw.{feed.name}")[0][0]
        quarantined = lake.query("SELECT count(*) FROM raw.quarantine WHERE feed = ?", [feed.name])[
            0
        ][0]
        counts = lake.counts(lambda con, name=feed.name: feed_counts(con, name))
        assert counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"]
        assert (counts["rows_loaded"], counts["rows_quarantined"]) == (loaded, quarantined)


def test_quarantine_reasons_name_field_and_value(lake: Lake) -> None:
    write_mixed_delivery(lake)
    lake.ingest()
    rows = lake.query(
        "SELECT source_file, source_row, field, reason FROM raw.quarantine ORDER BY 1, 2"
    )
    assert rows == [
        (
            "calls/2026-01-01.jsonl",
            2,
            None,
            "calls: record 2 is not valid JSON (Expecting value at column 1)",
        ),
        (
            "calls/2026-01-01.jsonl",
            3,
            "disposition",
            "calls.disposition: 'transferred' is not "
            "one of connected, no_answer, voicemail, busy, wrong_number, failed, abandoned",
        ),
        (
            "checkouts/2026-01-01.csv",
            2,
            "items_count",
            "checkouts.items_count: '2.5' is not a whole number",
        ),
        (
            "customers/2026-01-01.csv",
            3,
            "created_at",
            "customers.created_at: 'not-a-date' is not an ISO-8601 timestamp",
        ),
        ("customers/2026-01-01.csv", 4, "customer_id", "customers.customer_id: missing"),
        (
            "customers/2026-01-01.csv",
            5,
            "accepts_phone_contact",
            "customers.accepts_phone_contact: 'maybe' is not a boolean (true/false, 1/0, yes/no)",
        ),
        (
            "customers/2026-01-01.csv",
            6,
            "updated_at",
            "customers.updated_at: 'garbage' is not an ISO-8601 timestamp",
        ),
        ("order_lines/2026-01-01.parquet", 2, "order_id", "order_lines.order_id: missing"),
        (
            "order_lines/2026-01-01.parquet",
            3,
            "quantity",
            "order_lines.quantity: -1 is below the minimum 0",
        ),
        ("orders/2026-01-01.jsonl", 2, "total", "orders.total: -1 is below the minimum 0"),
        (
            "orders/2026-01-01.jsonl",
            3,
            "financial_status",
            "orders.financial_status: 'lost' is "
            "not one of paid, pending, partially_refunded, refunded, voided",
        ),
        # subtotal comes before financial_status in the contract, so it is the reported field.
        (
            "orders/2026-01-01.jsonl",
            4,
            "subtotal",
            "orders.subtotal: 'abc' is not a decimal amount",
        ),
        ("refunds/2026-01-01.csv", 2, "order_id", "refunds.order_id: missing"),
        ("refunds/2026-01-01.csv", 3, None, "refunds: record 3 has 2 fields, the header has 5"),
        ("surveys/2026-01-01.csv", 2, "nps", "surveys.nps: 11 is above the maximum 10"),
        ("surveys/2026-01-01.csv", 3, "csat", "surveys.csat: 0 is below the minimum 1"),
    ]
    rules = lake.query("SELECT rule, count(*) FROM raw.quarantine GROUP BY 1 ORDER BY 1")
    assert rules == [
        ("above_maximum", 1),
        ("below_minimum", 3),
        ("malformed_record", 2),
        ("missing", 3),
        ("not_in_enum", 2),
        ("unparsable", 5),
    ]
    raw = lake.query(
        "SELECT raw_record FROM raw.quarantine WHERE feed = 'customers' AND source_row = 4"
    )[0][0]
    assert json.loads(raw)["email"] == "hidden@example.com"
    assert json.loads(raw)["loyalty_tier"] is None


def test_values_are_typed_per_contract(lake: Lake) -> None:
    write_mixed_delivery(lake)
    lake.ingest()
    assert lake.query(
        "SELECT customer_id, created_at, updated_at, accepts_phone_contact, loyalty_tier, "
        "_source_file, _source_row FROM raw.customers ORDER BY 1"
    ) == [
        # +02:00 becomes naive UTC; an empty updated_at takes created_at.
        (
            "C1",
            datetime(2026, 1, 1, 8),
            datetime(2026, 1, 1, 8),
            True,
            "gold",
            "customers/2026-01-01.csv",
            1,
        ),
        (
            "C2",
            datetime(2026, 1, 1, 9),
            datetime(2026, 1, 1, 12),
            False,
            None,
            "customers/2026-01-01.csv",
            2,
        ),
    ]
    assert lake.query("SELECT order_id, subtotal, total FROM raw.orders") == [
        ("O1", Decimal("10.5000"), Decimal("12.5000"))
    ]
    assert lake.query(
        "SELECT concern_tags, talk_seconds, resolved_first_contact FROM raw.calls"
    ) == [("price;shipping_cost", 30, True)]
    assert lake.query("SELECT line_id, quantity, unit_price FROM raw.order_lines") == [
        ("L1", 2, Decimal("5.2500"))
    ]
    assert lake.query("SELECT reason FROM raw.refunds") == [("Damaged, box",)]


def test_column_types_are_exactly_the_contract(lake: Lake) -> None:
    write_mixed_delivery(lake)
    lake.ingest()
    for feed in FEEDS:
        columns = lake.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [feed.name],
        )
        expected = [(c.name, RAW_SQL_TYPES[c.kind]) for c in feed.columns]
        expected += [("_source_file", "VARCHAR"), ("_source_row", "BIGINT")]
        if feed.name == "customers":
            # the table is created from the contract before any file is read: extras come last
            expected.append(("loyalty_tier", "VARCHAR"))
        assert columns == expected, feed.name


def test_extra_columns_are_kept_and_reported(lake: Lake) -> None:
    lake.write(
        "customers/2026-01-01.csv",
        "customer_id,created_at,loyalty_tier\nC1,2026-01-01,gold\n",
    )
    lake.write(
        "customers/2026-01-02.jsonl",
        '{"customer_id": "C2", "created_at": "2026-01-02", "crm_source": "shop", "score": 7}\n',
    )
    lake.ingest(["customers"])
    assert lake.query(
        "SELECT customer_id, loyalty_tier, crm_source, score FROM raw.customers ORDER BY 1"
    ) == [("C1", "gold", None, None), ("C2", None, "shop", "7")]
    assert lake.query("SELECT source_file, extra_columns FROM raw.ingested_files ORDER BY 1") == [
        ("customers/2026-01-01.csv", "loyalty_tier"),
        ("customers/2026-01-02.jsonl", "crm_source;score"),
    ]
    counts = lake.counts(lambda con: feed_counts(con, "customers"))
    assert counts["extra_columns"] == ["crm_source", "loyalty_tier", "score"]


def test_logs_never_show_contact_details(lake: Lake, caplog: pytest.LogCaptureFixture) -> None:
    write_mixed_delivery(lake)
    lake.write("customers/2026-01-02.csv", "email,phone\nhidden@example.com,+449999\n")
    with caplog.at_level(logging.DEBUG):
        lake.ingest()
    assert "hidden@example.com" not in caplog.text
    assert "+449999" not in caplog.text
    assert "customers/2026-01-02.csv" in caplog.text  # the rejected file is named


def test_unknown_feed_is_refused() -> None:
    with pytest.raises(Exception, match="unknown feeds"):
        feeds_source("/nowhere", ["payments"])
