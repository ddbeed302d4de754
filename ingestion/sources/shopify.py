"""The Shopify source: customers, orders, order lines, refunds and abandoned checkouts from the
Admin GraphQL API, incremental on updatedAt with a lag window.

One resource per feed, named as the feed, each with its own cursor in its own resource state,
so Dagster can run any subset. Every API page is one delivery of the shared landing path
(`ingestion.landing`), named `shopify/<feed>/<load_id>/page-000001`. Settings and the access
token are resolved when a run extracts (section `sources.shopify`), never when the source is
built. docs/connectors/shopify.md describes settings, mappings and behaviour.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import dlt
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ingestion.contract import FEEDS_BY_NAME
from ingestion.landing import Delivery, contract_resource
from ingestion.readers import read_records
from ingestion.sources import SOURCES
from ingestion.sources.cursor import UpdatedAtCursor
from ingestion.sources.http import RetryPolicy
from ingestion.sources.settings import resolve_source_settings
from ingestion.sources.shopify_client import ShopifyClient
from ingestion.sources.shopify_queries import (
    ALL_REFUNDS,
    CHECKOUTS,
    CUSTOMERS,
    MAX_FIRST,
    MORE_CHECKOUT_LINES,
    MORE_ORDER_LINES,
    ORDER_LINES,
    ORDERS,
    REFUNDS,
    ListQuery,
    NestedQuery,
    checkout_record,
    customer_record,
    legacy_id,
    line_record,
    order_record,
    refund_record,
)

log = logging.getLogger(__name__)

SECTION = ("sources", "shopify")
SHOPIFY_FEEDS = SOURCES["shopify"].feeds
_API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")


@configspec
class ShopifySettings(BaseConfiguration):
    """`sources.shopify.*` in .dlt/config.toml and .dlt/secrets.toml, or SOURCES__SHOPIFY__*."""

    shop_url: str = None  # https://my-shop.myshopify.com
    access_token: TSecretStrValue = None  # an Admin API access token (shpat_...)
    api_version: str = "2026-10"
    page_size: int = 100  # records per page, lowered when the query cost demands it
    nested_page_size: int = 50  # line items / refunds asked per order in the page query
    lag_days: float = 7.0  # each run fetches again what changed this long before the cursor
    max_query_cost: int = 1000  # Shopify's single-query limit on the requested cost
    max_attempts: int = 6
    backoff_factor: float = 1.0
    max_retry_delay_seconds: float = 120.0
    timeout_seconds: float = 60.0


class ShopifySettingsError(ValueError):
    """A setting is missing or unusable; the message names the key, never a value."""


def load_settings() -> ShopifySettings:
    settings = resolve_source_settings(ShopifySettings(), "shopify", ShopifySettingsError)
    problems = []
    if not re.match(r"^https?://[^/\s]+", settings.shop_url or ""):
        problems.append("shop_url (expected https://<shop>.myshopify.com)")
    if not _API_VERSION.match(settings.api_version or ""):
        problems.append("api_version (expected YYYY-MM, a quarterly release)")
    for name in ("page_size", "nested_page_size"):
        if not 1 <= getattr(settings, name) <= MAX_FIRST:
            problems.append(f"{name} (1 to {MAX_FIRST})")
    if settings.lag_days < 0:
        problems.append("lag_days (0 or more)")
    if settings.max_attempts < 1:
        problems.append("max_attempts (1 or more)")
    if problems:
        raise ShopifySettingsError(
            "shopify: unusable setting " + ", ".join(f"{'.'.join(SECTION)}.{p}" for p in problems)
        )
    return settings


@dlt.source(name="shopify")
def shopify_source(feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource per feed (named as the feed); `feeds` limits them (default all five)."""
    names = list(feeds) if feeds else list(SHOPIFY_FEEDS)
    unknown = sorted(set(names) - set(SHOPIFY_FEEDS))
    if unknown:
        raise ValueError(f"shopify cannot deliver {unknown}; it delivers {list(SHOPIFY_FEEDS)}")
    return [
        contract_resource(FEEDS_BY_NAME[name], partial(_deliveries, name), name=name)
        for name in names
    ]


@dataclass
class Page:
    """One API page, already in contract field names, and the updatedAt values it covered."""

    records: list[dict[str, Any]]
    updated: list[str | None] = field(default_factory=list)


def _deliveries(feed: str) -> Iterator[Delivery]:
    settings = load_settings()
    cursor = UpdatedAtCursor(timedelta(days=settings.lag_days))
    since = cursor.since  # fixed now: the cursor moves while the pages arrive
    load_id = dlt.current.load_package_state()["load_id"]
    client = ShopifyClient(
        settings.shop_url,
        settings.api_version,
        settings.access_token,
        RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_factor=settings.backoff_factor,
            max_delay_seconds=settings.max_retry_delay_seconds,
            timeout_seconds=settings.timeout_seconds,
        ),
    )
    log.info("shopify.%s: fetching records updated since %s", feed, since or "the beginning")
    pages = rows = 0
    try:
        for page in FETCHERS[feed](client, settings, since):
            for updated in page.updated:
                cursor.saw(updated)
            if not page.records:
                continue
            pages += 1
            rows += len(page.records)
            yield Delivery(
                source_file=f"shopify/{feed}/{load_id}/page-{pages:06d}",
                result=read_records(FEEDS_BY_NAME[feed], page.records),
            )
    finally:
        client.close()
    log.info("shopify.%s: %s records in %s pages", feed, rows, pages)


def search_filter(since: datetime | None) -> str | None:
    """Shopify search syntax for "updated at or after `since`"; None fetches everything."""
    if since is None:
        return None
    return f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def _pages(
    client: ShopifyClient,
    settings: ShopifySettings,
    what: str,
    query: ListQuery,
    since: datetime | None,
) -> Iterator[list[dict[str, Any]]]:
    """The nodes of every page of `query`'s root connection."""
    first, nested = query.sizes(
        settings.page_size, settings.nested_page_size, settings.max_query_cost
    )
    variables: dict[str, Any] = {"first": first, "after": None, "query": search_filter(since)}
    if query.nested_item_cost:
        variables["nested"] = nested
    while True:
        connection = client.query(what, query.text, variables)[query.root]
        yield connection["nodes"]
        info = connection["pageInfo"]
        if not info["hasNextPage"]:
            return
        variables = {**variables, "after": info["endCursor"]}


def _rest_of(
    client: ShopifyClient,
    settings: ShopifySettings,
    what: str,
    query: NestedQuery,
    node_id: str,
    connection: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every node of a nested connection: the page given plus the follow-up pages."""
    nodes = list(connection["nodes"])
    info = connection["pageInfo"]
    while info["hasNextPage"]:
        variables = {
            "id": node_id,
            "first": query.size(settings.nested_page_size, settings.max_query_cost),
            "after": info["endCursor"],
        }
        node = client.query(what, query.text, variables)["node"]
        if node is None:  # deleted since the page was read: what was read stands
            break
        more = node["lineItems"]
        nodes += more["nodes"]
        info = more["pageInfo"]
    return nodes


def _customers(
    client: ShopifyClient, settings: ShopifySettings, since: datetime | None
) -> Iterator[Page]:
    for nodes in _pages(client, settings, "customers", CUSTOMERS, since):
        yield Page([customer_record(n) for n in nodes], [n.get("updatedAt") for n in nodes])


def _orders(
    client: ShopifyClient, settings: ShopifySettings, since: datetime | None
) -> Iterator[Page]:
    for nodes in _pages(client, settings, "orders", ORDERS, since):
        yield Page([order_record(n) for n in nodes], [n.get("updatedAt") for n in nodes])


def _order_lines(
    client: ShopifyClient, settings: ShopifySettings, since: datetime | None
) -> Iterator[Page]:
    for nodes in _pages(client, settings, "order_lines", ORDER_LINES, since):
        records = []
        for order in nodes:
            lines = _rest_of(
                client, settings, "order_lines", MORE_ORDER_LINES, order["id"], order["lineItems"]
            )
            order_id = legacy_id(order["id"])
            records += [line_record(order_id, line) for line in lines]
        yield Page(records, [n.get("updatedAt") for n in nodes])


def _refunds(
    client: ShopifyClient, settings: ShopifySettings, since: datetime | None
) -> Iterator[Page]:
    _, asked = REFUNDS.sizes(settings.page_size, settings.nested_page_size, settings.max_query_cost)
    for nodes in _pages(client, settings, "refunds", REFUNDS, since):
        records = []
        for order in nodes:
            refunds = order["refunds"]
            if len(refunds) >= asked:
                # A plain list: a full one may be cut short, so ask again for as many as allowed.
                refunds = _all_refunds(client, settings, order["id"], refunds)
            order_id = legacy_id(order["id"])
            records += [refund_record(order_id, refund) for refund in refunds]
        yield Page(records, [n.get("updatedAt") for n in nodes])


def _all_refunds(
    client: ShopifyClient, settings: ShopifySettings, order_gid: str, had: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    first = ALL_REFUNDS.size(MAX_FIRST, settings.max_query_cost)
    found = had
    if first > len(had):
        node = client.query("refunds", ALL_REFUNDS.text, {"id": order_gid, "first": first})["node"]
        found = had if node is None else node["refunds"]
    if len(found) >= first:
        # Shopify offers no page beyond this list's largest `first`: say so, do not hide it.
        log.warning(
            "shopify.refunds: order %s has %s refunds or more; only those are read",
            legacy_id(order_gid),
            first,
        )
    return found


def _checkouts(
    client: ShopifyClient, settings: ShopifySettings, since: datetime | None
) -> Iterator[Page]:
    for nodes in _pages(client, settings, "checkouts", CHECKOUTS, since):
        records = []
        for checkout in nodes:
            lines = _rest_of(
                client,
                settings,
                "checkouts",
                MORE_CHECKOUT_LINES,
                checkout["id"],
                checkout["lineItems"],
            )
            records.append(checkout_record(checkout, [line.get("quantity") for line in lines]))
        yield Page(records, [n.get("updatedAt") for n in nodes])


FETCHERS: dict[str, Callable[[ShopifyClient, ShopifySettings, datetime | None], Iterator[Page]]] = {
    "customers": _customers,
    "orders": _orders,
    "order_lines": _order_lines,
    "refunds": _refunds,
    "checkouts": _checkouts,
}
