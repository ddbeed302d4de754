"""A fake Twilio Voice API on 127.0.0.1: the Call resource list, paged by `next_page_uri`.

The Call records and the list envelope follow the fixtures of twilio-python's own tests
(tests/integration/api/v2010/account/test_call.py, "test_read_full_response"), Copyright
Twilio Inc., MIT License (https://github.com/twilio/twilio-python/blob/main/LICENSE); the
error bodies (20003 authentication, 20429 too many requests) follow Twilio's error reference.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from tests.connectors.aircall_server import FakeVendorServer, Response, Scripted

API = "/2010-04-01"


class TwilioFake(FakeVendorServer):
    """`GET /2010-04-01/Accounts/{sid}/Calls.json` with PageSize, Page, PageToken, StartTime>=.

    Twilio lists the newest calls first. Basic auth is the account SID and its auth token.
    """

    def __init__(
        self, account_sid: str = "AC" + "a" * 32, auth_token: str = "fake-auth-token"
    ) -> None:
        super().__init__(account_sid, auth_token)
        self.account_sid = account_sid
        self.calls: dict[str, dict[str, Any]] = {}

    @property
    def calls_path(self) -> str:
        return f"{API}/Accounts/{self.account_sid}/Calls.json"

    # -- data
    def add_call(
        self,
        start: datetime,
        *,
        seconds: int = 60,
        status: str = "completed",
        direction: str = "outbound-api",
        customer: str = "+14155550100",
        line: str = "+14155550199",
        answered_by: str | None = None,
        sid: str | None = None,
    ) -> dict[str, Any]:
        """A call started at `start` (aware UTC); the customer is `to` outbound, `from` inbound."""
        sid = sid or f"CA{zlib.crc32(f'{start.isoformat()}{customer}'.encode()):032x}"
        inbound = direction == "inbound"
        call_uri = f"{API}/Accounts/{self.account_sid}/Calls/{sid}"
        call = {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": answered_by,
            "api_version": "2010-04-01",
            "caller_name": "",
            "date_created": _rfc2822(start - timedelta(seconds=1)),
            "date_updated": _rfc2822(start),
            "direction": direction,
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": customer if inbound else line,
            "from_formatted": customer if inbound else line,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": "PN" + "b" * 32,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": _rfc2822(start),
            "status": status,
            "subresource_uris": {
                "notifications": f"{call_uri}/Notifications.json",
                "recordings": f"{call_uri}/Recordings.json",
            },
            "to": line if inbound else customer,
            "to_formatted": line if inbound else customer,
            "trunk_sid": None,
            "uri": f"{call_uri}.json",
        }
        call.update(_ending(start, status, seconds))
        with self.lock:
            self.calls[sid] = call
        return call

    def update_call(self, sid: str, **changes: Any) -> None:
        """A later version of a call; `status=` recomputes its ending as Twilio would."""
        with self.lock:
            call = self.calls[sid]
            start = datetime.strptime(call["start_time"], "%a, %d %b %Y %H:%M:%S %z")
            if "status" in changes:
                seconds = int(changes.pop("seconds", 60))
                call.update(status=changes["status"], **_ending(start, changes["status"], seconds))
            call.update(changes)

    # -- knobs
    def throttle_next(self, retry_after: int | None = 1) -> None:
        """The next request gets 429 with Twilio's 20429 body (and Retry-After if given)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.script.append(Scripted(429, _error(20429, "Too Many Requests", 429), headers))

    # -- serving
    def unauthorized(self) -> Response:
        body = _error(20003, "Authentication Error - invalid username", 401)
        body["detail"] = "Your AccountSid or AuthToken was incorrect."
        return 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, body

    def route(self, path: str, params: dict[str, str]) -> Response:
        if path != self.calls_path:
            return 404, {}, _error(20404, "The requested resource was not found", 404)
        size = min(int(params.get("PageSize", 50)), 1000)
        page = int(params.get("Page", 0))
        since = params.get("StartTime>")
        self.wait_if_blocked(page + 1)
        with self.lock:
            selected = sorted(
                (c for c in self.calls.values() if _started_on_or_after(c, since)),
                key=lambda c: (_start(c) or datetime.min.replace(tzinfo=None), c["sid"]),
                reverse=True,
            )
        served = selected[page * size : (page + 1) * size]
        query = {"StartTime>": since} if since else {}

        def uri(to_page: int, token: bool = False) -> str:
            args = {**query, "PageSize": size, "Page": to_page}
            if token:  # Twilio's opaque token; the fake pages by number
                args["PageToken"] = f"PA{served[-1]['sid']}"
            return f"{self.calls_path}?{urlencode(args)}"

        has_next = (page + 1) * size < len(selected)
        body = {
            "calls": [self.with_extra(c) for c in served],
            "end": page * size + max(len(served) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1, token=True) if has_next else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": page * size,
            "uri": uri(page),
        }
        return 200, {}, body


def _ending(start: datetime, status: str, seconds: int) -> dict[str, Any]:
    """end_time, duration and price as Twilio shows them for a call in `status`."""
    if status in ("queued", "ringing", "in-progress", "initiated"):
        return {"end_time": None, "duration": None, "price": None}
    talked = seconds if status == "completed" else 0
    return {
        "end_time": _rfc2822(start + timedelta(seconds=talked or 20)),
        "duration": str(talked),
        "price": f"-{0.013 * max(1, talked // 60):.5f}" if talked else None,
        "date_updated": _rfc2822(start + timedelta(seconds=(talked or 20) + 1)),
    }


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment)


def _start(call: dict[str, Any]) -> datetime | None:
    text = call.get("start_time")
    return (
        datetime.strptime(text, "%a, %d %b %Y %H:%M:%S %z").replace(tzinfo=None) if text else None
    )


def _started_on_or_after(call: dict[str, Any], day: str | None) -> bool:
    if not day:
        return True
    start = _start(call)
    return start is not None and start.date().isoformat() >= day
