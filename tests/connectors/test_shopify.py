"""The Shopify connector against a fake Shopify Admin GraphQL API on 127.0.0.1.

Every test runs the real dlt pipeline into a DuckDB file under tmp_path; the fake
(tests/connectors/shopify_server.py) is a real HTTP server built from contract-shaped rows.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.contract import FEEDS_BY_NAME
from ingestion.feeds_source import feeds_source
from ingestion.pipeline import make_pipeline
from ingestion.sources.shopify import shopify_source
from listenloop.settings import PROJECT_ROOT
from tests.connectors.shopify_server import ShopifyFake, shopify_time
from tests.connectors.staging import staging_counts
from tests.warehouse import query

ALL = ["customers", "orders", "order_lines", "refunds", "checkouts"]
PIPELINE = "listenloop_shopify"
LOAD_SCRIPT = Path(__file__).with_name("shopify_load.py")
# Small pages and nested pages, so every run pages and follows nested connections; fast backoff.
TEST_SETTINGS = {"page_size": 2, "nested_page_size": 2, "backoff_factor": 0.01}


# ---------------------------------------------------------------- the store's data


def _customer(cid: str, email, phone, first, last, country, created, updated, consent) -> dict:
    return {
        "customer_id": cid,
        "email": email,
        "phone": phone,
        "first_name": first,
        "last_name": last,
        "country": country,
        "created_at": created,
        "updated_at": updated,
        "accepts_phone_contact": consent,
    }


def _order(oid, cid, kid, created, updated, cur, money, status, channel) -> dict:
    subtotal, discount, shipping, tax, total = money
    return {
        "order_id": oid,
        "customer_id": cid,
        "checkout_id": kid,
        "created_at": created,
        "updated_at": updated,
        "currency": cur,
        "subtotal": subtotal,
        "discount": discount,
        "shipping": shipping,
        "tax": tax,
        "total": total,
        "financial_status": status,
        "channel": channel,
    }


def _line(lid, oid, pid, sku, title, category, quantity, price) -> dict:
    return {
        "line_id": lid,
        "order_id": oid,
        "product_id": pid,
        "sku": sku,
        "title": title,
        "category": category,
        "quantity": quantity,
        "unit_price": price,
    }


def _refund(rid, oid, created, amount, reason) -> dict:
    return {
        "refund_id": rid,
        "order_id": oid,
        "created_at": created,
        "amount": amount,
        "reason": reason,
    }


def _checkout(kid, cid, email, phone, created, updated, completed, total, cur, items) -> dict:
    return {
        "checkout_id": kid,
        "customer_id": cid,
        "email": email,
        "phone": phone,
        "created_at": created,
        "updated_at": updated,
        "completed_at": completed,
        "total": total,
        "currency": cur,
        "items_count": items,
    }


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """What the store holds at first, in the files' forms (timestamps in several styles)."""
    t = "2026-{}T{}Z".format
    return {
        "customers": [
            _customer("C1", "ann@example.com", "+44 20 7946 0958", "Ann", "Lee", "GB",
                      t("01-05", "09:00:00"), t("01-05", "09:00:00"), "true"),
            _customer("C2", "bo@example.com", "020 7946 0959", "Bo", "Ng", "GB",
                      "2026-01-10 08:00:00", None, "true"),
            # no phone: Shopify keeps SMS consent on the phone number, so "false" is lost
            _customer("C3", "cy@example.com", None, "Cy", "Ott", "US",
                      "2026-01-20T10:00:00-05:00", t("01-20", "15:00:00"), "false"),
            _customer("C4", "di@example.com", "+49 30 901820", "Di", "Roe", "DE",
                      t("02-01", "12:00:00"), t("02-12", "12:00:00"), None),
            _customer("C5", None, "+1 212 555 0100", "Ed", "Fox", "US",
                      t("02-05", "12:00:00"), t("02-14", "12:00:00"), "false"),
            _customer("C6", "fay@example.com", None, "Fay", "Yu", None,
                      t("02-15", "12:00:00"), t("02-15", "12:00:00"), None),
        ],
        "orders": [
            _order("O1", "C1", "K1", t("01-10", "10:00:00"), t("01-10", "10:00:00"), "GBP",
                   ("100.00", "10.00", "5.00", "18.00", "113.00"), "paid", "web"),
            _order("O2", "C2", None, "2026-01-15 11:00:00", "2026-01-16 09:00:00", "GBP",
                   ("50.00", "0.00", "4.95", "10.00", "64.95"), "partially_refunded", "app"),
            _order("O3", "C3", None, t("01-20", "10:00:00"), t("02-01", "10:00:00"), "USD",
                   ("80.00", "0.00", "0.00", "6.40", "86.40"), "paid", "phone"),
            _order("O4", "C4", "K3", t("02-02", "12:00:00"), t("02-02", "12:00:00"), "EUR",
                   ("40.00", "4.00", "4.90", "6.84", "47.74"), "pending", "web"),
            _order("O5", "C5", None, t("02-06", "12:00:00"), t("02-07", "12:00:00"), "USD",
                   ("25.00", "0.00", "5.00", "2.00", "32.00"), "voided", "app"),
            _order("O6", None, None, t("02-08", "12:00:00"), t("02-08", "12:00:00"), "USD",
                   ("19.00", "0.00", "5.00", "1.52", "25.52"), "paid", "web"),
            _order("O7", "C1", None, t("02-10", "12:00:00"), t("02-15", "10:00:00"), "GBP",
                   ("60.00", "0.00", "0.00", "12.00", "72.00"), "refunded", "web"),
            _order("O8", "C4", None, t("02-20", "12:00:00"), t("02-20", "12:00:00"), "EUR",
                   ("30.00", "0.00", "4.90", "5.70", "40.60"), "paid", None),
        ],
        "order_lines": [
            *(
                _line(f"L10{n}", "O1", "P1201", "TS-ORG-01", "Organic Cotton Tee", "tops", 1,
                      "20.00")
                for n in range(1, 6)
            ),
            _line("L201", "O2", "P1402", "BG-TOT-02", "Market Tote", "bags", 1, "50.00"),
            _line("L301", "O3", "P1501", "AC-BNE-01", "Ribbed Beanie", "accessories", 2, "25.00"),
            _line("L302", "O3", "P1503", "AC-SCK-03", "Trail Socks 3-Pack", "accessories", 1,
                  "30.00"),
            _line("L401", "O4", "P1104", "SN-CLS-04", "Classic Canvas Sneakers", "footwear", 1,
                  "40.00"),
            _line("L501", "O5", "P1501", "AC-BNE-01", "Ribbed Beanie", "accessories", 1, "25.00"),
            _line("L601", "O6", "P1503", "AC-SCK-03", "Trail Socks 3-Pack", "accessories", 1,
                  "19.00"),
            _line("L701", "O7", "P1202", "HD-FLC-02", "Everyday Fleece Hoodie", "tops", 1,
                  "40.00"),
            _line("L702", "O7", "P1201", "TS-ORG-01", "Organic Cotton Tee", "tops", 1, "20.00"),
            # a product since deleted: no product, so no category either
            _line("L801", "O8", None, "GIFT-30", "Gift wrap", None, 1, "30.00"),
        ],
        "refunds": [
            _refund("R1", "O2", t("01-16", "09:00:00"), "20.00", "damaged in transit"),
            _refund("R2", "O7", t("02-15", "10:00:00"), "40.00", None),
            _refund("R4", "O7", t("02-15", "10:00:00"), "32.00", "shipping refunded"),
        ],
        "checkouts": [
            _checkout("K1", "C1", "ann@example.com", "+44 20 7946 0958", t("01-10", "09:40:00"),
                      t("01-10", "10:00:00"), t("01-10", "10:00:00"), "113.00", "GBP", 5),
            _checkout("K2", "C2", "bo@example.com", None, t("01-14", "08:00:00"),
                      t("01-14", "08:20:00"), None, "64.95", "GBP", 3),
            _checkout("K3", "C4", "di@example.com", "+49 30 901820", t("02-02", "11:30:00"),
                      t("02-02", "12:00:00"), t("02-02", "12:00:00"), "47.74", "EUR", 1),
            # a guest: AbandonedCheckout has no email of its own, so this email is lost
            _checkout("K4", None, "guest@example.com", "+1 415 555 0199", t("02-10", "08:00:00"),
                      t("02-10", "08:30:00"), None, "59.00", "USD", 2),
            _checkout("K5", "C5", None, None, t("02-18", "12:00:00"), t("02-18", "12:30:00"),
                      None, "25.00", "USD", 1),
        ],
    }  # fmt: skip


def later_rows() -> dict[str, list[dict[str, Any]]]:
    """What happens next: one new order, and late updates inside the 7-day lag window."""
    rows = base_rows()
    c1 = next(c for c in rows["customers"] if c["customer_id"] == "C1")
    o3 = next(o for o in rows["orders"] if o["order_id"] == "O3")
    k2 = next(k for k in rows["checkouts"] if k["checkout_id"] == "K2")
    o9_money = ("45.00", "0.00", "0.00", "3.60", "48.60")
    return {
        # C1's new email carries an updated_at before the customers cursor (02-15), within lag
        "customers": [{**c1, "email": "ann.lee@example.com", "updated_at": "2026-02-10T00:00:00Z"}],
        "orders": [
            # a refund recorded late: O3's new version is older than the orders cursor (02-20)
            {**o3, "updated_at": "2026-02-16T09:00:00Z", "financial_status": "partially_refunded"},
            _order("O9", "C6", None, "2026-02-21T10:00:00Z", "2026-02-21T10:00:00Z", "GBP",
                   o9_money, "paid", "web"),
        ],
        "order_lines": [
            _line("L901", "O9", "P1201", "TS-ORG-01", "Organic Cotton Tee", "tops", 1, "20.00"),
            _line("L902", "O9", "P1501", "AC-BNE-01", "Ribbed Beanie", "accessories", 1, "25.00"),
        ],
        "refunds": [_refund("R3", "O3", "2026-02-16T09:00:00Z", "30.00", "late refund")],
        "checkouts": [
            {**k2, "updated_at": "2026-02-19T08:00:00Z", "completed_at": "2026-02-19T08:00:00Z"}
        ],
    }  # fmt: skip


# ---------------------------------------------------------------- helpers


@pytest.fixture
def token() -> str:
    return "shpat_" + secrets.token_hex(16)


@pytest.fixture
def fake(token: str) -> Iterator[ShopifyFake]:
    with ShopifyFake.from_feed_rows(**base_rows(), token=token) as server:
        yield server


@pytest.fixture
def env(fake: ShopifyFake, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Points the connector at the fake, through dlt's environment provider."""
    for name in list(os.environ):
        if name.startswith("SOURCES__SHOPIFY__"):
            monkeypatch.delenv(name)
    values = fake.settings_env(**TEST_SETTINGS)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def load(warehouse: Path, feeds: list[str] = ALL, only: list[str] | None = None) -> LoadInfo:
    source = shopify_source(feeds)
    if only:
        source = source.with_resources(*only)
    info = make_pipeline(warehouse, PIPELINE).run(source)
    info.raise_on_failed_jobs()
    return info


def raw_count(warehouse: Path, feed: str) -> int:
    return query(warehouse, f"select count(*) from raw.{feed}")[0][0]


def raw_counts(warehouse: Path, feeds: list[str] = ALL) -> dict[str, int]:
    return {feed: raw_count(warehouse, feed) for feed in feeds}


def duplicate_keys(warehouse: Path, feed: str) -> int:
    key = ", ".join(FEEDS_BY_NAME[feed].merge_key)
    return query(
        warehouse,
        f"select count(*) from (select {key} from raw.{feed} group by all having count(*) > 1)",
    )[0][0]


def filter_since(day_time: str) -> str:
    return f"updated_at:>='2026-{day_time}Z'"


# the operation name of each feed's list query
OPERATIONS = {
    "ListenLoopCustomers": "customers",
    "ListenLoopOrders": "orders",
    "ListenLoopOrderLines": "order_lines",
    "ListenLoopRefunds": "refunds",
    "ListenLoopCheckouts": "checkouts",
}


def first_page_filters(fake: ShopifyFake, since: int) -> dict[str, str | None]:
    """The search filter each feed's first list request sent (from log position `since` on)."""
    filters: dict[str, str | None] = {}
    for request in fake.requests[since:]:
        feed = OPERATIONS.get(request.operation or "")
        if feed and feed not in filters and request.status == 200:
            filters[feed] = request.search
    return filters


def nodes_fetched(fake: ShopifyFake, since: int) -> dict[str, int]:
    """Root nodes each feed's list query answered (from log position `since` on)."""
    counts: dict[str, int] = {}
    for request in fake.requests[since:]:
        feed = OPERATIONS.get(request.operation or "")
        if feed:
            counts[feed] = counts.get(feed, 0) + request.nodes
    return counts


# ---------------------------------------------------------------- tests


def test_full_load_incremental_load_late_update_and_staging(
    tmp_path: Path, fake: ShopifyFake, env: dict[str, str]
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"

    # 1. first full load: every record, in pages of 2, nested connections followed up
    load(warehouse)
    assert raw_counts(warehouse) == {
        "customers": 6, "orders": 8, "order_lines": 14, "refunds": 3, "checkouts": 5
    }  # fmt: skip
    assert all(duplicate_keys(warehouse, feed) == 0 for feed in ALL)
    assert set(first_page_filters(fake, 0).values()) == {None}  # no cursor yet: everything
    customers_pages = fake.requests_for("customers")
    assert [r.first for r in customers_pages] == [2, 2, 2]
    assert [r.nodes for r in customers_pages] == [2, 2, 2]
    follow_ups = fake.requests_for("node")
    # O1 has 5 lines: 2 in its page, then 2 and 1; K1 has 5 units, K2 3 (2, then 1); O7's
    # refunds filled the list of 2 it was asked for, so they are asked again with first: 250
    assert sorted((r.operation, r.node_id, r.variables["first"]) for r in follow_ups) == [
        ("ListenLoopAllRefunds", "gid://shopify/Order/O7", 250),
        ("ListenLoopMoreCheckoutLines", "gid://shopify/AbandonedCheckout/K1", 2),
        ("ListenLoopMoreCheckoutLines", "gid://shopify/AbandonedCheckout/K1", 2),
        ("ListenLoopMoreCheckoutLines", "gid://shopify/AbandonedCheckout/K2", 2),
        ("ListenLoopMoreOrderLines", "gid://shopify/Order/O1", 2),
        ("ListenLoopMoreOrderLines", "gid://shopify/Order/O1", 2),
    ]
    assert query(warehouse, "select count(*) from raw.order_lines where order_id = 'O1'") == [(5,)]
    assert query(warehouse, "select items_count from raw.checkouts where checkout_id = 'K2'") == [
        (3,)
    ]
    assert all(r.requested_cost <= 1000 for r in fake.requests if r.requested_cost)
    assert query(warehouse, "select count(*) from raw.quarantine") == [(0,)]

    # 2. incremental: only what changed since each feed's cursor minus 7 days is fetched
    mark = len(fake.requests)
    fake.apply_feed_rows(**later_rows())
    load(warehouse)
    assert first_page_filters(fake, mark) == {
        "customers": filter_since("02-08T12:00:00"),  # cursor 02-15T12:00 - 7 days
        "orders": filter_since("02-13T12:00:00"),  # cursor 02-20T12:00 - 7 days
        "order_lines": filter_since("02-13T12:00:00"),
        "refunds": filter_since("02-13T12:00:00"),
        "checkouts": filter_since("02-11T12:30:00"),  # cursor 02-18T12:30 - 7 days
    }
    assert nodes_fetched(fake, mark) == {
        "customers": 4,  # C1 (late), C4, C5, C6
        "orders": 4,  # O3 (late), O7, O8, O9 (new)
        "order_lines": 4,  # the same orders, with 7 lines
        "refunds": 4,
        "checkouts": 2,  # K2 (completed), K5
    }

    # 3. late updates: the new versions land, the old ones stay once, nothing doubles
    assert raw_counts(warehouse) == {
        "customers": 7, "orders": 10, "order_lines": 16, "refunds": 4, "checkouts": 6
    }  # fmt: skip
    assert all(duplicate_keys(warehouse, feed) == 0 for feed in ALL)
    assert query(
        warehouse,
        "select financial_status, updated_at::varchar from raw.orders "
        "where order_id = 'O3' order by updated_at",
    ) == [("paid", "2026-02-01 10:00:00"), ("partially_refunded", "2026-02-16 09:00:00")]
    assert query(
        warehouse,
        "select order_id, amount::varchar, reason from raw.refunds where refund_id = 'R3'",
    ) == [("O3", "30.0000", "late refund")]
    assert query(
        warehouse, "select email from raw.customers where customer_id = 'C1' order by updated_at"
    ) == [("ann@example.com",), ("ann.lee@example.com",)]

    # every staging model builds over what landed: the server's records (customers keep their
    # versions, so C1's superseded one counts too), and nothing for the feeds Shopify lacks
    held = fake.counts()
    assert held == {"customers": 6, "orders": 9, "order_lines": 16, "refunds": 4, "checkouts": 5}
    assert staging_counts(warehouse, tmp_path / "dbt") == {
        **held,
        "customers": held["customers"] + 1,
        "calls": 0,
        "surveys": 0,
    }


def test_lands_what_the_files_land(tmp_path: Path, fake: ShopifyFake, env: dict[str, str]) -> None:
    """The same rows through the API and as files land the same values, but for the fields
    Shopify cannot represent (docs/connectors/shopify.md)."""
    api_warehouse = tmp_path / "api" / "warehouse.duckdb"
    files_warehouse = tmp_path / "files" / "warehouse.duckdb"
    load(api_warehouse)
    feeds_dir = tmp_path / "feeds"
    for feed, rows in base_rows().items():
        (feeds_dir / feed).mkdir(parents=True)
        lines = [json_line(row) for row in rows]
        (feeds_dir / feed / "2026-02-20.jsonl").write_text("\n".join(lines) + "\n")
    make_pipeline(files_warehouse).run(feeds_source(str(feeds_dir), ALL)).raise_on_failed_jobs()

    differences = []
    for feed in ALL:
        columns = FEEDS_BY_NAME[feed].column_names
        key = FEEDS_BY_NAME[feed].primary_key
        select = f"select {', '.join(columns)} from raw.{feed} order by {key}"
        api = [dict(zip(columns, row, strict=True)) for row in query(api_warehouse, select)]
        files = [dict(zip(columns, row, strict=True)) for row in query(files_warehouse, select)]
        assert [r[key] for r in api] == [r[key] for r in files], feed
        for a, f in zip(api, files, strict=True):
            differences += [
                (feed, a[key], column, f[column], a[column])
                for column in columns
                if a[column] != f[column]
            ]
    assert sorted(differences) == [
        # guest checkouts: AbandonedCheckout has no email of its own
        ("checkouts", "K4", "email", "guest@example.com", None),
        # SMS consent lives on the phone number: a customer without one has none
        ("customers", "C3", "accepts_phone_contact", False, None),
        # Order.checkoutToken cannot be matched to an AbandonedCheckout id
        ("orders", "O1", "checkout_id", "K1", None),
        ("orders", "O4", "checkout_id", "K3", None),
    ]


def json_line(row: dict[str, Any]) -> str:
    return json.dumps(row)


def test_throttling_429_and_500_are_waited_out(
    tmp_path: Path, fake: ShopifyFake, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    caplog.set_level(logging.INFO, logger="ingestion.sources.shopify_client")

    # Shopify's own signal: an empty cost bucket answers THROTTLED (HTTP 200) with its state
    fake.restore_rate = 20.0
    fake.drain_bucket(to=0, on_next_request=True)
    load(warehouse, ["customers"])
    pages = fake.requests_for("customers")
    assert [r.error_code for r in pages] == ["THROTTLED", None, None, None]
    throttled, retry = pages[0], pages[1]
    asked_wait = (throttled.requested_cost - int(throttled.available_before)) / 20.0
    assert asked_wait >= 0.45  # 10 points at 20 a second
    assert retry.at - throttled.answered_at >= asked_wait
    assert retry.after is None  # the same page again
    # after that, the connector paces itself: it pauses while the bucket refills, so no later
    # request finds the bucket short
    assert all(r.available_before >= r.requested_cost for r in pages[1:])
    assert "cost bucket low, pausing" in caplog.text
    assert raw_count(warehouse, "customers") == 6

    # HTTP 429 with Retry-After, then a 500, then the same request succeeds
    fake.restore_rate = 1000.0
    fake.drain_bucket(to=fake.bucket_max)
    fake.fail_next(429, retry_after=1, root="orders")
    fake.fail_next(500, root="orders")
    load(warehouse, ["orders"])
    pages = fake.requests_for("orders")
    assert [r.status for r in pages] == [429, 500, 200, 200, 200, 200]
    assert pages[1].at - pages[0].answered_at >= 1.0  # Retry-After: 1 honoured
    assert [r.after for r in pages[:3]] == [None, None, None]
    assert raw_count(warehouse, "orders") == 8

    # any other GraphQL error fails the run clearly; the next run recovers
    fake.graphql_error_next(
        "INTERNAL_SERVER_ERROR", "Internal error. Looks like something went wrong on our end."
    )
    with pytest.raises(PipelineStepFailed) as failed:
        load(warehouse, ["checkouts"])
    assert "shopify: checkouts query failed: INTERNAL_SERVER_ERROR" in _chain_text(failed.value)
    assert query(
        warehouse, "select count(*) from information_schema.tables where table_name = 'checkouts'"
    ) == [(0,)]
    load(warehouse, ["checkouts"])
    assert raw_count(warehouse, "checkouts") == 5


def test_unexpected_fields_load_and_are_reported(
    tmp_path: Path, fake: ShopifyFake, env: dict[str, str]
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    fake.add_field("customers", "loyaltyTier", "gold")
    fake.add_field("order_lines", "giftCard", False)
    load(warehouse, ["customers", "order_lines"])
    assert raw_counts(warehouse, ["customers", "order_lines"]) == {
        "customers": 6,
        "order_lines": 14,
    }
    assert query(warehouse, "select distinct loyalty_tier from raw.customers") == [("gold",)]
    assert query(warehouse, "select distinct gift_card from raw.order_lines") == [("false",)]
    assert query(
        warehouse,
        "select feed, extra_columns, count(*), sum(rows_loaded) from raw.ingested_files "
        "group by all order by feed",
    ) == [("customers", "loyalty_tier", 3, 6), ("order_lines", "gift_card", 4, 14)]
    assert query(warehouse, "select count(*) from raw.quarantine") == [(0,)]


def test_killed_load_resumes_exactly_once(
    tmp_path: Path, fake: ShopifyFake, env: dict[str, str]
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    feeds = ["customers", "orders"]
    load(warehouse, feeds)
    fake.apply_feed_rows(**later_rows())

    # the second load is killed while it waits for the second orders page
    fake.block_on("orders", len(fake.requests_for("orders")) + 2)
    mark = len(fake.requests)
    process = subprocess.Popen(
        [sys.executable, str(LOAD_SCRIPT), str(warehouse), ",".join(feeds)],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert fake.blocked.wait(timeout=60), "the load never asked for the second orders page"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        fake.release.set()
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert fake.unblocked.wait(timeout=30)  # the blocked request is in the log
    killed_filters = first_page_filters(fake, mark)
    assert killed_filters["orders"] == filter_since("02-13T12:00:00")
    assert len(fake.requests_for("orders", mark)) == 2

    # the next run starts from the last committed cursors, as if the killed run never happened
    mark = len(fake.requests)
    load(warehouse, feeds)
    assert first_page_filters(fake, mark) == {
        "customers": filter_since("02-08T12:00:00"),
        "orders": filter_since("02-13T12:00:00"),
    }
    assert query(warehouse, "select count(*) from raw._dlt_loads") == [(2,)]
    assert raw_counts(warehouse, feeds) == {"customers": 7, "orders": 10}
    assert duplicate_keys(warehouse, "customers") == duplicate_keys(warehouse, "orders") == 0
    held = {(o["order_id"], shopify_time(o["updated_at"])) for o in fake.orders.values()}
    landed = set(
        query(
            warehouse, "select order_id, strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') from raw.orders"
        )
    )
    assert held <= landed and len(landed) == len(held) + 1  # + O3's superseded version


def test_secrets_never_appear(
    tmp_path: Path,
    fake: ShopifyFake,
    env: dict[str, str],
    token: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="dlt")
    load(warehouse)
    assert "graphql.json" in caplog.text  # the DEBUG request log was captured
    assert token not in caplog.text
    assert all(token not in record.getMessage() for record in caplog.records)

    # a whole load in its own process, logging at DEBUG
    result = subprocess.run(
        [sys.executable, str(LOAD_SCRIPT), str(tmp_path / "sub" / "warehouse.duckdb"), "customers"],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RUNTIME__LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "graphql.json" in result.stderr
    assert token not in result.stdout + result.stderr

    # a refused token: the error names the status and path, not the token sent
    wrong = "shpat_" + secrets.token_hex(16)
    monkeypatch.setenv("SOURCES__SHOPIFY__ACCESS_TOKEN", wrong)
    with pytest.raises(PipelineStepFailed) as refused:
        load(tmp_path / "refused" / "warehouse.duckdb", ["orders"])
    text = _chain_text(refused.value)
    assert f"HTTP 401 from {fake.url}/admin/api/2026-10/graphql.json" in text
    assert wrong not in text and token not in text
    assert fake.requests[-1].status == 401

    # nothing written to a warehouse or the pipelines' working folders holds it
    for path in (warehouse, tmp_path / "sub" / "warehouse.duckdb"):
        assert _text_cells_containing(path, token) == []
    for folder in tmp_path.glob("*/.dlt_pipelines"):
        for file in folder.rglob("*"):
            if file.is_file():
                data = file.read_bytes()
                assert token.encode() not in data and wrong.encode() not in data, file


def test_settings_resolve_at_run_time_and_feeds_keep_their_own_cursors(
    tmp_path: Path, fake: ShopifyFake, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    # building the source reads no setting and calls nothing
    monkeypatch.delenv("SOURCES__SHOPIFY__ACCESS_TOKEN")
    source = shopify_source(ALL)
    assert list(source.resources) == ALL
    assert fake.requests == []
    # a run without the token says which key is missing
    with pytest.raises(PipelineStepFailed) as missing:
        load(warehouse, ["customers"])
    text = _chain_text(missing.value)
    assert "missing setting sources.shopify.access_token" in text
    assert "SOURCES__SHOPIFY__ACCESS_TOKEN" in text
    assert fake.requests == []
    monkeypatch.setenv("SOURCES__SHOPIFY__ACCESS_TOKEN", fake.token)

    # Dagster may run one feed's resource alone: orders' cursor is not order_lines' cursor
    load(warehouse, only=["orders"])
    mark = len(fake.requests)
    load(warehouse, only=["order_lines"])
    assert first_page_filters(fake, mark) == {"order_lines": None}
    assert raw_counts(warehouse, ["orders", "order_lines"]) == {"orders": 8, "order_lines": 14}
    mark = len(fake.requests)
    load(warehouse, only=["orders"])
    assert first_page_filters(fake, mark) == {"orders": filter_since("02-13T12:00:00")}
    assert raw_count(warehouse, "orders") == 8

    # the largest pages allowed still fit Shopify's 1000-point limit on one query's cost: the
    # connector shrinks them (order_lines: 1 order with 248 lines costs 2 + 1 x (3 + 248 x 4))
    monkeypatch.setenv("SOURCES__SHOPIFY__PAGE_SIZE", "250")
    monkeypatch.setenv("SOURCES__SHOPIFY__NESTED_PAGE_SIZE", "250")
    mark = len(fake.requests)
    load(tmp_path / "large" / "warehouse.duckdb", ["order_lines", "checkouts"])
    asked = {(r.operation, r.first, r.requested_cost) for r in fake.requests[mark:]}
    assert ("ListenLoopOrderLines", 1, 997) in asked
    assert ("ListenLoopCheckouts", 3, 779) in asked  # 2 + 3 x (7 + 2 + 250)
    assert all(r.requested_cost <= 1000 and r.error_code is None for r in fake.requests[mark:])
    assert raw_counts(tmp_path / "large" / "warehouse.duckdb", ["order_lines", "checkouts"]) == {
        "order_lines": 14,
        "checkouts": 5,
    }


def _chain_text(exc: BaseException) -> str:
    """Everything an operator would see of an exception: the messages and tracebacks of its
    whole chain."""
    return "".join(traceback.format_exception(exc))


def _text_cells_containing(warehouse: Path, needle: str) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every text column with a cell containing `needle`."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" like ?',
                [f"%{needle}%"],
            ).fetchone()
            if hits and hits[0]:
                found.append((schema, table, column))
    return found
