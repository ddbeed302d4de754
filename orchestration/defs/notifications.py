"""Failure alerts: a failed run, with the blocking checks that failed in it, posted to a webhook.

A blocking check that fails with ERROR severity fails its step (Dagster raises
DagsterAssetCheckFailedError), so its run fails too: the run-failure alert names those checks,
and one incident makes one message. The payload is Slack's incoming-webhook JSON; Mattermost's
and Rocket.Chat's incoming webhooks show its `text`.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster import DagsterEventType

from listenloop.settings import Settings

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

POST_TIMEOUT_SECONDS = 10.0
# Slack refuses a section longer than 3,000 characters, and the alert with it.
SECTION_LIMIT = 3000
# Every asset of a failed nightly build would not fit; the run page lists them all.
MAX_LISTED_ASSETS = 10

# Error texts can quote data. E-mail addresses and anything shaped like a phone number (8 to 15
# digits, with the separators people write) never leave the machine; ISO dates are kept.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])(?!\d{4}-\d{2}-\d{2})\+?\(?\d(?:[\s().-]{0,2}\d){7,14}(?![\w-])")


def redact(text: str) -> str:
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def error_summary(error: SerializableErrorInfo) -> str:
    """`ErrorClass: first line`, for the error the step's code raised, not Dagster's wrapper."""
    if error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
        error = error.cause
    line = _first_line(error.message)
    qualified, _, rest = line.partition(": ")
    if error.cls_name and qualified.rsplit(".", 1)[-1] == error.cls_name:
        line = f"{error.cls_name}: {rest}"
    return redact(line)


def _run_events(
    instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType
) -> list[dg.DagsterEvent]:
    records = instance.get_records_for_run(run_id=run_id, of_type=event_type).records
    return [r.event_log_entry.dagster_event for r in records if r.event_log_entry.dagster_event]


def _step_failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        f"step `{event.step_key}`: {error_summary(event.step_failure_data.error)}"
        for event in _run_events(instance, run_id, DagsterEventType.STEP_FAILURE)
        if event.step_failure_data.error
    ]


def _check_reason(evaluation: dg.AssetCheckEvaluation) -> str:
    if evaluation.description:
        return redact(_first_line(evaluation.description))
    failed_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
    if failed_rows is None:
        return "failed"
    count = failed_rows.value
    return f"{count} failing row{'' if count == 1 else 's'}"


def _failed_blocking_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    lines = []
    for event in _run_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.asset_check_evaluation_data
        if (
            not evaluation.passed
            and evaluation.blocking
            and evaluation.severity == dg.AssetCheckSeverity.ERROR
        ):
            lines.append(
                f"blocking check `{evaluation.check_name}` on "
                f"`{evaluation.asset_key.to_user_string()}`: {_check_reason(evaluation)}"
            )
    return lines


def _not_materialized(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    def keys(event_type: DagsterEventType) -> set[dg.AssetKey]:
        return {e.asset_key for e in _run_events(instance, run_id, event_type) if e.asset_key}

    missing = sorted(
        keys(DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        - keys(DagsterEventType.ASSET_MATERIALIZATION),
        key=lambda key: key.path,
    )
    if not missing:
        return []
    shown = ", ".join(f"`{key.to_user_string()}`" for key in missing[:MAX_LISTED_ASSETS])
    more = (
        f" and {len(missing) - MAX_LISTED_ASSETS} more" if len(missing) > MAX_LISTED_ASSETS else ""
    )
    return [f"not materialized ({len(missing)}): {shown}{more}"]


def _where(run: dg.DagsterRun) -> str:
    where = f"job `{run.job_name}`, run `{run.run_id}`"
    partition = run.tags.get("dagster/partition")
    start = run.tags.get("dagster/asset_partition_range_start")
    if partition:
        where += f", partition `{partition}`"
    elif start:
        where += f", partitions `{start}` to `{run.tags.get('dagster/asset_partition_range_end')}`"
    if run.tags.get("dagster/retry_number"):
        where += f" (retry {run.tags['dagster/retry_number']})"
    return where


def run_failure_message(
    instance: dg.DagsterInstance, run: dg.DagsterRun, failure: dg.DagsterEvent
) -> dict[str, Any]:
    """The Slack-compatible payload for a failed run: what failed, where, and why."""
    title = "ListenLoop run failed"
    details = [
        *_step_failures(instance, run.run_id),
        *_failed_blocking_checks(instance, run.run_id),
    ]
    if not details:
        # The run failed outside any step: it could not start, or run monitoring ended it.
        details = [redact(_first_line(failure.message or "no reason recorded"))]
    details += _not_materialized(instance, run.run_id)
    body = "\n".join([_where(run), *(f"• {line}" for line in details)])
    if len(body) > SECTION_LIMIT:
        body = body[: SECTION_LIMIT - 1] + "…"
    return {
        "text": f"{title}: {body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        ],
    }


def post_webhook(url: str, payload: dict[str, Any], logger: logging.Logger) -> bool:
    """POSTs the JSON payload; a failure is logged and reported as False, never raised.

    The URL is a secret (whoever has it can post to the channel), so it is never logged.
    """
    if not url.startswith(("https://", "http://")):
        logger.error("alert webhook: the URL must start with https:// or http://; nothing posted")
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:
            response.read()
    except OSError as exc:  # refused, timed out, or an HTTP error status (HTTPError)
        logger.error("alert webhook: post failed (%s); the alert is lost", exc)
        return False
    return True


def build_failure_alert_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="alert_on_failure",
        # Runs that `listenloop run` or `dagster asset materialize` execute themselves carry no
        # code location; ListenLoop has its instance to itself, so every failed run is ours.
        monitor_all_code_locations=True,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Posts a failed run of any ListenLoop job, with the blocking checks that failed in "
            "it, to LISTENLOOP_ALERT_WEBHOOK_URL (Slack-compatible JSON)."
        ),
    )
    def alert_on_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
        if not settings.alert_webhook_url:
            return dg.SkipReason("LISTENLOOP_ALERT_WEBHOOK_URL is not set: no alert sent")
        payload = run_failure_message(context.instance, context.dagster_run, context.failure_event)
        post_webhook(settings.alert_webhook_url, payload, context.log)
        return None

    return alert_on_failure
