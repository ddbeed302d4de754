"""The Aircall connector, end to end, against a fake Aircall API on 127.0.0.1.

Every test is a real dlt pipeline run into a DuckDB file under tmp_path; the fake
(tests/connectors/aircall_server.py) serves calls, pages, throttles and fails like Aircall.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion.sources.cursor import as_utc
from tests.connectors.aircall_server import AircallFake, aircall_call
from tests.connectors.leaks import check_the_token_never_appears
from tests.connectors.staging import assert_only_calls_staged
from tests.connectors.telephony_load import (
    Configure,
    count,
    kill_mid_load_and_resume,
    load,
    pages,
    query,
    vendor_configure,
)

API_ID = "listenloop-api-id-31"
TOKEN = "aircall-tok-7Hq2-NEVER-LOG-x9"
DAY1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

# The contract columns Aircall can carry (hold_seconds and wrap_seconds it cannot).
CARRIED = (
    "call_id",
    "customer_id",
    "phone",
    "direction",
    "agent_id",
    "campaign",
    "started_at",
    "answered_at",
    "ended_at",
    "disposition",
    "talk_seconds",
    "outcome",
    "concern_tags",
    "notes",
    "resolved_first_contact",
)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Configure:
    """Points the connector at a fake through dlt's env provider; returns the variables set."""
    return vendor_configure(
        monkeypatch, "aircall", {"api_id": API_ID, "api_token": TOKEN, "per_page": 2}
    )


def _fake(**kwargs: Any) -> AircallFake:
    return AircallFake(api_id=API_ID, api_token=TOKEN, **kwargs)


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def feed_row(call_id: str, start: datetime, **fields: Any) -> dict[str, Any]:
    """A calls-feed row as the files hold it (text values); answered 15 s after the start."""
    disposition = fields.get("disposition", "connected")
    talk = int(fields.pop("talk", 120))
    answered = start + timedelta(seconds=15) if disposition == "connected" else None
    ended = answered + timedelta(seconds=talk) if answered else start + timedelta(seconds=30)
    row = {
        "call_id": call_id,
        "customer_id": None,
        "phone": "+44 7700 900123",
        "direction": "outbound",
        "agent_id": "A001",
        "campaign": None,
        "started_at": _iso(start),
        "answered_at": _iso(answered),
        "ended_at": _iso(ended),
        "disposition": disposition,
        "talk_seconds": str(talk if answered else 0),
        "hold_seconds": "0",
        "wrap_seconds": "20",
        "outcome": "none",
        "concern_tags": None,
        "notes": None,
        "resolved_first_contact": None,
    }
    row.update(fields)
    return row


def every_disposition() -> list[dict[str, Any]]:
    """Eleven calls: each disposition the files use, both directions, both timestamp styles."""
    t = DAY1
    return [
        feed_row(
            "OC0001",
            t,
            customer_id="C0001",
            campaign="cart_abandoner",
            outcome="order_placed",
            concern_tags="price;shipping_cost",
            notes="The delivery fee put me off, but with the code I'll order.",
            resolved_first_contact="true",
        ),
        feed_row("OC0002", t + timedelta(minutes=5), customer_id="C0002", disposition="no_answer"),
        feed_row("OC0003", t + timedelta(minutes=10), disposition="voicemail", agent_id="A002"),
        feed_row("OC0004", t + timedelta(minutes=15), disposition="busy"),
        feed_row("OC0005", t + timedelta(minutes=20), disposition="wrong_number"),
        feed_row("OC0006", t + timedelta(minutes=25), disposition="failed"),
        feed_row("OC0007", t + timedelta(minutes=30), disposition="abandoned"),
        # Inbound, connected with 20 s on hold: Aircall's talk time is answer to end.
        {
            **feed_row(
                "IC0001",
                t + timedelta(hours=1),
                direction="inbound",
                talk=140,
                customer_id="C0003",
                outcome="escalated",
                concern_tags="delivery_time",
                notes="Where is my parcel?",
                resolved_first_contact="false",
            ),
            "talk_seconds": "120",
            "hold_seconds": "20",
            "started_at": "2026-03-01 11:00:00",  # the files' other timestamp style
        },
        feed_row(
            "IC0002",
            t + timedelta(hours=2),
            direction="inbound",
            disposition="abandoned",
            agent_id=None,
            phone=None,
        ),
        feed_row("IC0003", t + timedelta(hours=3), direction="inbound", disposition="no_answer"),
        feed_row("90210", t + timedelta(hours=4), direction="inbound", disposition="voicemail"),
    ]


def carried(row: dict[str, Any]) -> tuple[Any, ...]:
    """A feed row's values as raw.calls should hold them (text; Aircall talk = talk + hold)."""
    values = dict(row)
    for column in ("started_at", "answered_at", "ended_at"):
        values[column] = _iso(as_utc(values[column])) if values[column] else None
    values["talk_seconds"] = str(int(row["talk_seconds"]) + int(row["hold_seconds"]))
    return tuple(values[c] for c in CARRIED)


def landed(warehouse: Path) -> dict[str, tuple[Any, ...]]:
    selected = ", ".join(
        f"strftime({c}, '%Y-%m-%dT%H:%M:%SZ')" if c.endswith("_at") else f"{c}::varchar"
        for c in CARRIED
    )
    rows = query(warehouse, f"select {selected} from raw.calls")
    return {row[0]: row for row in rows}


def test_first_load_pages_through_every_call_and_lands_the_files_values(
    tmp_path: Path, configure: Configure
) -> None:
    rows = every_disposition()
    warehouse = tmp_path / "warehouse.duckdb"
    with AircallFake.from_feed_rows(calls=rows, api_id=API_ID, api_token=TOKEN) as fake:
        configure(fake, per_page=3)
        load_id = load("aircall", warehouse)

    assert landed(warehouse) == {row["call_id"]: carried(row) for row in rows}
    assert count(warehouse, "select count(*) from raw.calls where hold_seconds is not null") == 0
    assert count(warehouse, "select count(*) from raw.calls where wrap_seconds is not null") == 0
    assert count(warehouse, "select count(*) from raw.quarantine") == 0
    assert pages(warehouse, load_id) == [
        (f"aircall/calls/{load_id}/page-{n:06d}", size, size, 0)
        for n, size in enumerate((3, 3, 3, 2), start=1)
    ]
    requests = fake.served("/v1/calls")
    assert [r.params for r in requests] == [
        {"order": "asc", "per_page": "3"},
        *({"order": "asc", "per_page": "3", "page": str(p)} for p in (2, 3, 4)),
    ]
    assert all(r.authorized and r.status == 200 for r in requests)


def test_incremental_runs_refetch_the_lag_window_and_land_late_edits_once(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    day = timedelta(days=1)
    first = [
        feed_row("101", DAY1, notes="First version."),
        feed_row("102", DAY1 + day),
        feed_row("103", DAY1 + 2 * day),  # exactly at the next run's `from`: refetched
        feed_row("106", DAY1 + 2 * day - timedelta(seconds=1)),  # one second before: not
        feed_row(
            "104",
            DAY1 + 3 * day - timedelta(hours=1),
            concern_tags="price",
            outcome="order_placed",
            notes="I want it cheaper.",
        ),
        feed_row("105", DAY1 + 4 * day),  # the newest start: the cursor
    ]
    with _fake(calls=[aircall_call(r) for r in first]) as fake:
        configure(fake)
        load("aircall", warehouse)
        assert count(warehouse) == 6
        run1 = len(fake.served())

        # An agent edits call 104 inside the window, and call 101 outside it; new calls come
        # in, one of them still ringing.
        edited = aircall_call(
            {
                **feed_row("104", DAY1 + 3 * day - timedelta(hours=1)),
                "concern_tags": "price;return_policy",
                "outcome": "will_buy_later",
            }
        )
        edited["comments"] = [
            {"id": 1, "content": "I want it cheaper.", "posted_at": 1},
            {"id": 2, "content": "Will wait for the sale.", "posted_at": 2},
        ]
        fake.put_call(edited)
        fake.update_call("101", comments=[{"id": 9, "content": "Edited too late.", "posted_at": 3}])
        fake.put_call(aircall_call(feed_row("107", DAY1 + 5 * day - timedelta(hours=1))))
        fake.put_call(aircall_call(feed_row("108", DAY1 + 5 * day)))
        ringing = aircall_call(feed_row("109", DAY1 + 5 * day + timedelta(hours=1)))
        fake.put_call({**ringing, "status": "answered", "ended_at": None})

        second = load("aircall", warehouse)
        run2 = fake.served()[run1:]
        # from = cursor (call 105's start) - 2 days lag = call 103's start.
        assert run2[0].params["from"] == str(int((DAY1 + 2 * day).timestamp()))
        # Served: 103, 104, 105, 107, 108 and the ringing 109 (skipped until it ends).
        assert [p[1] for p in pages(warehouse, second)] == [2, 2, 1]
        assert count(warehouse) == 8
        assert count(warehouse, "select count(distinct call_id) from raw.calls") == 8
        assert query(
            warehouse,
            "select outcome, concern_tags, notes from raw.calls where call_id = '104'",
        ) == [
            ("will_buy_later", "price;return_policy", "I want it cheaper.\nWill wait for the sale.")
        ]
        # Outside the lag window an edit is not seen (documented: the window bounds late edits).
        assert query(warehouse, "select notes from raw.calls where call_id = '101'") == [
            ("First version.",)
        ]

        fake.put_call(ringing)  # call 109 has ended
        third = load("aircall", warehouse)
        run3 = fake.served()[run1 + len(run2) :]
        assert run3[0].params["from"] == str(int((DAY1 + 3 * day).timestamp()))
        assert sum(p[1] for p in pages(warehouse, third)) == 4  # 105, 107, 108, 109
        assert query(warehouse, "select disposition from raw.calls where call_id = '109'") == [
            ("connected",)
        ]
        served_calls = len(fake.calls)

    assert count(warehouse) == served_calls == 9
    assert_only_calls_staged(warehouse, tmp_path / "dbt", served_calls)


def test_throttles_and_a_server_error_are_waited_out(tmp_path: Path, configure: Configure) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    calls = [aircall_call(feed_row(f"{n}", DAY1 + timedelta(hours=n))) for n in range(1, 5)]
    with _fake(calls=calls) as fake:
        configure(fake)
        fake.throttle_next(retry_after=1)  # 429 with Retry-After: 1
        fake.throttle_next(retry_after=None, reset_in=1)  # 429 with only X-AircallApi-Reset
        fake.fail_next(500)
        fake.use_up_quota_once(reset_in=1)  # page 1 says the quota is used up until reset
        load_id = load("aircall", warehouse)
        requests = fake.served()

    assert [r.status for r in requests] == [429, 429, 500, 200, 200]
    assert requests[1].at - requests[0].at >= 1.0  # Retry-After honoured
    assert requests[2].at >= int(requests[1].headers["X-AircallApi-Reset"])  # reset honoured
    assert requests[2].at - requests[1].at >= 0.5
    assert requests[3].at - requests[2].at < 1.0  # a 500 is retried after a short backoff
    assert requests[4].at >= int(requests[3].headers["X-AircallApi-Reset"])  # quota waited for
    assert [p[1:] for p in pages(warehouse, load_id)] == [(2, 2, 0), (2, 2, 0)]
    assert count(warehouse) == 4


def test_an_unexpected_field_lands_as_a_reported_extra_column(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    calls = [aircall_call(feed_row(f"{n}", DAY1 + timedelta(hours=n))) for n in range(1, 4)]
    with _fake(calls=calls) as fake:
        configure(fake)
        fake.extra_field = {"ai_sentiment": "positive"}
        load_id = load("aircall", warehouse)

    assert (
        query(warehouse, "select extra_columns from raw.ingested_files where load_id = ?", load_id)
        == [("aircall_ai_sentiment",)] * 2
    )
    assert query(warehouse, "select aircall_ai_sentiment, count(*) from raw.calls group by 1") == [
        ("positive", 3)
    ]


def test_the_query_cap_is_paged_past_from_the_last_start(
    tmp_path: Path, configure: Configure
) -> None:
    """Aircall serves at most 10,000 calls per query; here 4, to see the connector go on."""
    warehouse = tmp_path / "warehouse.duckdb"
    starts = [DAY1 + timedelta(minutes=n) for n in (0, 1, 2, 3, 3, 4, 5, 6, 7)]  # 4th = 5th
    calls = [aircall_call(feed_row(f"{n}", s)) for n, s in enumerate(starts, start=1)]
    with _fake(calls=calls) as fake:
        fake.max_items = 4
        configure(fake, query_item_cap=4)
        load_id = load("aircall", warehouse)
        froms = [r.params.get("from") for r in fake.served()]

    unix = [str(int(s.timestamp())) for s in starts]
    # Query 1: calls 1-4. Query 2 from call 4's second: 4 (skipped, seen), 5, 6, 7.
    # Query 3 from call 7's start: 7 (skipped), 8, 9: fewer than the cap, done.
    assert froms == [None, None, unix[3], unix[3], unix[6], unix[6]]
    assert [p[1] for p in pages(warehouse, load_id)] == [2, 2, 1, 2, 1, 1]
    assert count(warehouse) == 9
    assert count(warehouse, "select count(distinct call_id) from raw.calls") == 9


def test_a_load_killed_mid_way_is_resumed_exactly_once(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    day = timedelta(days=1)
    old = [aircall_call(feed_row(f"{n}", DAY1 + n * day)) for n in range(4)]
    new = [aircall_call(feed_row(f"{n}", DAY1 + 4 * day + timedelta(hours=n))) for n in range(4, 9)]
    with _fake(calls=old) as fake:
        env = configure(fake)
        first = load("aircall", warehouse)
        for call in new:
            fake.put_call(call)
        assert count(warehouse) == 4
        assert query(warehouse, "select distinct load_id from raw.ingested_files") == [(first,)]

        # Served next: days 2-4 (lag) and the 5 new calls = 8 calls, 4 pages. Kill on page 3.
        run = kill_mid_load_and_resume("aircall", fake, warehouse, env, page=3)
        served_calls = len(fake.calls)

    # The killed run committed nothing: the resumed run starts from the same cursor.
    assert run.resumed[0].params["from"] == run.killed[0].params["from"]
    assert run.resumed[0].params["from"] == str(int((DAY1 + day).timestamp()))
    assert [p[1] for p in pages(warehouse, run.load_id)] == [2, 2, 2, 2]
    assert count(warehouse) == served_calls == 9
    assert count(warehouse, "select count(distinct call_id) from raw.calls") == 9


def test_the_token_never_appears(
    tmp_path: Path,
    configure: Configure,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    calls = [aircall_call(feed_row(f"{n}", DAY1 + timedelta(hours=n))) for n in range(1, 4)]
    check_the_token_never_appears(
        "aircall",
        _fake(calls=calls),
        configure,
        tmp_path,
        monkeypatch,
        caplog,
        capfd,
        user=API_ID,
        token=TOKEN,
        token_key="api_token",
        wrong="wrong-aircall-tok-Z8-NEVER-LOG",
        calls_path="/v1/calls",
        refused="aircall: HTTP 401 from http://127.0.0.1:",
    )
