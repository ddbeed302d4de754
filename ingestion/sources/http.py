"""The HTTP session every API source uses: timeouts, retries and Retry-After, and no secret in
any message.

Retries come from dlt's requests helper: connection errors, timeouts, HTTP 429 and 5xx are
retried with exponential backoff, and a `Retry-After` header is honoured. Anything else (401,
404, ...) fails the run at once with `VendorError`, whose message names the vendor, the status
and the path, never the query string, a header or a credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from dlt.sources.helpers.requests import Client


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. The defaults suit the vendors; tests shorten the waits."""

    max_attempts: int = 6
    backoff_factor: float = 1.0  # seconds; doubles per attempt
    max_delay_seconds: float = 120.0
    timeout_seconds: float = 60.0


class VendorError(RuntimeError):
    """A vendor API refused a request for good (after retries); the message holds no secret."""


def vendor_session(policy: RetryPolicy) -> requests.Session:
    """A requests session that retries transient failures per `policy`."""
    return Client(
        request_timeout=policy.timeout_seconds,
        request_max_attempts=policy.max_attempts,
        request_backoff_factor=policy.backoff_factor,
        request_max_retry_delay=policy.max_delay_seconds,
        respect_retry_after_header=True,
        raise_for_status=False,
    ).session


def checked_json(vendor: str, response: requests.Response) -> Any:
    """The response's JSON, or a VendorError naming the status and the path only."""
    if response.status_code >= 400:
        raise VendorError(
            f"{vendor}: HTTP {response.status_code} from {safe_path(response.url)}"
            " (retries exhausted or not retryable)"
        )
    try:
        return response.json()
    except ValueError:
        raise VendorError(
            f"{vendor}: {safe_path(response.url)} answered HTTP {response.status_code} "
            "with a body that is not JSON"
        ) from None


def safe_path(url: str) -> str:
    """Host and path of `url`: query strings (cursors, and for some vendors keys) left out."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
