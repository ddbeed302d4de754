"""Every source ListenLoop can land a feed from, and which source feeds which entity.

Which source feeds which feed is configuration (`LISTENLOOP_SOURCES`); the files folder feeds
whatever is not assigned elsewhere. Whatever the source, a feed lands in the same `raw.<feed>`
table through the same contract (`ingestion.landing`), so staging, segments and marts do not
know where a row came from. Credentials come from dlt's config providers (`.dlt/secrets.toml`
or environment variables such as `SOURCES__SHOPIFY__ACCESS_TOKEN`); see
`.dlt/secrets.toml.example`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dlt.extract.source import DltSource

from ingestion.contract import FEEDS, FEEDS_BY_NAME
from ingestion.pipeline import PIPELINE_NAME

FILES = "files"
STORE_FEEDS = ("customers", "orders", "order_lines", "refunds", "checkouts")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    feeds: tuple[str, ...]  # the feeds this source can deliver
    description: str
    factory: str  # "module:function"; imported only when the source is used

    @property
    def group(self) -> str:
        """The Dagster asset group of this source's raw tables."""
        return "ingestion" if self.name == FILES else f"ingestion_{self.name}"

    @property
    def pipeline_name(self) -> str:
        return PIPELINE_NAME if self.name == FILES else f"listenloop_{self.name}"

    def build(self, feeds: Sequence[str], feeds_dir: str) -> DltSource:
        """The dlt source delivering `feeds`. Builds no connection and reads no secret: that
        happens when a run extracts, so the definitions load without credentials."""
        module, function = self.factory.split(":")
        make: Callable[..., DltSource] = getattr(importlib.import_module(module), function)
        if self.name == FILES:
            return make(feeds_dir, list(feeds))
        return make(list(feeds))


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            FILES,
            tuple(f.name for f in FEEDS),
            "CSV, JSONL and Parquet files dropped into the feeds folder, one subfolder per feed.",
            "ingestion.feeds_source:feeds_source",
        ),
        SourceSpec(
            "shopify",
            STORE_FEEDS,
            "Shopify Admin GraphQL API: customers, orders with lines and refunds, abandoned "
            "checkouts; incremental on updatedAt with a lag window.",
            "ingestion.sources.shopify:shopify_source",
        ),
        SourceSpec(
            "store_db",
            ("customers", "orders", "order_lines", "refunds"),
            "The store's own database (WooCommerce on MariaDB/MySQL, or a PostgreSQL store "
            "schema) through dlt's sql_database with the pyarrow backend, incremental on the "
            "updated-at columns.",
            "ingestion.sources.store_db:store_db_source",
        ),
        SourceSpec(
            "aircall",
            ("calls",),
            "Aircall REST API /v1/calls with tags and comments; incremental on the call's start.",
            "ingestion.sources.aircall:aircall_source",
        ),
        SourceSpec(
            "twilio",
            ("calls",),
            "Twilio Voice REST API Calls.json; incremental on the call's start.",
            "ingestion.sources.twilio:twilio_source",
        ),
    )
}


def assign_sources(text: str | None) -> dict[str, str]:
    """Every feed with the source that delivers it, from `LISTENLOOP_SOURCES`.

    The text is a comma-separated list. An item that is a source name alone assigns every feed
    that source can deliver; an item `feed=source` assigns one feed, and wins over a source-wide
    item (`shopify,checkouts=files`). Feeds not named stay with the files folder. An unknown
    name, a feed a source cannot deliver, or a feed assigned twice at the same level is an error
    that says which.
    """
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    source_wide = _claims([item for item in items if "=" not in item])
    per_feed = _claims([item for item in items if "=" in item])
    return {**dict.fromkeys(FEEDS_BY_NAME, FILES), **source_wide, **per_feed}


def _claims(items: list[str]) -> dict[str, str]:
    claimed: dict[str, str] = {}
    for item in items:
        feed, _, source = item.rpartition("=")
        feed, source = feed.strip(), source.strip()
        spec = SOURCES.get(source)
        if spec is None:
            raise ValueError(
                f"LISTENLOOP_SOURCES: unknown source {source!r} in {item!r}; "
                f"sources are {', '.join(SOURCES)}"
            )
        for name in (feed,) if feed else spec.feeds:
            if name not in FEEDS_BY_NAME:
                raise ValueError(
                    f"LISTENLOOP_SOURCES: unknown feed {name!r} in {item!r}; "
                    f"feeds are {', '.join(FEEDS_BY_NAME)}"
                )
            if name not in spec.feeds:
                raise ValueError(
                    f"LISTENLOOP_SOURCES: {source} cannot deliver {name} "
                    f"(it delivers {', '.join(spec.feeds)})"
                )
            if claimed.get(name, source) != source:
                raise ValueError(
                    f"LISTENLOOP_SOURCES: {name} is assigned to both {claimed[name]} and {source}"
                )
            claimed[name] = source
    return claimed


def feeds_by_source(assigned: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The sources in use, each with its feeds in contract order (files first)."""
    plan: dict[str, tuple[str, ...]] = {}
    for spec in SOURCES.values():
        feeds = tuple(f.name for f in FEEDS if assigned.get(f.name) == spec.name)
        if feeds:
            plan[spec.name] = feeds
    return plan
