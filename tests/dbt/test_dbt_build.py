"""A real `dbt build` over a hand-written raw warehouse, checked against hand-computed numbers.

The fixture CSVs in fixtures/ play ingestion's output (raw.<feed> tables, see raw_tables.py).
Every test runs twice: once over raw tables inserted directly, and once over the same rows
written as feed files and loaded by the real dlt ingestion, so both layers answer to the same
hand-computed numbers. The build runs once per variant; the tests read what it wrote.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import CONCERN_TAGS
from ingestion.feeds_source import feeds_source, make_pipeline
from listenloop.settings import DBT_PROJECT_DIR
from tests.dbt.feed_files import write_feed_files
from tests.dbt.raw_tables import build_raw_warehouse
from tests.warehouse import query

FIXTURES = Path(__file__).parent / "fixtures"
DBT = Path(sys.executable).parent / "dbt"
MART_COLUMNS = (
    "call_date, direction, campaign, agent_id, attempts, connects, connect_rate, voicemails, "
    "avg_handle_seconds, handle_time_calls, first_contact_resolution_rate, "
    "first_contact_resolutions, first_contact_resolution_calls, abandoned_rate, "
    "inbound_abandoned_calls, inbound_offered_calls"
)


def run_dbt(warehouse: Path, work_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the venv's dbt on the project against `warehouse`; fails the test on a dbt error."""
    env = {**os.environ, "LISTENLOOP_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_STATS": "0"}
    result = subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            # keep artifacts and logs out of the repo so parallel runs do not collide
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result


@pytest.fixture(scope="module", params=["raw_tables", "feed_files"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    work_dir = tmp_path_factory.mktemp("dbt_build")
    warehouse = work_dir / "warehouse.duckdb"
    fixtures = {p.stem: p for p in sorted(FIXTURES.glob("*.csv"))}
    if request.param == "raw_tables":
        build_raw_warehouse(warehouse, fixtures)
    else:
        assert write_feed_files(fixtures.values(), work_dir / "feeds") == 15
        load_info = make_pipeline(warehouse).run(feeds_source(str(work_dir / "feeds")))
        load_info.raise_on_failed_jobs()
    result = run_dbt(warehouse, work_dir, "build")
    # relationships that may orphan are warnings: C99's order and call, line L5 of the
    # quarantined order O404, survey S3 about call CL404
    assert "PASS=280 WARN=4 ERROR=0 SKIP=0" in result.stdout, result.stdout[-3000:]
    yield warehouse


def count(warehouse: Path, relation: str) -> int:
    return query(warehouse, f"select count(*) from {relation}")[0][0]


def test_staging_keeps_one_row_per_key(built: Path) -> None:
    # customers: 9 raw rows, C1 and C4 twice -> 7; orders: 7 raw rows, O1 and O3 twice -> 5;
    # checkouts: 8 raw rows, K3 twice -> 7; the single-version feeds keep every row
    assert {
        relation: count(built, f"staging.{relation}")
        for relation in (
            "stg_store__customers",
            "stg_store__orders",
            "stg_store__order_lines",
            "stg_store__refunds",
            "stg_store__checkouts",
            "stg_telephony__calls",
            "stg_feedback__surveys",
        )
    } == {
        "stg_store__customers": 7,
        "stg_store__orders": 5,
        "stg_store__order_lines": 5,
        "stg_store__refunds": 3,
        "stg_store__checkouts": 7,
        "stg_telephony__calls": 12,
        "stg_feedback__surveys": 3,
    }


def test_customers_newest_version_and_e164_phones(built: Path) -> None:
    rows = query(
        built,
        "select customer_id, email, phone, phone_is_valid, updated_at "
        "from staging.stg_store__customers order by customer_id",
    )
    assert rows == [
        # newest version (2026-01-02) wins; its email is lower-cased
        ("C1", "alice.new@example.com", "+14155550132", True, datetime(2026, 1, 2, 8)),
        # '0044' is international; empty updated_at falls back to created_at
        ("C2", "bob@example.co.uk", "+442079460958", True, datetime(2026, 1, 1, 10)),
        # NL national: trunk 0 dropped, +31 prepended
        ("C3", None, "+31612345678", True, datetime(2026, 1, 1, 11)),
        # the invalid '12' of the first version is superseded by a Berlin number
        ("C4", "dora@example.de", "+49301234567", True, datetime(2026, 1, 2, 10)),
        # no country: an international number needs none
        ("C5", "eve@example.ca", "+16045550199", True, datetime(2026, 1, 2, 9)),
        ("C6", None, "+33123456789", True, datetime(2026, 1, 2, 11)),
        ("C7", "gus@example.com", None, False, datetime(2026, 1, 2, 12)),
    ]


def test_checkout_and_call_phones_use_the_customer_country(built: Path) -> None:
    checkouts = query(
        built,
        "select checkout_id, phone, phone_is_valid from staging.stg_store__checkouts "
        "where phone_raw is not null order by checkout_id",
    )
    # K2 belongs to GB customer C2; K4 has no customer so reads as US; 'n/a' is no number
    assert checkouts == [
        ("K2", "+447700900123", True),
        ("K4", "+12125550147", True),
        ("K6", None, False),
    ]
    calls = query(
        built,
        "select call_id, phone, phone_is_valid from staging.stg_telephony__calls "
        "where phone_raw is not null order by call_id",
    )
    assert calls == [
        ("CL1", "+442079460958", True),  # C2 is GB
        ("CL2", "+31698765432", True),  # C3 is NL
        ("CL5", None, False),  # +999 is no known code and 5 digits are too few
        ("CL9", "+14155550100", True),  # no customer: default country US
    ]


def test_call_concerns_split_and_map_unknown_tags(built: Path) -> None:
    rows = query(
        built,
        "select call_id, concern_tag, raw_tag, is_unknown_tag "
        "from staging.stg_telephony__call_concerns order by call_id, tag_position",
    )
    assert rows == [
        ("CL1", "price", "price", False),
        ("CL1", "shipping_cost", "shipping_cost", False),
        ("CL4", "delivery_time", "delivery_time", False),
        ("CL4", "other", "made_up_tag", True),
        ("CL6", "return_policy", "return_policy", False),
        ("CL8", "price", "price", False),  # ' Price ; price;;' is one tag
    ]


def test_concern_tags_seed_matches_the_contract() -> None:
    with (DBT_PROJECT_DIR / "seeds" / "concern_tags.csv").open(encoding="utf-8") as handle:
        assert tuple(row["tag"] for row in csv.DictReader(handle)) == CONCERN_TAGS


def test_customer_360(built: Path) -> None:
    rows = query(
        built,
        "select customer_id, order_count, gross_revenue, refund_count, refund_amount, "
        "net_revenue, lifetime_value, first_purchase_date "
        "from intermediate.int_customers__360 where order_count > 0 or refund_count > 0 "
        "order by customer_id",
    )
    assert rows == [
        # O1 100 + O2 50 = 150; refunds R1 25 + R2 10 = 35; net 115
        ("C1", 2, Decimal(150), 2, Decimal(35), Decimal(115), Decimal(115), date(2026, 1, 3)),
        # C2's only order O3 ended voided: neither it nor its refund R3 counts
        ("C3", 1, Decimal(30), 0, Decimal(0), Decimal(30), Decimal(30), date(2026, 1, 4)),
    ]
    assert count(built, "intermediate.int_customers__360") == 7


def test_abandoned_checkouts(built: Path) -> None:
    rows = query(
        built,
        "select checkout_id, abandoned_at, phone, phone_source, is_recovered, "
        "recovered_order_id, minutes_to_recovery "
        "from intermediate.int_checkouts__abandoned order by checkout_id",
    )
    # K1 completed after 30 min, K5 after 59, K7 after exactly 60: not abandoned
    assert rows == [
        ("K2", datetime(2026, 1, 3, 12), "+442079460958", "customer", False, None, None),
        # newest version updated 14:00 -> abandoned 15:00; order O4 at 16:00 recovered it
        ("K3", datetime(2026, 1, 4, 15), "+31612345678", "customer", True, "O4", 60),
        # completed 61 minutes after its update: abandoned, then completed one minute later
        ("K4", datetime(2026, 1, 4, 10), "+12125550147", "checkout", True, None, 1),
        # C7 has no phone and the checkout's 'n/a' is invalid
        ("K6", datetime(2026, 1, 5, 9), None, None, False, None, None),
    ]


def test_call_intermediates(built: Path) -> None:
    # outbound: CL1-CL5 and CL12; connected: CL1, CL4, CL6, CL7, CL8, CL11
    assert count(built, "intermediate.int_calls__attempts") == 6
    rows = query(
        built,
        "select call_id, concern_tags, concern_tag_count, has_unknown_tag, handle_seconds "
        "from intermediate.int_calls__conversations order by started_at",
    )
    assert rows == [
        ("CL1", "price;shipping_cost", 2, False, 160),  # 120 + 10 + 30
        ("CL4", "delivery_time;other", 2, True, 240),  # 200 + 0 + 40
        ("CL6", "return_policy", 1, False, 360),  # 300 + 60 + 0
        ("CL7", None, 0, False, 100),  # hold and wrap unknown
        ("CL8", "price", 1, False, None),  # no timings at all
        ("CL11", None, 0, False, 60),
    ]


JAN5, JAN6 = date(2026, 1, 5), date(2026, 1, 6)
# (call_date, direction, campaign, agent_id) -> (attempts, connects, connect_rate, voicemails,
# avg_handle_seconds, handle_time_calls, first_contact_resolution_rate,
# first_contact_resolutions, first_contact_resolution_calls, abandoned_rate,
# inbound_abandoned_calls, inbound_offered_calls)
EXPECTED_MART = {
    # CL6, CL7, CL8 connected; handle known on CL6 (360) and CL7 (100) -> 230;
    # FCR known on CL6 (true) and CL7 (false) -> 1/2; none of the 3 abandoned
    (JAN5, "inbound", None, "A2"): (3, 3, 1.0, 0, 230.0, 2, 0.5, 1, 2, 0.0, 0, 3),
    # CL9, CL10: both abandoned in the queue
    (JAN5, "inbound", None, None): (2, 0, 0.0, 0, None, 0, None, 0, 0, 1.0, 2, 2),
    # CL1-CL4: CL1 (160) and CL4 (240) connected -> 2/4 and 200 s; CL3 voicemail
    (JAN5, "outbound", "cart_abandoner", "A1"): (4, 2, 0.5, 1, 200.0, 2, None, 0, 0, None, 0, 0),
    # CL5: failed, no campaign, no agent
    (JAN5, "outbound", None, None): (1, 0, 0.0, 0, None, 0, None, 0, 0, None, 0, 0),
    # CL11: connected 50 + 5 + 5, resolved first contact
    (JAN6, "inbound", None, "A2"): (1, 1, 1.0, 0, 60.0, 1, 1.0, 1, 1, 0.0, 0, 1),
    # CL12: busy
    (JAN6, "outbound", "cart_abandoner", "A1"): (1, 0, 0.0, 0, None, 0, None, 0, 0, None, 0, 0),
}


def mart_by_group(warehouse: Path) -> dict[tuple, tuple]:
    rows = query(warehouse, f"select {MART_COLUMNS} from marts.mart_call_outcomes_daily")
    by_group = {row[:4]: row[4:] for row in rows}
    assert len(by_group) == len(rows)
    return by_group


def test_mart_call_outcomes_daily(built: Path) -> None:
    assert mart_by_group(built) == EXPECTED_MART


def test_incremental_run_absorbs_a_late_call(built: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # a call from 2026-01-05 arriving in a later file: within the 3-day lookback
        con.execute(
            "insert into raw.calls (call_id, direction, agent_id, started_at, disposition, "
            "talk_seconds, resolved_first_contact, _source_file, _source_row) values "
            "('CL13', 'inbound', 'A2', '2026-01-05 16:00:00', 'connected', 40, true, "
            "'calls/2026-01-07.csv', 1)"
        )
    run_dbt(
        warehouse,
        tmp_path,
        "run",
        "--select",
        "int_calls__attempts int_calls__conversations mart_call_outcomes_daily",
    )
    # the inbound A2 group of 2026-01-05 gains CL13: 4 connects, handle (360 + 100 + 40) / 3,
    # FCR 2 of 3; every other group is unchanged
    late_group = (JAN5, "inbound", None, "A2")
    expected = {**EXPECTED_MART, late_group: (4, 4, 1.0, 0, 500 / 3, 3, 2 / 3, 2, 3, 0.0, 0, 4)}
    assert mart_by_group(warehouse) == expected
    assert count(warehouse, "intermediate.int_calls__conversations") == 7
    assert count(warehouse, "intermediate.int_calls__attempts") == 6
