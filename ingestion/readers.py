"""Read one feed file into an Arrow table of text columns, ready for the contract checks.

Every format ends up the same shape: one string column per field (lists joined with ';'), plus
`_source_row`, the 1-based record number. Values are never typed here: typing and validation are
one vectorised pass in `validation`, so a bad value becomes a quarantined row, not a failed file.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from ingestion.contract import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, Feed, Kind

TAG_SEPARATOR = ";"
_RESERVED_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)


class FileRejected(Exception):
    """The file as a whole cannot be read; the message says why (without any row's values)."""


@dataclass(frozen=True)
class BadRecord:
    """A record the parser could not split into fields: quarantined before validation."""

    source_row: int
    reason: str
    raw_record: str  # JSON text of the line as read


@dataclass
class ReadResult:
    table: pa.Table  # text columns + _source_row
    bad_records: list[BadRecord] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.bad_records)


def read_feed_file(feed: Feed, data: bytes, suffix: str) -> ReadResult:
    """Parse `data` (the bytes of a file with `suffix`) into text columns for `feed`."""
    if not data:
        raise FileRejected("file is empty (0 bytes)")
    if suffix == ".csv":
        result = _read_csv(data)
    elif suffix == ".jsonl":
        result = _read_jsonl(feed, data)
    elif suffix == ".parquet":
        result = _read_parquet(data)
    else:
        raise FileRejected(f"unsupported file type {suffix!r}")
    return _conform(feed, result)


def read_records(feed: Feed, records: list[dict[str, Any]]) -> ReadResult:
    """An API page, already mapped to contract field names, as one delivery's text columns.

    Values are rendered as text the way a JSONL line's would be, so an API row and the same row
    in a file are validated, and land, identically. Fields outside the contract become extra
    columns (reported, kept in raw), exactly as a file's extra columns do.
    """
    names: dict[str, None] = dict.fromkeys(feed.column_names)
    for record in records:
        names.update(dict.fromkeys(record))
    schema = pa.schema([(n, pa.string()) for n in names])
    table = pa.Table.from_pylist(
        [{k: _json_value_as_text(v) for k, v in record.items()} for record in records],
        schema=schema,
    )
    return _conform(feed, ReadResult(_with_source_rows(table, set())))


def read_arrow(feed: Feed, table: pa.Table) -> ReadResult:
    """A database batch, already mapped to contract field names, as one delivery's text columns."""
    return _conform(feed, ReadResult(_with_source_rows(_as_text_columns(table), set())))


def _read_csv(data: bytes) -> ReadResult:
    # The header is parsed separately so every column can be declared text up front: letting
    # pyarrow infer types would turn '007' into 7 before the contract ever sees it.
    data = data.removeprefix(b"\xef\xbb\xbf")
    header_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        names = [n.strip() for n in next(csv.reader([header_line.decode("utf-8")]))]
    except (UnicodeDecodeError, StopIteration) as exc:
        raise FileRejected(f"unreadable CSV header ({exc})") from None
    bad_lines: list[tuple[int, str, int]] = []

    def skip_invalid_row(row: pa_csv.InvalidRow) -> str:
        bad_lines.append((row.number, row.text, row.actual_columns))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=skip_invalid_row
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise FileRejected(f"unreadable CSV ({exc})") from None
    # pyarrow numbers rows from the header (row 1), so record n is row n + 1.
    bad = [
        BadRecord(
            number - 1,
            f"record {number - 1} has {actual} fields, the header has {len(names)}",
            json.dumps(text, ensure_ascii=False),
        )
        for number, text, actual in bad_lines
    ]
    return ReadResult(_with_source_rows(table, {b.source_row for b in bad}), bad)


def _read_jsonl(feed: Feed, data: bytes) -> ReadResult:
    # Timestamps are pinned to text: pyarrow would otherwise infer them and silently shift offsets.
    pinned = pa.schema([(c.name, pa.string()) for c in feed.columns if c.kind is Kind.TIMESTAMP])
    try:
        table = pa_json.read_json(
            io.BytesIO(data),
            parse_options=pa_json.ParseOptions(
                explicit_schema=pinned, unexpected_field_behavior="infer"
            ),
        )
    except pa.ArrowInvalid:
        # One bad line (or a field whose JSON type changes between lines) fails the whole
        # vectorised parse; only then is the file read line by line to isolate the bad lines.
        return _read_jsonl_by_line(data)
    return ReadResult(_with_source_rows(_as_text_columns(table), set()))


def _read_jsonl_by_line(data: bytes) -> ReadResult:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"not UTF-8 ({exc})") from None
    records: list[dict[str, str | None]] = []
    rows: list[int] = []
    bad: list[BadRecord] = []
    names: dict[str, None] = {}
    record_number = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        record_number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"record {record_number} is not valid JSON ({exc.msg} at column {exc.colno})"
            bad.append(BadRecord(record_number, reason, json.dumps(line, ensure_ascii=False)))
            continue
        if not isinstance(value, dict):
            reason = f"record {record_number} is not a JSON object"
            bad.append(BadRecord(record_number, reason, json.dumps(line, ensure_ascii=False)))
            continue
        names.update(dict.fromkeys(value))
        records.append({k: _json_value_as_text(v) for k, v in value.items()})
        rows.append(record_number)
    schema = pa.schema([(n, pa.string()) for n in names])
    table = pa.Table.from_pylist(records, schema=schema)
    return ReadResult(table.append_column(SOURCE_ROW_COLUMN, pa.array(rows, pa.int64())), bad)


def _json_value_as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return TAG_SEPARATOR.join(str(v) for v in value if v is not None)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_parquet(data: bytes) -> ReadResult:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(f"unreadable Parquet ({exc})") from None
    return ReadResult(_with_source_rows(_as_text_columns(table), set()))


def _as_text_columns(table: pa.Table) -> pa.Table:
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns.append(_as_text(column))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            raise FileRejected(f"column {name!r} has unsupported type {column.type}") from None
    return pa.table(columns, names=table.column_names)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pc.binary_join(pc.cast(column, pa.list_(pa.string())), TAG_SEPARATOR)
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        # Dropping the zone keeps the UTC instant, which is what a text value without offset means.
        column = pc.cast(column, pa.timestamp(kind.unit))
    return pc.cast(column, pa.string())


def _with_source_rows(table: pa.Table, skipped: set[int]) -> pa.Table:
    numbers = np.arange(1, table.num_rows + len(skipped) + 1, dtype=np.int64)
    if skipped:
        numbers = numbers[~np.isin(numbers, list(skipped))]
    return table.append_column(SOURCE_ROW_COLUMN, pa.array(numbers))


def _conform(feed: Feed, result: ReadResult) -> ReadResult:
    """Give the table every contract column (missing ones as nulls) and report extra columns."""
    table = result.table
    names = [n for n in table.column_names if n != SOURCE_ROW_COLUMN]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileRejected(f"duplicate columns {', '.join(duplicates)}")
    reserved = [n for n in names if n in _RESERVED_COLUMNS]
    if reserved:
        raise FileRejected(f"uses reserved column names {', '.join(reserved)}")
    # A JSONL file whose every line was unreadable has no columns; its lines are quarantined.
    if names and feed.primary_key not in names:
        raise FileRejected(f"has no {feed.primary_key} column (columns: {', '.join(names)})")
    for column in feed.column_names:
        if column not in names:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    extras = tuple(n for n in names if n not in feed.column_names)
    result.table = table.select([*feed.column_names, *extras, SOURCE_ROW_COLUMN])
    result.extra_columns = extras
    return result
