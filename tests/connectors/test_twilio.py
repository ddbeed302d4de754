"""The Twilio connector, end to end, against a fake Twilio Voice API on 127.0.0.1.

Every test is a real dlt pipeline run into a DuckDB file under tmp_path; the fake
(tests/connectors/twilio_server.py) serves, pages, throttles and fails like Twilio.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.sources.http import VendorError
from tests.connectors.leaks import check_the_token_never_appears
from tests.connectors.staging import assert_only_calls_staged
from tests.connectors.telephony_load import (
    Configure,
    cause_of,
    count,
    kill_mid_load_and_resume,
    load,
    pages,
    query,
    vendor_configure,
)
from tests.connectors.twilio_server import TwilioFake

ACCOUNT_SID = "AC" + "3141" * 8
TOKEN = "twilio-auth-8Kd1-NEVER-LOG-q4"
DAY1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CUSTOMER = "+14155550100"
NULL_COLUMNS = (
    "customer_id",
    "agent_id",
    "campaign",
    "answered_at",
    "hold_seconds",
    "wrap_seconds",
    "outcome",
    "concern_tags",
    "notes",
    "resolved_first_contact",
)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Configure:
    """Points the connector at a fake through dlt's env provider; returns the variables set."""
    return vendor_configure(
        monkeypatch, "twilio", {"account_sid": ACCOUNT_SID, "auth_token": TOKEN, "page_size": 2}
    )


def _fake() -> TwilioFake:
    return TwilioFake(account_sid=ACCOUNT_SID, auth_token=TOKEN)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_first_load_maps_every_final_status_and_skips_calls_in_progress(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    at = [DAY1 + timedelta(minutes=n) for n in range(9)]
    with _fake() as fake:
        calls = [
            fake.add_call(at[0], seconds=95),
            fake.add_call(at[1], status="no-answer"),
            fake.add_call(at[2], status="busy"),
            fake.add_call(at[3], status="failed"),
            fake.add_call(at[4], status="canceled"),
            fake.add_call(at[5], seconds=40, answered_by="machine_end_beep"),
            fake.add_call(at[6], seconds=200, direction="inbound"),
            fake.add_call(at[7], seconds=30, direction="outbound-dial"),
            fake.add_call(at[8], status="in-progress"),
        ]
        configure(fake, page_size=3)
        load_id = load("twilio", warehouse)
        requests = fake.served("/Calls.json")

    expected = [
        ("outbound", "connected", 95),
        ("outbound", "no_answer", 0),
        ("outbound", "busy", 0),
        ("outbound", "failed", 0),
        ("outbound", "abandoned", 0),
        ("outbound", "voicemail", 40),
        ("inbound", "connected", 200),
        ("outbound", "connected", 30),
    ]
    assert query(
        warehouse,
        """select call_id, phone, direction, disposition, talk_seconds,
                  strftime(started_at, '%Y-%m-%dT%H:%M:%SZ'),
                  strftime(ended_at, '%Y-%m-%dT%H:%M:%SZ')
           from raw.calls order by started_at""",
    ) == [
        (
            call["sid"],
            CUSTOMER,
            direction,
            disposition,
            talk,
            _iso(start),
            _iso(start + timedelta(seconds=talk or 20)),
        )
        for call, start, (direction, disposition, talk) in zip(calls, at, expected, strict=False)
    ]
    nulls = " and ".join(f"{c} is null" for c in NULL_COLUMNS)
    assert count(warehouse, f"select count(*) from raw.calls where {nulls}") == 8
    # Newest first, 3 a page: the call in progress is on page 1 and is not landed.
    assert [p[1:] for p in pages(warehouse, load_id)] == [(2, 2, 0), (3, 3, 0), (3, 3, 0)]
    assert requests[0].params == {"PageSize": "3"}
    assert [(r.params["Page"], r.params["PageToken"]) for r in requests[1:]] == [
        ("1", f"PA{calls[6]['sid']}"),
        ("2", f"PA{calls[3]['sid']}"),
    ]
    assert all(r.authorized and r.status == 200 for r in requests)


def test_incremental_runs_refetch_the_lag_window_and_land_late_updates_once(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    day = timedelta(days=1)
    with _fake() as fake:
        a = fake.add_call(DAY1)
        fake.add_call(DAY1 + day)
        # Twilio filters by day: the next `StartTime>=` is this call's day, so it is refetched
        # although it started 9.5 hours before cursor - lag.
        early = fake.add_call(DAY1 + 2 * day - timedelta(hours=9, minutes=30))
        late = fake.add_call(DAY1 + 3 * day, seconds=100)
        fake.add_call(DAY1 + 4 * day)  # the newest finished call: the cursor
        ringing = fake.add_call(DAY1 + 4 * day - timedelta(hours=1), status="ringing")
        configure(fake)
        load("twilio", warehouse)
        assert count(warehouse) == 5
        run1 = len(fake.served())

        # Twilio settles call `late`'s duration later; the ringing call ends; new calls arrive.
        fake.update_call(
            late["sid"], duration="130", date_updated="Thu, 05 Mar 2026 09:00:00 +0000"
        )
        fake.update_call(ringing["sid"], status="completed", seconds=75)
        fake.add_call(DAY1 + 5 * day)
        fake.add_call(DAY1 + 5 * day + timedelta(hours=1), status="no-answer")
        second = load("twilio", warehouse)
        run2 = fake.served()[run1:]
        served_calls = len(fake.calls)

    # Cursor = day 5 10:00; minus 2 days lag = day 3 10:00; Twilio takes the day.
    assert run2[0].params == {"PageSize": "2", "StartTime>": "2026-03-03"}
    # Served from 3 March: early, late, day 5, the once-ringing call and the 2 new ones.
    assert [p[1] for p in pages(warehouse, second)] == [2, 2, 2]
    assert query(warehouse, "select 1 from raw.calls where call_id = ?", early["sid"]) == [(1,)]
    assert query(
        warehouse, "select talk_seconds from raw.calls where call_id = ?", late["sid"]
    ) == [(130,)]
    assert query(
        warehouse,
        "select disposition, talk_seconds from raw.calls where call_id = ?",
        ringing["sid"],
    ) == [("connected", 75)]
    assert query(warehouse, "select count(*) from raw.calls where call_id = ?", a["sid"]) == [(1,)]
    assert count(warehouse) == served_calls == 8
    assert count(warehouse, "select count(distinct call_id) from raw.calls") == 8
    assert_only_calls_staged(warehouse, tmp_path / "dbt", served_calls)


def test_throttles_and_a_server_error_are_waited_out(
    tmp_path: Path, configure: Configure, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    caplog.set_level(logging.WARNING, logger="ingestion.sources.twilio")
    with _fake() as fake:
        for n in range(4):
            fake.add_call(DAY1 + timedelta(hours=n))
        configure(fake)
        fake.throttle_next(retry_after=1)  # 429, Retry-After: 1, error 20429
        fake.throttle_next(retry_after=None)  # 429, error 20429 only: backoff
        fake.fail_next(500)
        load_id = load("twilio", warehouse)
        requests = fake.served()

        # Throttled on every attempt: the run fails, naming Twilio's code and nothing else.
        for _ in range(5):  # max_attempts
            fake.throttle_next(retry_after=None)
        with pytest.raises(PipelineStepFailed) as failed:
            load("twilio", warehouse)

    assert [r.status for r in requests] == [429, 429, 500, 200, 200]
    assert requests[1].at - requests[0].at >= 1.0  # Retry-After honoured
    assert requests[2].at - requests[1].at < 1.0  # no Retry-After: a short backoff
    assert [p[1:] for p in pages(warehouse, load_id)] == [(2, 2, 0), (2, 2, 0)]
    assert count(warehouse) == 4
    assert caplog.text.count("throttled (Twilio error 20429)") >= 2
    assert str(cause_of(failed.value, VendorError)) == (
        f"twilio: HTTP 429 (Twilio error 20429) from {fake.base_url}{fake.calls_path} "
        "(retries exhausted or not retryable)"
    )


def test_an_unexpected_field_lands_as_a_reported_extra_column(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with _fake() as fake:
        for n in range(3):
            fake.add_call(DAY1 + timedelta(hours=n))
        fake.extra_field = {"sentiment_score": "0.82"}
        configure(fake)
        load_id = load("twilio", warehouse)

    assert (
        query(warehouse, "select extra_columns from raw.ingested_files where load_id = ?", load_id)
        == [("twilio_sentiment_score",)] * 2
    )
    assert query(
        warehouse, "select twilio_sentiment_score, count(*) from raw.calls group by 1"
    ) == [("0.82", 3)]


def test_a_load_killed_mid_way_is_resumed_exactly_once(
    tmp_path: Path, configure: Configure
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    day = timedelta(days=1)
    with _fake() as fake:
        for n in range(4):
            fake.add_call(DAY1 + n * day, customer=f"+1415555010{n}")
        env = configure(fake)
        first = load("twilio", warehouse)
        for n in range(4, 9):
            fake.add_call(DAY1 + 4 * day + timedelta(hours=n), customer=f"+1415555010{n}")
        assert count(warehouse) == 4
        assert query(warehouse, "select distinct load_id from raw.ingested_files") == [(first,)]

        # Served next: from 2 March (cursor 4 March - 2 days), 3 old + 5 new calls, 4 pages.
        run = kill_mid_load_and_resume("twilio", fake, warehouse, env, page=3)
        served_calls = len(fake.calls)

    # The killed run committed nothing: the resumed run asks from the same day.
    assert (
        run.resumed[0].params
        == run.killed[0].params
        == {"PageSize": "2", "StartTime>": "2026-03-02"}
    )
    assert [p[1] for p in pages(warehouse, run.load_id)] == [2, 2, 2, 2]
    assert count(warehouse) == served_calls == 9
    assert count(warehouse, "select count(distinct call_id) from raw.calls") == 9


def test_the_auth_token_never_appears(
    tmp_path: Path,
    configure: Configure,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fake = _fake()
    for n in range(3):
        fake.add_call(DAY1 + timedelta(hours=n))
    check_the_token_never_appears(
        "twilio",
        fake,
        configure,
        tmp_path,
        monkeypatch,
        caplog,
        capfd,
        user=ACCOUNT_SID,
        token=TOKEN,
        token_key="auth_token",
        wrong="wrong-twilio-auth-V3-NEVER-LOG",
        calls_path="/Calls.json",
        refused="twilio: HTTP 401 (Twilio error 20003) from http://127.0.0.1:",
    )
