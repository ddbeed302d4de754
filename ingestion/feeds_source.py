"""The dlt source: one resource per feed, reading only new or changed files of its folder.

Each resource writes three tables: `raw.<feed>` (typed rows that passed the contract),
`raw.quarantine` (refused rows, and whole files that could not be read, as source_row 0) and
`raw.ingested_files` (one row per file read). File fingerprints live in the resource state, so
they are committed together with the rows they describe.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import dlt
import duckdb
import pyarrow as pa
from dlt.common.schema.utils import has_table_seen_data
from dlt.common.storages.fsspec_filesystem import (
    FileItem,
    FileItemDict,
    fsspec_filesystem,
    glob_files,
)
from dlt.extract.resource import DltResource

from ingestion.contract import (
    FEEDS,
    FEEDS_BY_NAME,
    FILE_LOG_TABLE,
    FILE_SUFFIXES,
    QUARANTINE_TABLE,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    Feed,
    Kind,
)
from ingestion.pipeline import feed_counts, make_pipeline
from ingestion.readers import FileRejected, read_feed_file
from ingestion.validation import QUARANTINE_SCHEMA, FeedValidator

# The ingestion API in one import: the source, the pipeline it runs in, and the counts of a load.
__all__ = ["feed_counts", "feeds_source", "make_pipeline"]

log = logging.getLogger(__name__)

# Rows gathered from several small files before one validation pass and one yield: per-file
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


@dlt.source(name="feeds")
def feeds_source(feeds_url: str, feeds: Sequence[str] | None = None) -> list[DltResource]:
    """One resource per feed (named as the feed), reading `<feeds_url>/<feed>/` files.

    `feeds_url` is a local path or any URL fsspec reads; `feeds` limits the feeds (default all).
    """
    names = list(feeds) if feeds else [f.name for f in FEEDS]
    unknown = sorted(set(names) - set(FEEDS_BY_NAME))
    if unknown:
        raise ValueError(f"unknown feeds {unknown}; the contract has {sorted(FEEDS_BY_NAME)}")
    return [feed_resource(feeds_url, FEEDS_BY_NAME[name]) for name in names]


def feed_resource(feeds_url: str, feed: Feed) -> DltResource:
    """The resource for one feed, with the hints of the three tables it writes."""

    # A function, not a generator object: the source may be extracted more than once (Dagster
    # builds it once per code location), and every run must list the folder afresh.
    def read_new_files() -> Iterator[Any]:
        yield from _materialize_missing_tables(feed)
        yield from _extract_feed(feeds_url, feed)

    resource = dlt.resource(
        read_new_files,
        name=feed.name,
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


def _materialize_missing_tables(feed: Feed) -> Iterator[Any]:
    """Creates the feed's tables before any file arrives, so the dbt sources always resolve.

    Only tables the schema has not seen data for, so a run with nothing new stays a no-op.
    """
    tables = dlt.current.source_schema().tables
    for table in (feed.name, QUARANTINE_TABLE, FILE_LOG_TABLE):
        if table not in tables or not has_table_seen_data(tables[table]):
            yield dlt.mark.with_table_name(dlt.mark.materialize_table_schema(), table)


def feed_columns(feed: Feed) -> dict[str, dict[str, Any]]:
    """dlt column hints that make `raw.<feed>` carry exactly the RAW_SQL_TYPES types."""
    columns: dict[str, dict[str, Any]] = {
        c.name: {**_DLT_TYPES[c.kind], "nullable": c.name not in feed.merge_key}
        for c in feed.columns
    }
    # Several files may deliver one key in the same run: the newest delivery (file name order,
    # the files being named by date) wins.
    columns[SOURCE_FILE_COLUMN] = {"data_type": "text", "nullable": False, "dedup_sort": "desc"}
    columns[SOURCE_ROW_COLUMN] = {"data_type": "bigint", "nullable": False}
    return columns


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
    """Files read but not yet validated and yielded."""

    tables: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def _extract_feed(feeds_url: str, feed: Feed) -> Iterator[Any]:
    fs, _ = fsspec_filesystem(feeds_url)
    fingerprints: dict[str, dict[str, Any]] = dlt.current.resource_state().setdefault("files", {})
    load_id = dlt.current.load_package_state()["load_id"]
    files = sorted(
        (f for f in glob_files(fs, feeds_url, f"{feed.name}/**/*") if _is_feed_file(f)),
        key=lambda f: f["relative_path"],
    )
    con = duckdb.connect()
    # Timestamps without offset mean UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    validator = FeedValidator(feed, con)
    pending = _Pending()
    read = 0
    try:
        for file in files:
            fingerprint = _listing_fingerprint(file)
            known = fingerprints.get(file["relative_path"])
            if known and {k: known.get(k) for k in fingerprint} == fingerprint:
                continue
            data = FileItemDict(file, fs).read_bytes()
            fingerprint["sha256"] = hashlib.sha256(data).hexdigest()
            _read_into(pending, feed, file, data, load_id, fingerprint["sha256"])
            fingerprints[file["relative_path"]] = fingerprint
            read += 1
            if pending.rows >= BATCH_ROWS:
                yield from _flush(pending, validator)
                pending = _Pending()
        yield from _flush(pending, validator)
    finally:
        con.close()
    log.info("feeds.%s: %s of %s files new or changed", feed.name, read, len(files))


def _is_feed_file(file: FileItem) -> bool:
    suffix = posixpath.splitext(file["file_name"])[1].lower()
    if suffix in FILE_SUFFIXES:
        return True
    log.warning("feeds: ignoring %s (not one of %s)", file["relative_path"], FILE_SUFFIXES)
    return False


def _listing_fingerprint(file: FileItem) -> dict[str, Any]:
    """What the listing says about a file: unchanged size and mtime means it need not be read.

    The content hash is added once the file is read; it is kept for audit (raw.ingested_files),
    since comparing it would mean reading every file on every run.
    """
    return {
        "size": file.get("size_in_bytes"),
        "modified_at": file["modification_date"].isoformat(),
    }


def _read_into(
    pending: _Pending, feed: Feed, file: FileItem, data: bytes, load_id: str, sha256: str
) -> None:
    source_file = file["relative_path"]
    entry = {
        "load_id": load_id,
        "feed": feed.name,
        "source_file": source_file,
        "size_bytes": len(data),
        "modified_at": file["modification_date"].astimezone(UTC).replace(tzinfo=None),
        "content_sha256": sha256,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "extra_columns": None,
        "file_error": None,
    }
    pending.log.append(entry)
    suffix = posixpath.splitext(file["file_name"])[1].lower()
    try:
        result = read_feed_file(feed, data, suffix)
    except FileRejected as exc:
        reason = f"{source_file}: {exc}"
        entry["file_error"] = reason
        pending.quarantine.append(
            _quarantine_row(feed, source_file, 0, "unreadable_file", reason, None)
        )
        log.warning("feeds.%s: file %s rejected", feed.name, source_file)
        return
    entry["rows_read"] = result.rows_read
    entry["rows_quarantined"] = len(result.bad_records)
    entry["extra_columns"] = ";".join(result.extra_columns) or None
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
