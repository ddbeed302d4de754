"""The Aircall source: the `calls` feed from Aircall's REST API, `GET /v1/calls`.

Incremental on the call's start: each run asks for calls from the cursor minus the lag window
(`from`, unix seconds, `order=asc`), so the tags, comments and outcome an agent adds after a
call are picked up again while the call is inside the window. Pages are followed through
`meta.next_page_link`. The field and disposition mappings, and the tag conventions, are in
docs/connectors/telephony.md.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import requests
from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ingestion.contract import CONCERN_TAGS, DISPOSITIONS, OUTCOMES, SEGMENTS
from ingestion.landing import Delivery
from ingestion.sources.cursor import iso_utc
from ingestion.sources.http import VendorError, checked_json
from ingestion.sources.telephony import (
    CallsRun,
    TelephonySettings,
    calls_resources,
    check_page_size,
    extra_fields,
    from_unix,
    joined_tags,
    normalized_tag,
    resolve_settings,
)

VENDOR = "aircall"
MAX_PER_PAGE = 50  # Aircall refuses more
EXTRA_PREFIX = "aircall_"
log = logging.getLogger(__name__)

# Why an unanswered inbound call was missed → disposition. The caller hanging up first is
# `abandoned`; the team not picking up (busy agents, closed line) is `no_answer`.
MISSED_CALL_REASONS: dict[str, str] = {
    "short_abandoned": "abandoned",
    "abandoned_in_ivr": "abandoned",
    "abandoned_in_classic": "abandoned",
    "no_available_agent": "no_answer",
    "agents_did_not_answer": "no_answer",
    "out_of_opening_hours": "no_answer",
}

# Tags `<column>:<value>` carry what Aircall has no field for (docs: "Tag conventions").
OUTCOME_TAG = "outcome"
DISPOSITION_TAG = "disposition"
RESOLVED_TAG = "resolved_first_contact"
_BOOLEAN_TAG_VALUES = {"true": "true", "yes": "true", "1": "true"} | {
    "false": "false",
    "no": "false",
    "0": "false",
}
_CUSTOMER_TOKEN = re.compile(r"(?:^|[\s;,])customer_id\s*=\s*([^\s;,]+)")

# Every call field Aircall documents: anything else is new, and lands as an extra column.
KNOWN_FIELDS = frozenset(
    {
        "id",
        "sid",
        "call_uuid",
        "direct_link",
        "started_at",
        "answered_at",
        "ended_at",
        "duration",
        "status",
        "direction",
        "raw_digits",
        "asset",
        "recording",
        "recording_short_url",
        "voicemail",
        "voicemail_short_url",
        "archived",
        "missed_call_reason",
        "cost",
        "number",
        "user",
        "contact",
        "assigned_to",
        "transferred_by",
        "transferred_to",
        "teams",
        "comments",
        "tags",
        "participants",
        "ivr_options_selected",
        "country_code_a2",
    }
)


@configspec
class AircallSettings(TelephonySettings):
    """`sources.aircall` settings; the API id and token are an Aircall API key pair."""

    base_url: str = "https://api.aircall.io"
    api_id: str = None
    api_token: TSecretStrValue = None
    per_page: int = MAX_PER_PAGE
    # Aircall serves at most this many calls for one query; past it, the next query starts
    # from the last call's start.
    query_item_cap: int = 10_000


@dlt.source(name=VENDOR)
def aircall_source(feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource, `calls`. Builds nothing and reads no setting until a run extracts."""
    return calls_resources(VENDOR, feeds, fetch_calls)


def fetch_calls() -> Iterator[Delivery]:
    """Every page of calls started since the cursor minus the lag, one delivery per page."""
    settings = resolve_settings(AircallSettings, VENDOR)
    check_page_size(VENDOR, "per_page", settings.per_page, MAX_PER_PAGE)
    run = CallsRun.start(
        VENDOR, settings, settings.base_url, settings.api_id, settings.api_token, log
    )
    run.session.hooks["response"].append(_retry_after_from_reset)
    query_from = int(run.cursor.since.timestamp()) if run.cursor.since else None
    log.info("aircall.calls: fetching calls from %s", iso_utc(run.cursor.since) or "the start")
    already_seen: set[str] = set()
    while True:
        params: dict[str, Any] | None = {"order": "asc", "per_page": settings.per_page}
        if query_from is not None:
            params["from"] = query_from
        url: str | None = f"{run.base_url}/v1/calls"
        served = 0
        last_start: int | None = None
        at_last_start: set[str] = set()
        while url:
            response = run.session.get(url, params=params)
            body = checked_json(VENDOR, response)
            unseen = []
            for call in body.get("calls") or []:
                served += 1
                call_id = str(call.get("id"))
                start = call.get("started_at")
                if start is not None and start != last_start:
                    last_start, at_last_start = start, set()
                at_last_start.add(call_id)
                if call_id not in already_seen:
                    unseen.append(call)
            yield run.page(unseen, call_row, response)
            url = run.next_url((body.get("meta") or {}).get("next_page_link"))
            params = None  # the link carries the query
            if url:
                _wait_if_quota_used(response, settings.max_delay_seconds)
        if served < settings.query_item_cap or last_start is None:
            break
        if last_start == query_from:
            raise VendorError(
                f"aircall: more than {settings.query_item_cap} calls started in one second; "
                "the API cannot page past them"
            )
        # The cap was reached: go on from the last start, skipping the calls of that second
        # already read (`from` is inclusive).
        query_from, already_seen = last_start, at_last_start
    run.log_totals()


def call_row(call: dict[str, Any]) -> dict[str, Any] | None:
    """An Aircall call as a contract row; None while the call is not finished (`status` done)."""
    if call.get("status") != "done":
        return None
    tags = [normalized_tag(str(t.get("name") or "")) for t in call.get("tags") or []]
    labelled = _labelled_tags(tags)
    started = from_unix(call.get("started_at"))
    answered = from_unix(call.get("answered_at"))
    ended = from_unix(call.get("ended_at"))
    talk = None
    if answered and ended:
        talk = max(0, int((ended - answered).total_seconds()))
    elif ended:
        talk = 0  # finished without being answered: nobody talked
    user = call.get("user") or {}
    phone = (call.get("raw_digits") or "").strip()
    return {
        "call_id": str(call["id"]) if call.get("id") is not None else None,
        "customer_id": customer_id(call.get("contact")),
        "phone": None if phone.lower() in ("", "anonymous") else phone,
        "direction": call.get("direction"),
        "agent_id": str(user["id"]) if user.get("id") is not None else None,
        "campaign": next((t for t in tags if t in SEGMENTS), None),
        "started_at": iso_utc(started),
        "answered_at": iso_utc(answered),
        "ended_at": iso_utc(ended),
        "disposition": disposition(call, labelled.get(DISPOSITION_TAG)),
        "talk_seconds": talk,
        "hold_seconds": None,
        "wrap_seconds": None,
        "outcome": labelled.get(OUTCOME_TAG),
        "concern_tags": joined_tags(t for t in tags if t in CONCERN_TAGS),
        "notes": notes(call.get("comments")),
        "resolved_first_contact": labelled.get(RESOLVED_TAG),
        **extra_fields(call, KNOWN_FIELDS, EXTRA_PREFIX),
    }


def disposition(call: dict[str, Any], tagged: str | None = None) -> str:
    """A `disposition:<value>` tag wins (the agent's verdict); else the call's own fields."""
    if tagged:
        return tagged
    if call.get("answered_at") is not None:
        return "connected"
    if call.get("voicemail"):
        return "voicemail"
    return MISSED_CALL_REASONS.get(call.get("missed_call_reason") or "", "no_answer")


def customer_id(contact: dict[str, Any] | None) -> str | None:
    """The `customer_id=<id>` token a call-list upload writes in the contact's information."""
    match = _CUSTOMER_TOKEN.search((contact or {}).get("information") or "")
    return match.group(1) if match else None


def notes(comments: list[dict[str, Any]] | None) -> str | None:
    ordered = sorted(comments or [], key=lambda c: c.get("posted_at") or 0)
    texts = [str(c["content"]).strip() for c in ordered if c.get("content")]
    return "\n".join(t for t in texts if t) or None


def _labelled_tags(tags: list[str]) -> dict[str, str]:
    """Values of `<label>:<value>` tags whose value the contract allows (first one wins)."""
    allowed = {OUTCOME_TAG: OUTCOMES, DISPOSITION_TAG: DISPOSITIONS}
    found: dict[str, str] = {}
    for tag in tags:
        label, sep, value = tag.partition(":")
        if not sep or label in found:
            continue
        value = value.strip("_")
        if label == RESOLVED_TAG and value in _BOOLEAN_TAG_VALUES:
            found[label] = _BOOLEAN_TAG_VALUES[value]
        elif label in allowed and value in allowed[label]:
            found[label] = value
    return found


def _retry_after_from_reset(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Turns Aircall's throttle signal into a Retry-After the shared retry honours.

    Aircall answers 429 with X-AircallApi-Reset (unix time the quota refills); without a
    Retry-After the retry would back off blindly, too short or too long.
    """
    if response.status_code != 429:
        return
    reset = response.headers.get("X-AircallApi-Reset")
    log.warning(
        "aircall.calls: throttled (HTTP 429); Retry-After %s, quota resets at %s",
        response.headers.get("Retry-After", "none"),
        reset or "unknown",
    )
    if "Retry-After" in response.headers or not reset:
        return
    try:
        wait = math.ceil(float(reset) - time.time())
    except ValueError:
        return
    response.headers["Retry-After"] = str(max(1, wait))


def _wait_if_quota_used(response: requests.Response, max_wait: float) -> None:
    """Waits for the quota to refill when the last answer says none is left (no 429 needed)."""
    if response.headers.get("X-AircallApi-Remaining") != "0":
        return
    try:
        wait = float(response.headers.get("X-AircallApi-Reset", "")) - time.time()
    except ValueError:
        return
    if wait > 0:
        log.info("aircall.calls: rate limit used up; waiting %.1f s for it to reset", wait)
        time.sleep(min(wait, max_wait))
