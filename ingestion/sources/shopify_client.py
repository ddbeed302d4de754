"""One Shopify Admin GraphQL endpoint: POST a query, respect the cost-based throttle, fail clearly.

Two throttles apply. HTTP 429 (with Retry-After) and 5xx are retried by the shared session
(`ingestion.sources.http`). The GraphQL cost bucket answers HTTP 200 with a THROTTLED error and
the bucket's state in `extensions.cost`; this client then waits until the bucket holds the
requested cost and sends the same page again. It also pauses before a request when the last
answer showed less left in the bucket than the last query asked for, so a long backfill paces
itself instead of collecting THROTTLED answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingestion.sources.http import RetryPolicy, VendorError, checked_json, vendor_session

log = logging.getLogger(__name__)

VENDOR = "shopify"
TOKEN_HEADER = "X-Shopify-Access-Token"
THROTTLED = "THROTTLED"
# A THROTTLED answer is retried after at least this long, whatever the arithmetic says: a
# bucket reported as just short would otherwise be hit again at once.
MIN_THROTTLE_WAIT_SECONDS = 0.1
MAX_THROTTLE_WAIT_SECONDS = 60.0


@dataclass
class Bucket:
    """The cost bucket as the last answer described it."""

    maximum: float
    available: float
    restore_rate: float  # points per second
    seen_at: float  # time.monotonic() of that answer

    def available_now(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)


class CostThrottle:
    """Waits the cost bucket asks for. `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self.bucket: Bucket | None = None
        self.last_requested: float | None = None
        self.paused_seconds = 0.0
        self.throttled_waits: list[float] = []

    def observe(self, cost: dict[str, Any] | None) -> None:
        status = (cost or {}).get("throttleStatus")
        if not status:
            return
        self.last_requested = float(cost["requestedQueryCost"])  # type: ignore[index]
        self.bucket = Bucket(
            maximum=float(status["maximumAvailable"]),
            available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"]),
            seen_at=self._clock(),
        )

    def pause_before_request(self, what: str) -> None:
        """Pre-emptive: wait until the bucket could pay for another query like the last one."""
        if self.bucket is None or self.last_requested is None or self.bucket.restore_rate <= 0:
            return
        short = self.last_requested - self.bucket.available_now(self._clock())
        if short <= 0:
            return
        wait = min(short / self.bucket.restore_rate, MAX_THROTTLE_WAIT_SECONDS)
        log.info("shopify.%s: cost bucket low, pausing %.2f s", what, wait)
        self.paused_seconds += wait
        self._sleep(wait)

    def wait_throttled(self, what: str, cost: dict[str, Any] | None) -> None:
        """After a THROTTLED answer: (requested - available) / restoreRate, at least the floor."""
        status = (cost or {}).get("throttleStatus") or {}
        requested = float((cost or {}).get("requestedQueryCost") or 0)
        available = float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
        wait = (requested - available) / rate if rate > 0 else MAX_THROTTLE_WAIT_SECONDS
        wait = min(max(wait, MIN_THROTTLE_WAIT_SECONDS), MAX_THROTTLE_WAIT_SECONDS)
        log.info("shopify.%s: throttled by the cost bucket, retrying in %.2f s", what, wait)
        self.throttled_waits.append(wait)
        self._sleep(wait)


class ShopifyClient:
    """POSTs queries to `{shop_url}/admin/api/{api_version}/graphql.json`."""

    def __init__(
        self,
        shop_url: str,
        api_version: str,
        access_token: str,
        policy: RetryPolicy,
        throttle: CostThrottle | None = None,
    ) -> None:
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self.policy = policy
        self.session = vendor_session(policy)
        # In a header, never in the URL: requests and urllib3 log URLs, not headers.
        self.session.headers[TOKEN_HEADER] = access_token
        self.throttle = throttle or CostThrottle()

    def query(self, what: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The `data` of the answer; THROTTLED answers are waited out and sent again."""
        for _ in range(self.policy.max_attempts):
            self.throttle.pause_before_request(what)
            response = self.session.post(
                self.endpoint, json={"query": query, "variables": variables}
            )
            body = checked_json(VENDOR, response)
            cost = (body.get("extensions") or {}).get("cost")
            errors = body.get("errors")
            if errors and _all_throttled(errors):
                self.throttle.observe(cost)
                self.throttle.wait_throttled(what, cost)
                continue
            self.throttle.observe(cost)
            if errors:
                raise VendorError(f"{VENDOR}: {what} query failed: {_describe(errors)}")
            data = body.get("data")
            if not isinstance(data, dict):
                raise VendorError(f"{VENDOR}: {what} query answered without data")
            return data
        raise VendorError(
            f"{VENDOR}: {what} query still throttled after {self.policy.max_attempts} attempts"
        )

    def close(self) -> None:
        self.session.close()


def _all_throttled(errors: Any) -> bool:
    return isinstance(errors, list) and all(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == THROTTLED for e in errors
    )


def _describe(errors: Any) -> str:
    """Codes and messages of GraphQL errors, shortened. They describe the query, not the call:
    no header or credential is ever part of them."""
    if not isinstance(errors, list):
        return str(errors)[:300]
    parts = []
    for error in errors[:3]:
        if not isinstance(error, dict):
            parts.append(str(error)[:200])
            continue
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message", ""))[:200]
        parts.append(f"{code}: {message}" if code else message)
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more
