"""A fake Aircall API on 127.0.0.1, and the HTTP machinery both telephony fakes share.

The call objects, the list envelope (`calls` + `meta` with `next_page_link`), the rate-limit
headers (X-AircallApi-Limit/Remaining/Reset) and the error bodies follow Aircall's public API
reference (developer.aircall.io, "Call" object and "List all Calls"); no vendor code is copied.

`AircallFake.from_feed_rows(calls=[...])` renders contract-shaped call rows (text values as in
the feed files) as Aircall calls, using the conventions of docs/connectors/telephony.md, so the
connector lands back the same values for every field Aircall can represent.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.sources.cursor import as_utc

Response = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    path: str
    params: dict[str, str]
    at: float  # time.time() on arrival
    status: int
    authorized: bool
    headers: dict[str, str]  # the response's headers


@dataclass
class Scripted:
    """A canned answer for the next authorized request (a throttle, a 500)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    reset_in: float | None = None  # sets X-AircallApi-Reset to now + this, when served


class FakeVendorServer:
    """A vendor API in a thread on 127.0.0.1:<free port>, holding its records in memory.

    Knobs shared by both fakes: `fail_next` (a scripted status, e.g. 500 then recover),
    `extra_field` (added to every record served), `block_on_page` (the request for that page
    blocks until `release` is set, after setting `page_reached`: a test kills its client
    then). Every request is logged in `requests`; a request without the credentials gets 401.
    """

    def __init__(self, user: str, password: str) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._authorization = f"Basic {token}"
        self.lock = threading.Lock()
        self.requests: list[Logged] = []
        self.script: deque[Scripted] = deque()
        self.extra_field: dict[str, Any] = {}
        self.block_on_page: int | None = None
        self.page_reached = threading.Event()
        self.release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle
    def start(self) -> Self:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True  # a blocked page must not hold up shutdown
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- knobs
    def fail_next(self, status: int = 500, times: int = 1, body: Any = None) -> None:
        for _ in range(times):
            self.script.append(Scripted(status, body or {"error": "Internal Server Error"}))

    def with_extra(self, record: dict[str, Any]) -> dict[str, Any]:
        return {**record, **self.extra_field}

    def wait_if_blocked(self, page: int) -> None:
        if self.block_on_page == page:
            self.page_reached.set()
            self.release.wait(timeout=60)

    def served(self, path_suffix: str = "") -> list[Logged]:
        """The logged requests (for a path ending with `path_suffix`), in arrival order."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    # -- to implement per vendor
    def route(self, path: str, params: dict[str, str]) -> Response:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        raise NotImplementedError

    # -- request handling
    def handle(self, path: str, params: dict[str, str], authorization: str | None) -> Response:
        arrived = time.time()
        authorized = authorization == self._authorization
        scripted = None
        if authorized:
            with self.lock:
                scripted = self.script.popleft() if self.script else None
        if not authorized:
            status, headers, body = self.unauthorized()
        elif scripted:
            headers = dict(scripted.headers)
            if scripted.reset_in is not None:
                headers["X-AircallApi-Reset"] = str(math.ceil(time.time() + scripted.reset_in))
            status, body = scripted.status, scripted.body
        else:
            status, headers, body = self.route(path, params)
        with self.lock:
            self.requests.append(Logged(path, params, arrived, status, authorized, headers))
        return status, headers, body


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeVendorServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        params = {name: values[-1] for name, values in query.items()}
        status, headers, body = self.server_fake.handle(
            parts.path, params, self.headers.get("Authorization")
        )
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while this page was blocked

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


# --------------------------------------------------------------------------------------------
# Aircall

RATE_LIMIT = 60  # requests per minute, Aircall's documented default
MISSED_FOR_NO_ANSWER = "agents_did_not_answer"
MISSED_FOR_ABANDONED = "abandoned_in_classic"


class AircallFake(FakeVendorServer):
    """`GET /v1/calls` with `from`, `order`, `page`, `per_page`; basic auth api_id:api_token."""

    def __init__(
        self,
        api_id: str = "fake-api-id",
        api_token: str = "fake-api-token",
        calls: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(api_id, api_token)
        self.calls: dict[str, dict[str, Any]] = {}
        self.max_items = 10_000  # Aircall serves no more for one query
        self._quota_used_once: float | None = None
        for call in calls or []:
            self.put_call(call)

    @classmethod
    def from_feed_rows(cls, calls: list[dict[str, Any]], **kwargs: Any) -> AircallFake:
        """A fake serving contract-shaped rows (text values as in the files) as Aircall calls."""
        return cls(calls=[aircall_call(row) for row in calls], **kwargs)

    # -- data
    def put_call(self, call: dict[str, Any]) -> None:
        with self.lock:
            self.calls[str(call["id"])] = call

    def update_call(self, call_id: Any, **changes: Any) -> None:
        """A later edit of a call (tags, comments...): served with the new values from now."""
        with self.lock:
            self.calls[str(call_id)] = {**self.calls[str(call_id)], **changes}

    # -- knobs
    def throttle_next(self, retry_after: int | None = 1, reset_in: float = 1.0) -> None:
        """The next request gets 429 with Aircall's rate-limit headers (and Retry-After)."""
        headers = {"X-AircallApi-Limit": str(RATE_LIMIT), "X-AircallApi-Remaining": "0"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = {"error": "Too Many Requests", "troubleshoot": "Rate limit reached"}
        self.script.append(Scripted(429, body, headers, reset_in=reset_in))

    def use_up_quota_once(self, reset_in: float = 1.0) -> None:
        """The next page is served, saying the quota is used up until now + reset_in."""
        self._quota_used_once = reset_in

    # -- serving
    def unauthorized(self) -> Response:
        body = {"error": "Unauthorized", "troubleshoot": "Check your API key"}
        return 401, {}, body

    def route(self, path: str, params: dict[str, str]) -> Response:
        if path != "/v1/calls":
            return 404, {}, {"error": "Not found", "troubleshoot": "Check the URL"}
        per_page = min(int(params.get("per_page", 20)), 50)
        page = int(params.get("page", 1))
        start = int(params["from"]) if params.get("from") else None
        self.wait_if_blocked(page)
        with self.lock:
            selected = sorted(
                (c for c in self.calls.values() if start is None or c["started_at"] >= start),
                key=lambda c: (c["started_at"], str(c["id"])),
                reverse=params.get("order") == "desc",
            )[: self.max_items]
            quota_reset_in, self._quota_used_once = self._quota_used_once, None
        served = selected[(page - 1) * per_page : page * per_page]

        def link(to_page: int) -> str:
            return f"{self.base_url}/v1/calls?" + urlencode({**params, "page": to_page})

        body = {
            "meta": {
                "count": len(served),
                "total": len(selected),
                "current_page": page,
                "per_page": per_page,
                "next_page_link": link(page + 1) if page * per_page < len(selected) else None,
                "previous_page_link": link(page - 1) if page > 1 else None,
            },
            "calls": [self.with_extra(c) for c in served],
        }
        remaining = "0" if quota_reset_in is not None else str(RATE_LIMIT - 1)
        reset = time.time() + (quota_reset_in if quota_reset_in is not None else 60)
        headers = {
            "X-AircallApi-Limit": str(RATE_LIMIT),
            "X-AircallApi-Remaining": remaining,
            "X-AircallApi-Reset": str(math.ceil(reset)),
        }
        return 200, headers, body


def aircall_call(row: dict[str, Any]) -> dict[str, Any]:
    """A contract call row (text values) as the Aircall call the connector maps back to it."""
    value = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in row.items()}
    call_id = str(value["call_id"])
    direction = value.get("direction")
    disposition = value.get("disposition")
    started, answered, ended = (
        _unix(value.get(c)) for c in ("started_at", "answered_at", "ended_at")
    )
    missed_reason, voicemail, native = _native_disposition(direction, disposition, answered)
    tag_names = [value["campaign"]] if value.get("campaign") else []
    tag_names += [t for t in (value.get("concern_tags") or "").split(";") if t]
    if value.get("outcome"):
        tag_names.append(f"outcome:{value['outcome']}")
    resolved = value.get("resolved_first_contact")
    if resolved is not None:
        truth = str(resolved).lower() in ("true", "1", "yes")
        tag_names.append(f"resolved_first_contact:{'true' if truth else 'false'}")
    if not native and disposition:
        tag_names.append(f"disposition:{disposition}")
    tagged_at = ended or started
    agent = value.get("agent_id")
    aircall_id = _aircall_id(call_id)
    return {
        "id": aircall_id,
        "sid": f"CA{zlib.crc32(call_id.encode()):032x}",
        "direct_link": f"https://api.aircall.io/v1/calls/{aircall_id}",
        "status": "done",
        "direction": direction,
        "started_at": started,
        "answered_at": answered,
        "ended_at": ended,
        "duration": (ended - started) if ended is not None and started is not None else 0,
        "raw_digits": value.get("phone") or "anonymous",
        "voicemail": voicemail,
        "recording": None,
        "asset": None,
        "archived": False,
        "missed_call_reason": missed_reason,
        "cost": "0.0",
        "number": {"id": 1001, "name": "ListenLoop line", "digits": "+44 20 7946 0000"},
        "user": {"id": _aircall_id(agent), "name": f"Agent {agent}"} if agent else None,
        "contact": _contact(value.get("customer_id"), value.get("phone")),
        "assigned_to": None,
        "teams": [],
        "comments": (
            [{"id": 1, "content": value["notes"], "posted_at": tagged_at, "posted_by": None}]
            if value.get("notes")
            else []
        ),
        "tags": [
            {"id": i + 1, "name": name, "tagged_at": tagged_at} for i, name in enumerate(tag_names)
        ],
    }


def _native_disposition(
    direction: str | None, disposition: str | None, answered: int | None
) -> tuple[str | None, str | None, bool]:
    """(missed_call_reason, voicemail URL, whether the fields alone say `disposition`).

    Aircall's own fields express connected, unanswered, caller-abandoned and voicemail-left
    (inbound); anything else needs the `disposition:<value>` tag.
    """
    inbound = direction == "inbound"
    if answered is not None:
        return None, None, disposition in ("connected", None)
    if disposition == "no_answer":
        return (MISSED_FOR_NO_ANSWER if inbound else None), None, True
    if inbound and disposition == "abandoned":
        return MISSED_FOR_ABANDONED, None, True
    if inbound and disposition == "voicemail":
        return MISSED_FOR_NO_ANSWER, "https://voicemail.aircall.io/fake.mp3", True
    return None, None, disposition is None


def _contact(customer_id: str | None, phone: str | None) -> dict[str, Any] | None:
    if not customer_id:
        return None
    return {
        "id": zlib.crc32(customer_id.encode()) % 10**8,
        "first_name": None,
        "last_name": None,
        "information": f"Uploaded with the call list. customer_id={customer_id}",
        "phone_numbers": [{"label": "Mobile", "value": phone}] if phone else [],
        "emails": [],
    }


def _aircall_id(text: str) -> int | str:
    """Aircall ids are integers; a feed id that is not one is served as text, as given."""
    return int(text) if text.isdigit() and str(int(text)) == text else text


def _unix(text: str | None) -> int | None:
    return int(as_utc(text).timestamp()) if text else None
