"""What the telephony connectors (Aircall, Twilio) share: settings, resource, run, pages, tags.

Both land the `calls` feed from a paged REST list, incrementally on the call's start with a lag
window, through the shared landing path. Everything here is resolved or built when a run
extracts, never when the source is constructed, so the Dagster definitions load without
credentials.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import dlt
import requests
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.extract.resource import DltResource

from ingestion.contract import FEEDS_BY_NAME, Feed
from ingestion.landing import Delivery, contract_resource
from ingestion.readers import TAG_SEPARATOR, read_records
from ingestion.sources.cursor import UpdatedAtCursor
from ingestion.sources.http import RetryPolicy, VendorError, safe_path, vendor_session
from ingestion.sources.settings import resolve_source_settings

CALLS: Feed = FEEDS_BY_NAME["calls"]


class SettingError(ValueError):
    """A setting is missing or out of range; the message names the key, never a value of it."""


@configspec
class TelephonySettings(BaseConfiguration):
    """Settings every telephony source has, under `sources.<source>`."""

    lag_days: int = 2
    max_attempts: int = 6
    backoff_factor: float = 1.0  # seconds; doubles per retry
    max_delay_seconds: float = 120.0
    timeout_seconds: float = 60.0

    @property
    def lag(self) -> timedelta:
        return timedelta(days=self.lag_days)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_factor=self.backoff_factor,
            max_delay_seconds=self.max_delay_seconds,
            timeout_seconds=self.timeout_seconds,
        )


TSettings = TypeVar("TSettings", bound=TelephonySettings)


def resolve_settings(spec: type[TSettings], source: str) -> TSettings:
    """`spec` filled from dlt's providers (secrets.toml, config.toml, env) under sources.<source>.

    A missing setting is a SettingError naming the key and its environment variable, never a
    value (`ingestion.sources.settings`).
    """
    settings = resolve_source_settings(spec(), source, SettingError)
    if settings.lag_days < 0:
        raise SettingError(f"{source}: sources.{source}.lag_days must be 0 or more")
    if settings.max_attempts < 1:
        raise SettingError(f"{source}: sources.{source}.max_attempts must be 1 or more")
    return settings


def check_page_size(source: str, key: str, value: int, most: int) -> None:
    """A SettingError unless the page-size setting `key` is 1 to `most` (the vendor's limit)."""
    if not 1 <= value <= most:
        raise SettingError(f"{source}: sources.{source}.{key} must be 1 to {most}")


def calls_resources(
    source: str, feeds: Sequence[str] | None, fetch: Callable[[], Iterator[Delivery]]
) -> list[DltResource]:
    """The one resource a telephony source has, `calls`, fed by `fetch`; any other feed is an
    error. Builds nothing and reads no setting: `fetch` does, when a run extracts."""
    names = list(feeds) if feeds else [CALLS.name]
    if names != [CALLS.name]:
        raise ValueError(f"{source} delivers only calls, not {sorted(set(names) - {CALLS.name})}")
    return [contract_resource(CALLS, fetch)]


@dataclass
class CallsRun:
    """One extract of a telephony `calls` resource: its cursor, session and page tally.

    Each fetched page goes through `page()`, which maps its calls to contract rows, skips the
    calls not finished yet (the lag window fetches them again on a later run), moves the cursor
    and makes the page's delivery.
    """

    source: str
    log: logging.Logger  # the vendor module's logger: messages name the vendor's module
    cursor: UpdatedAtCursor
    load_id: str
    session: requests.Session
    base_url: str  # without a trailing slash
    pages: int = 0
    landed: int = 0
    pending: int = 0

    @classmethod
    def start(
        cls,
        source: str,
        settings: TelephonySettings,
        base_url: str,
        user: str,
        password: str,
        log: logging.Logger,
    ) -> CallsRun:
        """The run's cursor (from the resource state), load id and basic-auth session."""
        cursor = UpdatedAtCursor(settings.lag)
        load_id = dlt.current.load_package_state()["load_id"]
        session = basic_auth_session(settings.retry_policy(), user, password)
        return cls(source, log, cursor, load_id, session, base_url.rstrip("/"))

    def page(
        self,
        calls: Iterable[dict[str, Any]],
        call_row: Callable[[dict[str, Any]], dict[str, Any] | None],
        response: requests.Response,
    ) -> Delivery:
        """The delivery of one fetched page: `call_row` of each call, None (not finished) left
        out and counted as pending; the cursor sees each landed call's start."""
        rows = []
        for call in calls:
            row = call_row(call)
            if row is None:
                self.pending += 1
                continue
            rows.append(row)
            self.cursor.saw(row["started_at"])
        self.pages += 1
        self.landed += len(rows)
        return page_delivery(self.source, self.load_id, self.pages, rows, response.content)

    def next_url(self, link: str | None) -> str | None:
        """The next page's absolute `link`, checked to stay on the API; None when there is none."""
        return check_same_origin(self.source, link, self.base_url) if link else None

    def log_totals(self) -> None:
        self.log.info(
            "%s.calls: %s pages, %s calls landed, %s not finished yet (fetched again next run)",
            self.source,
            self.pages,
            self.landed,
            self.pending,
        )


def basic_auth_session(policy: RetryPolicy, user: str, password: str) -> requests.Session:
    """The shared retrying session, authenticating with HTTP basic auth on every request."""
    session = vendor_session(policy)
    session.auth = (user, password)
    session.headers["Accept"] = "application/json"
    return session


def check_same_origin(vendor: str, link: str, base_url: str) -> str:
    """`link` if it points at the configured API, else a VendorError.

    A next-page link is followed with the credentials attached: one that left the API's host
    would hand them to whoever the link names.
    """
    got, want = urlsplit(link), urlsplit(base_url)
    if (got.scheme, got.hostname, got.port) != (want.scheme, want.hostname, want.port):
        raise VendorError(f"{vendor}: next page link leaves {safe_path(base_url)}; not followed")
    return link


def page_delivery(
    source: str, load_id: str, page: int, rows: list[dict[str, Any]], body: bytes
) -> Delivery:
    """One fetched page as a delivery; the name sorts in fetch order within the load."""
    return Delivery(
        source_file=f"{source}/{CALLS.name}/{load_id}/page-{page:06d}",
        result=read_records(CALLS, rows),
        size_bytes=len(body),
        content_sha256=hashlib.sha256(body).hexdigest(),
    )


def extra_fields(record: Mapping[str, Any], known: Iterable[str], prefix: str) -> dict[str, Any]:
    """The vendor fields this connector does not know, as extra columns `<prefix><field>`.

    The prefix keeps a new vendor field from ever colliding with a contract column (Twilio
    already has `direction`; a vendor adding `phone` must not overwrite ours).
    """
    known = set(known)
    return {f"{prefix}{name}": value for name, value in record.items() if name not in known}


def from_unix(seconds: Any) -> datetime | None:
    if seconds is None or seconds == "":
        return None
    return datetime.fromtimestamp(int(seconds), UTC)


def normalized_tag(name: str) -> str:
    """A tag name as compared with the contract's vocabularies: 'Shipping cost' → shipping_cost."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def joined_tags(names: Iterable[str]) -> str | None:
    """The contract's tag-list text ('a;b'), first occurrence order, None when empty."""
    unique = list(dict.fromkeys(names))
    return TAG_SEPARATOR.join(unique) if unique else None
