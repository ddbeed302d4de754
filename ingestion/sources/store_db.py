"""The store database source: customers, orders, order lines and refunds read straight from the
store's own database (WooCommerce on MySQL/MariaDB, or a PostgreSQL store schema).

Each feed is two dlt resources:

- a parent, `<feed>_rows` (never loaded itself), that reads the feed's rows with dlt's
  sql_database `TableLoader`, pyarrow backend, incremental on the `updated_at` cursor with
  `dlt.sources.incremental` (state, lag window, forward-only cursor). The flavour's query
  (`store_schemas`) comes in through dlt's `query_adapter_callback`;
- the feed's contract resource, a transformer that maps each Arrow batch to the contract in
  DuckDB and lands it as one delivery (`store_db/<feed>/<load id>/batch-000001`).

Each feed has its own parent, so its own cursor: a run of some feeds never moves another's.
The cursor is committed with the load; a killed run is read again from the last committed
cursor, and the raw tables merge on the contract key, so every row lands exactly once.

Why not `sql_table()` itself: it resolves the credentials and builds the engine when it is
called, that is when the source is built, and Dagster builds every source when its definitions
load, with or without credentials. Here nothing is resolved or connected until a run extracts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import sqlalchemy as sa
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue
from dlt.extract.incremental import Incremental
from dlt.extract.resource import DltResource
from dlt.sources.sql_database import TableLoader
from dlt.sources.sql_database.schema_types import sqla_col_to_column_schema
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ingestion.contract import FEEDS_BY_NAME, Feed
from ingestion.landing import Delivery, contract_resource
from ingestion.readers import read_arrow
from ingestion.sources import SOURCES
from ingestion.sources.settings import resolve_source_settings
from ingestion.sources.store_schemas import CURSOR, FLAVOURS, FeedMapping, Flavour, SchemaOptions

SOURCE = "store_db"
# What this source can deliver is declared once, in the registry that LISTENLOOP_SOURCES reads.
FEEDS_DELIVERED = SOURCES[SOURCE].feeds
log = logging.getLogger(__name__)

# The default every feed's parent starts from; dlt copies it for each run.
_CURSOR: Incremental[datetime] = dlt.sources.incremental(
    CURSOR,
    # No boundary hashes in the state: the lag re-reads rows anyway, and the raw tables' merge
    # keeps one row per key.
    primary_key=(),
    on_cursor_value_missing="include",
)


class StoreDbError(RuntimeError):
    """The store database cannot be read; the message names keys and servers, never a secret."""


@configspec
class StoreDbSettings(BaseConfiguration):
    """`sources.store_db` settings."""

    # An SQLAlchemy URL, e.g. mysql+pymysql://user:pw@host:3306/shop
    credentials: TSecretStrValue = None
    schema_flavour: str = None  # one of store_schemas.FLAVOURS
    table_prefix: str = "wp_"
    schema: str | None = None
    lag_minutes: float = 60.0
    chunk_size: int = 10_000
    consent_meta_key: str = "phone_contact_consent"


def resolve_settings() -> StoreDbSettings:
    """The settings from dlt's providers; a missing or wrong one names its key, never a value."""
    settings = resolve_source_settings(StoreDbSettings(), SOURCE, StoreDbError)
    if settings.schema_flavour not in FLAVOURS:
        raise StoreDbError(
            f"{SOURCE}: sources.{SOURCE}.schema_flavour must be one of {', '.join(FLAVOURS)}"
        )
    if settings.lag_minutes < 0:
        raise StoreDbError(f"{SOURCE}: sources.{SOURCE}.lag_minutes must be 0 or more")
    if settings.chunk_size < 1:
        raise StoreDbError(f"{SOURCE}: sources.{SOURCE}.chunk_size must be 1 or more")
    return settings


@dlt.source(name=SOURCE)
def store_db_source(feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource per feed, named as the feed. Reads no setting and opens no connection."""
    names = list(feeds) if feeds else list(FEEDS_DELIVERED)
    unknown = sorted(set(names) - set(FEEDS_DELIVERED))
    if unknown:
        raise ValueError(f"{SOURCE} delivers {', '.join(FEEDS_DELIVERED)}, not {unknown}")
    return [feed_resource(FEEDS_BY_NAME[name]) for name in names]


def feed_resource(feed: Feed) -> DltResource:
    """The contract resource of `feed`, fed by its own incremental parent."""
    run = _FeedRun(feed)

    def rows(
        updated_at: dlt.sources.incremental[datetime] = _CURSOR,
    ) -> Iterator[pa.Table]:
        yield from run.fetch(updated_at)

    parent = dlt.resource(rows, name=f"{feed.name}_rows", selected=False)
    return contract_resource(feed, run.deliveries, data_from=parent)


@dataclass
class _FeedRun:
    """What one extraction of a feed learns at its start and its batches need."""

    feed: Feed
    mapping: FeedMapping | None = None
    batches: int = 0  # deliveries made in this extraction; numbers their names

    def fetch(self, cursor: Incremental[Any]) -> Iterator[pa.Table]:
        settings = resolve_settings()
        flavour = FLAVOURS[settings.schema_flavour]
        self.mapping = flavour.feeds[self.feed.name]
        self.batches = 0
        widen_by_lag(cursor, timedelta(minutes=settings.lag_minutes))
        url = _credentials_url(settings)
        where = _server_label(url)
        engine = _engine(url, flavour)
        tables = flavour.tables(
            SchemaOptions(
                schema=settings.schema or None,
                table_prefix=settings.table_prefix,
                consent_meta_key=settings.consent_meta_key,
            )
        )
        since = cursor.start_value
        mapping = self.mapping

        def adapt_query(_query: Any, _table: Any, incremental: Incremental[Any], _e: Any) -> Any:
            # dlt's own WHERE would filter on the derived cursor; the flavour's query filters
            # on the vendor's columns, which the database can index.
            return mapping.query(tables, incremental.start_value)

        # dlt's loader wants the rows' shape as a table: the cursor column and the Arrow types.
        shape = mapping.query(tables, None).subquery(self.feed.name)
        loader = TableLoader(
            engine,
            "pyarrow",
            shape,  # type: ignore[arg-type]
            {c.name: sqla_col_to_column_schema(c, "full") for c in shape.columns},  # type: ignore[misc]
            chunk_size=settings.chunk_size,
            incremental=cursor,
            query_adapter_callback=adapt_query,
        )
        log.info(
            "%s.%s: reading %s (%s) changed since %s",
            SOURCE,
            self.feed.name,
            where,
            flavour.name,
            since.isoformat() if since else "the start",
        )
        batches = rows = 0
        try:
            for batch in loader.load_rows():
                batches, rows = batches + 1, rows + batch.num_rows
                yield batch
        except SQLAlchemyError as exc:
            raise StoreDbError(
                _failure_message(self.feed.name, where, exc, settings.credentials, url)
            ) from None
        finally:
            engine.dispose()
        log.info("%s.%s: %s rows read in %s batches", SOURCE, self.feed.name, rows, batches)
        if not batches:
            # Without an item the contract transformer never runs, and an empty source table
            # would leave its raw table uncreated for the dbt sources. Only ever the sole item:
            # dlt's incremental accepts an empty table, but not one before rows.
            yield pa.table({cursor.cursor_path: pa.array([], pa.timestamp("us"))})

    def deliveries(self, batch: pa.Table) -> Iterator[Delivery]:
        """One fetched batch as one delivery, mapped to contract columns."""
        assert self.mapping is not None, "a batch arrived before its extraction started"
        load_id = dlt.current.load_package_state()["load_id"]
        self.batches += 1
        yield Delivery(
            source_file=f"{SOURCE}/{self.feed.name}/{load_id}/batch-{self.batches:06d}",
            result=read_arrow(self.feed, to_contract(self.mapping.to_contract, batch)),
            size_bytes=batch.nbytes,
        )


def widen_by_lag(cursor: Incremental[Any], lag: timedelta) -> None:
    """Moves the start of `cursor` back by `lag`, before any row is read.

    The lag is a setting, so it is only known once the run resolves its settings, after dlt
    bound the incremental (with no lag). dlt applies `lag` from here on: the start it filters
    on, and a cursor that never moves back.
    """
    cursor.lag = lag.total_seconds() or None
    cursor.start_value = cursor.last_value


def to_contract(sql: str, batch: pa.Table) -> pa.Table:
    """`batch` mapped to the contract's columns by `sql` (a SELECT over `batch`) in DuckDB."""
    with duckdb.connect() as con:
        # Zoned timestamps read as UTC instants, whatever the machine's zone.
        con.execute("SET TimeZone = 'UTC'")
        con.register("batch", batch)
        return con.sql(sql).to_arrow_table()


def _credentials_url(settings: StoreDbSettings) -> URL:
    try:
        return sa.make_url(settings.credentials)
    except ArgumentError:
        # SQLAlchemy's message quotes the whole string, password included.
        raise StoreDbError(
            f"{SOURCE}: sources.{SOURCE}.credentials is not an SQLAlchemy URL "
            "(dialect+driver://user:password@host:port/database)"
        ) from None


def _engine(url: URL, flavour: Flavour) -> sa.Engine:
    backend = url.get_backend_name()
    if backend not in flavour.backends:
        raise StoreDbError(
            f"{SOURCE}: schema_flavour {flavour.name} reads {'/'.join(flavour.backends)}, but "
            f"sources.{SOURCE}.credentials names a {backend} database"
        )
    # hide_parameters: a failed statement's message must not carry row values (emails, phones).
    engine = sa.create_engine(url, hide_parameters=True)
    if backend in ("mysql", "mariadb"):
        # MySQL converts TIMESTAMP columns (WooCommerce's lookup dates) to the session's zone.
        sa.event.listen(engine, "connect", _utc_session)
    return engine


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET time_zone = '+00:00'")


def _server_label(url: URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()}://{url.host or 'localhost'}{port}/{url.database or ''}"


def _failure_message(feed: str, where: str, exc: SQLAlchemyError, secret: str, url: URL) -> str:
    cause = getattr(exc, "orig", None) or exc
    detail = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    # Drivers do not echo passwords, but a message is scrubbed anyway before it leaves.
    for text in {secret, url.password}:
        if text:
            detail = detail.replace(str(text), "***")
    user = f" as {url.username}" if url.username else ""
    return f"{SOURCE}: reading {feed} from {where}{user} failed: {type(cause).__name__}: {detail}"
