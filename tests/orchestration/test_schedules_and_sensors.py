"""The schedules, the feeds sensor and the failure alert, evaluated as the daemon evaluates them."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml

# The scheduler's own tick arithmetic: what the daemon will launch, DST included.
from dagster._utils.schedules import cron_string_iterator

from listenloop.settings import DBT_PROJECT_DIR, Settings
from orchestration.defs import build_definitions
from orchestration.defs.notifications import (
    SECTION_LIMIT,
    build_failure_alert_sensor,
    run_failure_message,
)
from orchestration.defs.schedules import build_schedules
from orchestration.defs.sensors import FEEDS_TAG, run_key

NEW_YORK = "America/New_York"


def keys(*names: str) -> set[dg.AssetKey]:
    return {dg.AssetKey(name.split("/")) for name in names}


@pytest.fixture(scope="module")
def feeds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feeds")


@pytest.fixture(scope="module")
def defs(feeds_dir: Path) -> dg.Definitions:
    settings = Settings.from_env(
        feeds_dir=str(feeds_dir), warehouse=feeds_dir.parent / "w.duckdb", timezone=NEW_YORK
    )
    return build_definitions(settings)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


# ---- schedules ---------------------------------------------------------------------------------


def _local_ticks(schedule: dg.ScheduleDefinition, day: str) -> list[str]:
    """The ticks the daemon launches on one local calendar day, as local 'HH:MM' times."""
    zone = ZoneInfo(schedule.execution_timezone or "UTC")
    start = datetime.fromisoformat(day).replace(tzinfo=zone)
    ticks = []
    for tick in cron_string_iterator(
        start.timestamp(), str(schedule.cron_schedule), schedule.execution_timezone
    ):
        local = tick.astimezone(zone)
        if local.date().isoformat() != day:
            break
        ticks.append(local.strftime("%H:%M"))
    return ticks


def test_intraday_ticks_every_two_hours_in_calling_hours_across_dst(
    defs: dg.Definitions,
) -> None:
    intraday = defs.resolve_schedule_def("intraday_call_list")
    expected = ["09:00", "11:00", "13:00", "15:00", "17:00", "19:00"]
    # The Saturday before, and the Sunday of, New York's change to summer time.
    assert _local_ticks(intraday, "2026-03-07") == expected
    assert _local_ticks(intraday, "2026-03-08") == expected
    # ...which moves the same local ticks an hour earlier in UTC.
    first_ticks_utc = [
        next(cron_string_iterator(day.timestamp(), "0 9-19/2 * * *", NEW_YORK)).astimezone(UTC)
        for day in (
            datetime(2026, 3, 7, tzinfo=ZoneInfo(NEW_YORK)),
            datetime(2026, 3, 8, tzinfo=ZoneInfo(NEW_YORK)),
        )
    ]
    assert [t.hour for t in first_ticks_utc] == [14, 13]

    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    start, end = dbt_vars["calling_hours_start"], dbt_vars["calling_hours_end"]
    assert all(start <= tick < end for tick in expected), (start, end)
    # Outside calling hours only the nightly build runs; on the night the clocks skip 02:00, at
    # 03:00.
    nightly = defs.resolve_schedule_def("nightly_build")
    assert _local_ticks(nightly, "2026-03-07") == ["02:00"]
    assert _local_ticks(nightly, "2026-03-08") == ["03:00"]


@pytest.mark.parametrize(
    ("schedule_name", "local_time", "job_name", "tags"),
    [
        # 09:00 in New York is 13:00 UTC in summer time: the list's cutoff is the tick
        (
            "intraday_call_list",
            "2026-10-29T09:00",
            "refresh_call_list",
            {"listenloop/list_cutoff_at": "2026-10-29 13:00:00"},
        ),
        (
            "intraday_call_list",
            "2026-10-29T19:00",
            "refresh_call_list",
            {"listenloop/list_cutoff_at": "2026-10-29 23:00:00"},
        ),
    ],
)
def test_schedules_request_one_run_of_todays_partition(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    schedule_name: str,
    local_time: str,
    job_name: str,
    tags: dict[str, str],
) -> None:
    schedule = defs.resolve_schedule_def(schedule_name)
    at = datetime.fromisoformat(local_time).replace(tzinfo=ZoneInfo(NEW_YORK))
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )

    result = schedule.evaluate_tick(context)

    assert result.skip_message is None
    assert result.run_requests == [
        dg.RunRequest(
            run_key=None,
            partition_key="2026-10-29",
            tags={
                **tags,
                "dagster/schedule_name": schedule_name,
                "dagster/partition": "2026-10-29",
                "dagster/partition_set": f"{job_name}_partition_set",
            },
        )
    ]
    assert schedule.job_name == job_name
    assert schedule.execution_timezone == NEW_YORK


def test_nightly_build_runs_the_last_seven_days_in_one_run(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    schedule = defs.resolve_schedule_def("nightly_build")
    at = datetime(2026, 10, 29, 2, tzinfo=ZoneInfo(NEW_YORK))
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=at)
    assert schedule.evaluate_tick(context).run_requests == [
        dg.RunRequest(
            run_key=None,
            tags={
                "dagster/asset_partition_range_start": "2026-10-23",
                "dagster/asset_partition_range_end": "2026-10-29",
                "dagster/schedule_name": "nightly_build",
            },
        )
    ]
    assert schedule.job_name == "build_everything"
    assert schedule.execution_timezone == NEW_YORK


@pytest.mark.parametrize(
    ("first_list_date", "expected"),
    [("2026-10-27", ("2026-10-27", "2026-10-29")), ("2026-10-30", None)],
)
def test_nightly_build_starts_no_earlier_than_the_first_list_date(
    instance: dg.DagsterInstance, first_list_date: str, expected: tuple[str, str] | None
) -> None:
    settings = Settings.from_env(timezone=NEW_YORK, first_list_date=first_list_date)
    [nightly, _] = build_schedules(settings)
    at = datetime(2026, 10, 29, 2, tzinfo=ZoneInfo(NEW_YORK))
    result = nightly.evaluate_tick(
        dg.build_schedule_context(instance=instance, scheduled_execution_time=at)
    )
    if expected is None:
        assert result.run_requests == []
        assert result.skip_message == "2026-10-29 is before the first list date 2026-10-30"
    else:
        [request] = result.run_requests or []
        assert (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        ) == expected


def test_a_late_evening_tick_belongs_to_the_local_day(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    # 19:00 in New York on 2 November is already 00:00 UTC on the 3rd
    schedule = defs.resolve_schedule_def("intraday_call_list")
    at = datetime(2026, 11, 2, 19, tzinfo=ZoneInfo(NEW_YORK))
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )
    [request] = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key == "2026-11-02"
    assert request.tags["listenloop/list_cutoff_at"] == "2026-11-03 00:00:00"


def test_nightly_job_builds_every_asset(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def("build_everything")
    everything = {spec.key for spec in defs.resolve_all_asset_specs()}
    assert set(job.asset_layer.executable_asset_keys) == everything
    assert len(everything) == 56  # 7 raw feeds, 48 dbt models and seeds, the publish step


def test_intraday_job_is_the_abandonment_path_without_the_outcome_marts(
    defs: dg.Definitions,
) -> None:
    job = defs.resolve_job_def("refresh_call_list")
    assert set(job.asset_layer.executable_asset_keys) == keys(
        "raw/calls",
        "raw/checkouts",
        "raw/customers",
        "raw/orders",
        "staging/stg_store__customer_versions",
        "staging/stg_store__customers",
        "staging/stg_store__checkouts",
        "staging/stg_store__orders",
        "staging/stg_telephony__calls",
        "staging/stg_telephony__call_concerns",
        "intermediate/int_calls__attempts",
        "intermediate/int_calls__conversations",
        "intermediate/int_checkouts__abandoned",
        "intermediate/int_checkouts__versions",
        "intermediate/int_customers__360",
        "intermediate/int_customers__versions",
        "intermediate/int_orders__versions",
        "intermediate/int_call_list__dates",
        "intermediate/int_call_list__candidates",
        "intermediate/int_call_list__attempts",
        "intermediate/int_call_list__recent_contacts",
        "intermediate/int_call_list__checks",
        "intermediate/int_call_list__members",
        "segments/seg_cart_abandoners",
        "segments/seg_first_purchasers",
        "segments/seg_one_time_buyers",
        "segments/seg_returners",
        "segments/seg_service_followups",
        "segments/call_list_history",
        "segments/call_list",
        "segments/call_list_suppressed",
        "serving/publish",
    )


# ---- feeds sensor ------------------------------------------------------------------------------

# Fixed modification times make the cursor exact; both are well past the settle time.
MONDAY_6AM = datetime(2026, 10, 26, 6, 0, tzinfo=UTC)
MONDAY_7AM = datetime(2026, 10, 26, 7, 0, tzinfo=UTC)

SURVEYS_DOWNSTREAM = keys(
    "raw/surveys",
    "staging/stg_feedback__surveys",
    "intermediate/int_scorecard__periods",
    "marts/mart_cx_scorecard",
    "marts/mart_program_summary",
    "serving/publish",
)
REFUNDS_DOWNSTREAM = keys(
    "raw/refunds",
    "staging/stg_store__refunds",
    "intermediate/int_customers__360",
    "intermediate/int_call_list__candidates",
    "intermediate/int_call_list__attempts",
    "intermediate/int_call_list__recent_contacts",
    "intermediate/int_call_list__checks",
    "intermediate/int_call_list__members",
    "intermediate/int_outcomes__assignments",
    "intermediate/int_outcomes__call_attribution",
    "intermediate/int_outcomes__assignment_results",
    "intermediate/int_outcomes__arm_weeks",
    "segments/seg_returners",
    "segments/call_list_history",
    "segments/call_list",
    "segments/call_list_suppressed",
    "marts/mart_cart_recovery",
    "marts/mart_retention_lift",
    "marts/mart_revenue_per_conversation",
    "marts/mart_program_summary",
    "serving/publish",
)


def _drop(feeds_dir: Path, relative_path: str, text: str, modified_at: datetime) -> str:
    path = feeds_dir / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (modified_at.timestamp(), modified_at.timestamp()))
    return f"{len(text.encode())}@{modified_at.isoformat()}"


def _tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorExecutionData:
    sensor = defs.resolve_sensor_def("new_feed_files")
    context = dg.build_sensor_context(cursor=cursor, instance=instance, definitions=defs)
    return sensor.evaluate_tick(context)


def _sensor_tags(request: dg.RunRequest) -> dict[str, str]:
    """The tags of a sensor request that reaches the daily models: today's partition in the
    program timezone."""
    assert request.partition_key == datetime.now(ZoneInfo(NEW_YORK)).date().isoformat()
    return {
        "dagster/sensor_name": "new_feed_files",
        "dagster/partition": request.partition_key,
        "dagster/partition_set": "ingest_new_files_partition_set",
        "listenloop/list_cutoff_at": "run_start",
    }


def test_feeds_sensor_starts_one_run_per_new_file(
    defs: dg.Definitions, instance: dg.DagsterInstance, feeds_dir: Path
) -> None:
    surveys_v1 = _drop(feeds_dir, "surveys/2026-10-25.csv", "survey_id\nS1\n", MONDAY_6AM)
    refunds = _drop(feeds_dir, "refunds/2026-10-25.jsonl", '{"refund_id": "R1"}\n', MONDAY_6AM)
    (feeds_dir / "surveys" / "README.txt").write_text("not a feed file\n", encoding="utf-8")

    # First tick: two new files in two feeds make one run for those feeds and what they feed.
    first = _tick(defs, instance, cursor=None)
    cursor = {
        "refunds": {"refunds/2026-10-25.jsonl": refunds},
        "surveys": {"surveys/2026-10-25.csv": surveys_v1},
    }
    assert json.loads(first.cursor or "") == cursor
    [request] = first.run_requests or []
    assert request.run_key == run_key(cursor)
    assert request.tags == {FEEDS_TAG: "refunds,surveys", **_sensor_tags(request)}
    assert set(request.asset_selection or []) == SURVEYS_DOWNSTREAM | REFUNDS_DOWNSTREAM
    assert len(request.asset_selection or []) == 25

    # Second tick, nothing new: skipped, same cursor.
    second = _tick(defs, instance, cursor=first.cursor)
    assert second.run_requests == []
    assert second.skip_message == "no new or changed feed files"
    assert second.cursor == first.cursor

    # A replaced file starts a run for its feed only.
    surveys_v2 = _drop(feeds_dir, "surveys/2026-10-25.csv", "survey_id\nS1\nS2\n", MONDAY_7AM)
    third = _tick(defs, instance, cursor=second.cursor)
    [request] = third.run_requests or []
    assert request.run_key == run_key({"surveys": {"surveys/2026-10-25.csv": surveys_v2}})
    # surveys reach no daily model, so the run has no partition
    assert request.partition_key is None
    assert request.tags == {FEEDS_TAG: "surveys", "dagster/sensor_name": "new_feed_files"}
    assert set(request.asset_selection or []) == SURVEYS_DOWNSTREAM
    assert json.loads(third.cursor or "")["surveys"] == {"surveys/2026-10-25.csv": surveys_v2}

    # A tick that re-evaluates the same change (the daemon died before saving the cursor) asks
    # for the same run key, which Dagster launches at most once.
    again = _tick(defs, instance, cursor=second.cursor)
    assert [r.run_key for r in again.run_requests or []] == [request.run_key]

    # A file still being written waits for a later tick; an archived file starts nothing.
    _drop(feeds_dir, "surveys/2026-10-26.csv", "survey_id\nS3\n", datetime.now(UTC))
    (feeds_dir / "refunds" / "2026-10-25.jsonl").unlink()
    fourth = _tick(defs, instance, cursor=third.cursor)
    assert fourth.run_requests == []
    assert json.loads(fourth.cursor or "") == {"surveys": {"surveys/2026-10-25.csv": surveys_v2}}


# ---- failure alert -----------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "json": json.loads(body),
            }
        )
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/listenloop", handler
    finally:
        server.shutdown()
        server.server_close()


@dg.asset(key=["raw", "calls"])
def broken_calls() -> None:
    raise RuntimeError(
        "consent missing for jane.doe@example.com, +1 (415) 555-0132, since 2026-10-29\n"
        "second line that stays out of the alert"
    )


@dg.asset(
    key=["segments", "call_list"],
    check_specs=[
        dg.AssetCheckSpec(name, asset=["segments", "call_list"], blocking=True)
        for name in ("phone_is_e164", "unique_customer_id")
    ],
)
def call_list() -> Iterator[dg.Output | dg.AssetCheckResult]:
    yield dg.Output(None)
    yield dg.AssetCheckResult(
        check_name="phone_is_e164",
        passed=False,
        description="2 phones are not E.164, e.g. 4155550199\nthe rest of the report",
    )
    # as dagster-dbt reports a failed dbt test: a count, no description
    yield dg.AssetCheckResult(
        check_name="unique_customer_id",
        passed=False,
        metadata={"dagster_dbt/failed_row_count": 1},
    )


@dg.asset(key=["marts", "mart_call_outcomes_daily"], deps=[call_list])
def outcomes() -> None:
    pass


def _failed_run(
    instance: dg.DagsterInstance, webhook_url: str | None
) -> tuple[dg.SensorDefinition, dg.RunFailureSensorContext]:
    """Runs a job whose feed asset raises and whose blocking check fails, for real."""
    sensor = build_failure_alert_sensor(
        Settings.from_env(alert_webhook_url=webhook_url, timezone="UTC")
    )
    job = dg.Definitions(
        assets=[broken_calls, call_list, outcomes]
    ).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    return sensor, context


def test_failed_run_and_blocking_check_are_posted_to_the_webhook(
    instance: dg.DagsterInstance, webhook: tuple[str, type[_Recorder]]
) -> None:
    url, handler = webhook
    sensor, context = _failed_run(instance, url)

    assert sensor(context) is None

    run_id = context.dagster_run.run_id
    body = (
        f"job `__ASSET_JOB`, run `{run_id}`\n"
        "• step `raw__calls`: RuntimeError: consent missing for <email>, <phone>,"
        " since 2026-10-29\n"
        "• step `segments__call_list`: DagsterAssetCheckFailedError: 2 blocking asset checks failed"
        " with ERROR severity:\n"
        "• blocking check `phone_is_e164` on `segments/call_list`: 2 phones are not E.164,"
        " e.g. <phone>\n"
        "• blocking check `unique_customer_id` on `segments/call_list`: 1 failing row\n"
        "• not materialized (2): `marts/mart_call_outcomes_daily`, `raw/calls`"
    )
    assert handler.received == [
        {
            "path": "/hooks/listenloop",
            "content_type": "application/json",
            "json": {
                "text": f"ListenLoop run failed: {body}",
                "blocks": [
                    {
                        "type": "header",
                        "text": {"type": "plain_text", "text": "ListenLoop run failed"},
                    },
                    {"type": "section", "text": {"type": "mrkdwn", "text": body}},
                ],
            },
        }
    ]


def test_a_failed_post_is_logged_not_raised(
    instance: dg.DagsterInstance,
    webhook: tuple[str, type[_Recorder]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, handler = webhook
    handler.status = 500
    sensor, context = _failed_run(instance, url)

    # The sensor logs to its tick's log (shown in the UI), a logger of its own.
    context.log.addHandler(caplog.handler)
    assert sensor(context) is None

    assert len(handler.received) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "alert webhook: post failed (HTTP Error 500: Internal Server Error); the alert is lost"
    ]
    assert url not in caplog.text  # the webhook URL is a secret


def test_without_a_webhook_the_alert_is_skipped(instance: dg.DagsterInstance) -> None:
    sensor, context = _failed_run(instance, webhook_url=None)
    result = sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "LISTENLOOP_ALERT_WEBHOOK_URL is not set: no alert sent"


def test_a_long_error_is_cut_to_what_slack_accepts(instance: dg.DagsterInstance) -> None:
    @dg.asset
    def verbose() -> None:
        raise ValueError("x" * 4000)

    result = dg.materialize([verbose], instance=instance, raise_on_error=False)
    payload = run_failure_message(instance, result.dagster_run, result.get_run_failure_event())

    section = payload["blocks"][1]["text"]["text"]
    assert len(section) == SECTION_LIMIT
    assert section.endswith("x…")
