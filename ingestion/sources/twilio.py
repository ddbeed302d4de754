"""The Twilio source: the `calls` feed from Twilio's Voice API, the Call resource list.

`GET /2010-04-01/Accounts/{AccountSid}/Calls.json?PageSize=N&StartTime>=YYYY-MM-DD`, pages
followed through `next_page_uri` (relative to the API root). Incremental on the call's start:
Twilio filters by day, so each run asks from the day of the cursor minus the lag window. Calls
still queued, ringing or in progress are skipped: the lag window fetches them again, finished,
on a later run. Mappings are in docs/connectors/telephony.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import dlt
import requests
from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ingestion.landing import Delivery
from ingestion.sources.cursor import iso_utc
from ingestion.sources.http import VendorError, checked_json, safe_path
from ingestion.sources.telephony import (
    CallsRun,
    TelephonySettings,
    calls_resources,
    check_page_size,
    extra_fields,
    resolve_settings,
)

VENDOR = "twilio"
API_VERSION = "2010-04-01"
MAX_PAGE_SIZE = 1000  # Twilio refuses more
EXTRA_PREFIX = "twilio_"
log = logging.getLogger(__name__)

# Final call statuses → disposition. `canceled` is a call hung up while queued or ringing.
STATUSES: dict[str, str] = {
    "completed": "connected",
    "no-answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "abandoned",
}
NOT_FINAL = frozenset({"queued", "initiated", "ringing", "in-progress"})
DIRECTIONS: dict[str, str] = {
    "inbound": "inbound",
    "outbound-api": "outbound",
    "outbound-dial": "outbound",
}

# Every Call field Twilio documents: anything else is new, and lands as an extra column.
KNOWN_FIELDS = frozenset(
    {
        "account_sid",
        "annotation",
        "answered_by",
        "api_version",
        "caller_name",
        "date_created",
        "date_updated",
        "direction",
        "duration",
        "end_time",
        "forwarded_from",
        "from",
        "from_formatted",
        "group_sid",
        "parent_call_sid",
        "phone_number_sid",
        "price",
        "price_unit",
        "queue_time",
        "sid",
        "start_time",
        "status",
        "subresource_uris",
        "to",
        "to_formatted",
        "trunk_sid",
        "uri",
    }
)


@configspec
class TwilioSettings(TelephonySettings):
    """`sources.twilio` settings: the account SID and its auth token (HTTP basic auth)."""

    base_url: str = "https://api.twilio.com"
    account_sid: str = None
    auth_token: TSecretStrValue = None
    page_size: int = MAX_PAGE_SIZE


@dlt.source(name=VENDOR)
def twilio_source(feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource, `calls`. Builds nothing and reads no setting until a run extracts."""
    return calls_resources(VENDOR, feeds, fetch_calls)


def fetch_calls() -> Iterator[Delivery]:
    """Every page of calls started since the cursor's day minus the lag, one delivery per page."""
    settings = resolve_settings(TwilioSettings, VENDOR)
    check_page_size(VENDOR, "page_size", settings.page_size, MAX_PAGE_SIZE)
    run = CallsRun.start(
        VENDOR, settings, settings.base_url, settings.account_sid, settings.auth_token, log
    )
    run.session.hooks["response"].append(_log_throttle)
    params: dict[str, Any] | None = {"PageSize": settings.page_size}
    since_day = run.cursor.since.date().isoformat() if run.cursor.since else None
    if since_day:
        params["StartTime>"] = since_day  # sent as StartTime%3E=YYYY-MM-DD, i.e. StartTime>=
    log.info("twilio.calls: fetching calls started from %s", since_day or "the start")
    account = quote(settings.account_sid)
    url: str | None = f"{run.base_url}/{API_VERSION}/Accounts/{account}/Calls.json"
    while url:
        response = run.session.get(url, params=params)
        body = _checked_json(response)
        yield run.page(body.get("calls") or [], call_row, response)
        link = body.get("next_page_uri")  # relative to the API root
        url = run.next_url(run.base_url + link if link else None)
        params = None  # the link carries the query
    run.log_totals()


def call_row(call: dict[str, Any]) -> dict[str, Any] | None:
    """A Twilio call as a contract row; None while the call is not finished.

    An unknown status or direction is passed through as is, so the contract quarantines the
    row with the value in the reason instead of the connector guessing.
    """
    status = call.get("status")
    if status in NOT_FINAL:
        return None
    direction = DIRECTIONS.get(call.get("direction") or "", call.get("direction"))
    disposition = STATUSES.get(status or "", status)
    if disposition == "connected" and str(call.get("answered_by") or "").startswith("machine"):
        disposition = "voicemail"  # answering-machine detection heard a machine
    duration = call.get("duration")
    if duration not in (None, ""):
        talk: int | None = int(duration)
    else:
        talk = None if disposition == "connected" else 0
    phone = call.get("to") if direction == "outbound" else call.get("from")
    # A call canceled before it was dialled has no start_time; it was placed at date_created.
    started = _rfc2822(call.get("start_time")) or _rfc2822(call.get("date_created"))
    return {
        "call_id": call.get("sid"),
        "customer_id": None,
        "phone": phone or None,
        "direction": direction,
        "agent_id": None,
        "campaign": None,
        "started_at": iso_utc(started),
        "answered_at": None,
        "ended_at": iso_utc(_rfc2822(call.get("end_time"))),
        "disposition": disposition,
        "talk_seconds": talk,
        "hold_seconds": None,
        "wrap_seconds": None,
        "outcome": None,
        "concern_tags": None,
        "notes": None,
        "resolved_first_contact": None,
        **extra_fields(call, KNOWN_FIELDS, EXTRA_PREFIX),
    }


def _rfc2822(text: str | None) -> datetime | None:
    """Twilio's dates: 'Tue, 31 Aug 2010 20:36:29 +0000'."""
    if not text:
        return None
    return parsedate_to_datetime(text)


def _checked_json(response: requests.Response) -> Any:
    """The JSON body, or a VendorError with Twilio's numeric error code (never its text)."""
    if response.status_code >= 400:
        code = _error_code(response)
        if code:
            raise VendorError(
                f"twilio: HTTP {response.status_code} (Twilio error {code}) from "
                f"{safe_path(response.url)} (retries exhausted or not retryable)"
            )
    return checked_json(VENDOR, response)


def _error_code(response: requests.Response) -> str | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return str(code) if isinstance(code, int) else None


def _log_throttle(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Twilio's throttle signal is a 429 with error 20429; the shared retry waits it out."""
    if response.status_code == 429:
        log.warning(
            "twilio.calls: throttled (Twilio error %s); retrying after %s s",
            _error_code(response) or "none",
            response.headers.get("Retry-After", "backoff"),
        )
