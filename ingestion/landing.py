"""The one landing path every source shares: deliveries in, contract-checked raw tables out.

A source (the feeds folder, an API, a store database) turns what it fetched into deliveries: a
file, an API page or a database batch, each already parsed into text columns. A contract
resource validates them in batches and writes three tables, whatever the source:
`raw.<feed>` (typed rows that passed the contract), `raw.quarantine` (refused rows, and whole
deliveries that could not be read, as source_row 0) and `raw.ingested_files` (one row per
delivery). So rows read = rows loaded + rows quarantined holds for every source, and every
source lands in the same staging models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dlt
import duckdb
import pyarrow as pa
from dlt.common.schema.utils import has_table_seen_data
from dlt.extract.resource import DltResource

from ingestion.contract import (
    FILE_LOG_TABLE,
    QUARANTINE_TABLE,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    Feed,
    Kind,
)
from ingestion.readers import ReadResult
from ingestion.validation import QUARANTINE_SCHEMA, FeedValidator, raw_schema

# Rows gathered from several small deliveries before one validation pass and one yield: per-file
# DuckDB queries and dlt items would otherwise dominate a run over hundreds of daily files.
BATCH_ROWS = 100_000
LOADER_FILE_FORMAT = "parquet"

FILE_LOG_SCHEMA = pa.schema(
    [
        pa.field("load_id", pa.string(), nullable=False),
        pa.field("feed", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("modified_at", pa.timestamp("us")),
        pa.field("content_sha256", pa.string()),
        pa.field("rows_read", pa.int64(), nullable=False),
        pa.field("rows_loaded", pa.int64(), nullable=False),
        pa.field("rows_quarantined", pa.int64(), nullable=False),
        pa.field("extra_columns", pa.string()),
        pa.field("missing_columns", pa.string()),
        # JSON object: each delivered column and the type the delivery carried it as.
        pa.field("delivered_schema", pa.string()),
        pa.field("file_error", pa.string()),
    ]
)

_DLT_TYPES: dict[Kind, dict[str, Any]] = {
    Kind.TEXT: {"data_type": "text"},
    Kind.TAG_LIST: {"data_type": "text"},
    Kind.TIMESTAMP: {"data_type": "timestamp", "timezone": False},
    Kind.MONEY: {"data_type": "decimal", "precision": 18, "scale": 4},
    Kind.INTEGER: {"data_type": "bigint"},
    Kind.BOOLEAN: {"data_type": "bool"},
}


@dataclass
class Delivery:
    """One unit a source received: a file, an API page or a database batch.

    `source_file` names it in every raw row, quarantine row and log entry, so it must be unique
    per delivery: a path for files, `<source>/<feed>/<load_id>/page-000001` for pages. Within one
    load, a later delivery of the same key wins, by `source_file` order.
    """

    source_file: str
    result: ReadResult | None  # None when the delivery could not be read at all
    error: str | None = None  # why it could not be read; names the delivery, never a secret
    size_bytes: int | None = None
    modified_at: datetime | None = None  # naive UTC
    content_sha256: str | None = None


def contract_resource(
    feed: Feed,
    deliveries: Callable[[], Iterable[Delivery]],
    *,
    name: str | None = None,
    data_from: DltResource | None = None,
) -> DltResource:
    """The dlt resource landing `feed` from `deliveries`, with the hints of its three tables.

    `deliveries` is called afresh on every extraction (Dagster builds a source once per code
    location, and every run must fetch anew). With `data_from`, the resource is a transformer:
    `deliveries` is then called with each item of that resource.
    """

    if data_from is None:

        def land_fetched() -> Iterator[Any]:
            yield from _materialize_missing_tables(feed)
            yield from land(feed, deliveries())

        resource = dlt.resource(land_fetched, name=name or feed.name)
    else:

        def land_each(item: Any) -> Iterator[Any]:
            yield from _materialize_missing_tables(feed)
            # dlt calls a transformer only for items: a parent sends an empty batch first so
            # that the feed's tables exist while its source table is still empty.
            if isinstance(item, pa.Table) and item.num_rows == 0:
                return
            yield from land(feed, deliveries(item))

        resource = dlt.transformer(land_each, data_from=data_from, name=name or feed.name)
    resource.apply_hints(
        table_name=feed.name,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=feed.merge_key,
        columns=feed_columns(feed),
        file_format=LOADER_FILE_FORMAT,
    )
    _add_table_variant(
        resource,
        QUARANTINE_TABLE,
        columns=_columns_from_schema(QUARANTINE_SCHEMA),
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=("feed", "source_file", "source_row"),
        # A re-read file replaces all its earlier quarantine rows, not only those it repeats.
        merge_key=("feed", "source_file"),
    )
    _add_table_variant(
        resource,
        FILE_LOG_TABLE,
        columns=_columns_from_schema(FILE_LOG_SCHEMA),
        write_disposition="append",
        primary_key=(),
    )
    return resource


def feed_columns(feed: Feed) -> dict[str, dict[str, Any]]:
    """dlt column hints that make `raw.<feed>` carry exactly the RAW_SQL_TYPES types."""
    columns: dict[str, dict[str, Any]] = {
        c.name: {**_DLT_TYPES[c.kind], "nullable": c.name not in feed.merge_key}
        for c in feed.columns
    }
    # Several deliveries may carry one key in the same run: the newest (source_file order, files
    # being named by date and pages numbered) wins.
    columns[SOURCE_FILE_COLUMN] = {"data_type": "text", "nullable": False, "dedup_sort": "desc"}
    columns[SOURCE_ROW_COLUMN] = {"data_type": "bigint", "nullable": False}
    return columns


def land(feed: Feed, deliveries: Iterable[Delivery]) -> Iterator[Any]:
    """Validates `deliveries` in batches; yields the items of the three tables."""
    load_id = dlt.current.load_package_state()["load_id"]
    con = duckdb.connect()
    # Timestamps without offset mean UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    validator = FeedValidator(feed, con)
    pending = _Pending()
    try:
        for delivery in deliveries:
            _add(pending, feed, delivery, load_id)
            if pending.rows >= BATCH_ROWS:
                yield from _flush(pending, validator)
                pending = _Pending()
        yield from _flush(pending, validator)
    finally:
        con.close()


def _materialize_missing_tables(feed: Feed) -> Iterator[Any]:
    """Creates the feed's tables before any row arrives, so the dbt sources always resolve.

    Only tables the schema has not seen data for, so a run with nothing new stays a no-op. Each
    is created from an empty Arrow table, like the rows that will follow: dlt's schema-only
    marker would add `_dlt_load_id` and `_dlt_id` as NOT NULL columns, which Arrow rows do not
    carry, and the first rows to arrive later would then fail to load.
    """
    tables = dlt.current.source_schema().tables
    for table, schema in (
        (feed.name, raw_schema(feed)),
        (QUARANTINE_TABLE, QUARANTINE_SCHEMA),
        (FILE_LOG_TABLE, FILE_LOG_SCHEMA),
    ):
        if table not in tables or not has_table_seen_data(tables[table]):
            yield dlt.mark.with_table_name(schema.empty_table(), table)


def _columns_from_schema(schema: pa.Schema) -> dict[str, dict[str, Any]]:
    kinds = {
        pa.string(): _DLT_TYPES[Kind.TEXT],
        pa.int64(): _DLT_TYPES[Kind.INTEGER],
        pa.timestamp("us"): _DLT_TYPES[Kind.TIMESTAMP],
    }
    return {f.name: {**kinds[f.type], "nullable": f.nullable} for f in schema}


def _add_table_variant(resource: DltResource, table: str, **hints: Any) -> None:
    # A variant starts as a copy of the resource's hints: clear the feed's columns first so the
    # side table gets only its own (and pass its own primary_key, even an empty one).
    resource.apply_hints(table_name=table, columns={}, create_table_variant=True)
    resource.apply_hints(
        table_name=table, file_format=LOADER_FILE_FORMAT, create_table_variant=True, **hints
    )


@dataclass
class _Pending:
    """Deliveries read but not yet validated and yielded."""

    tables: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def _add(pending: _Pending, feed: Feed, delivery: Delivery, load_id: str) -> None:
    source_file = delivery.source_file
    result = delivery.result
    entry = {
        "load_id": load_id,
        "feed": feed.name,
        "source_file": source_file,
        "size_bytes": delivery.size_bytes,
        "modified_at": delivery.modified_at,
        "content_sha256": delivery.content_sha256,
        "rows_read": result.rows_read if result else 0,
        "rows_loaded": 0,
        "rows_quarantined": len(result.bad_records) if result else 0,
        "extra_columns": (";".join(result.extra_columns) or None) if result else None,
        "missing_columns": (";".join(result.missing_columns) or None) if result else None,
        "delivered_schema": (
            json.dumps(result.delivered_types) if result and result.delivered_types else None
        ),
        "file_error": None,
    }
    pending.log.append(entry)
    if result is None:
        reason = f"{source_file}: {delivery.error}"
        entry["file_error"] = reason
        pending.quarantine.append(
            _quarantine_row(feed, source_file, 0, "unreadable_file", reason, None)
        )
        return
    pending.quarantine += [
        _quarantine_row(
            feed,
            source_file,
            b.source_row,
            "malformed_record",
            f"{feed.name}: {b.reason}",
            b.raw_record,
        )
        for b in result.bad_records
    ]
    if result.table.num_rows:
        table = result.table.append_column(
            SOURCE_FILE_COLUMN, pa.array([source_file] * result.table.num_rows, pa.string())
        )
        pending.tables.append(table)
        pending.rows += table.num_rows


def _quarantine_row(
    feed: Feed, source_file: str, source_row: int, rule: str, reason: str, raw_record: str | None
) -> dict[str, Any]:
    return {
        "feed": feed.name,
        "source_file": source_file,
        "source_row": source_row,
        "field": None,
        "rule": rule,
        "reason": reason,
        "raw_record": raw_record,
    }


def _flush(pending: _Pending, validator: FeedValidator) -> Iterator[Any]:
    quarantine = [pa.Table.from_pylist(pending.quarantine, schema=QUARANTINE_SCHEMA)]
    if pending.tables:
        batch = pa.concat_tables(pending.tables, promote_options="default")
        checked = validator.check(batch)
        if checked.valid.num_rows:
            yield checked.valid
        quarantine.append(checked.quarantine)
        for entry in pending.log:
            entry["rows_loaded"] += checked.loaded.get(entry["source_file"], 0)
            entry["rows_quarantined"] += checked.quarantined.get(entry["source_file"], 0)
    quarantined = pa.concat_tables(quarantine)
    if quarantined.num_rows:
        yield dlt.mark.with_table_name(quarantined, QUARANTINE_TABLE)
    if pending.log:
        file_log = pa.Table.from_pylist(pending.log, schema=FILE_LOG_SCHEMA)
        yield dlt.mark.with_table_name(file_log, FILE_LOG_TABLE)
