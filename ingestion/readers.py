"""Read one feed file into an Arrow table of text columns, ready for the contract checks.

Every format ends up the same shape: one string column per field (lists joined with ';'), plus
`_source_row`, the 1-based record number. Values are never typed here: typing and validation are
one vectorised pass in `validation`, so a bad value becomes a quarantined row, not a failed file.
"""

from __future__ import annotations

import csv
import io
import json
import re
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
    missing_columns: tuple[str, ...] = ()  # optional contract columns the delivery lacked
    # Each delivered column's type as the file carries it, in Arrow's names: `string` for every
    # CSV column, the inferred type of JSON values, a Parquet column's own type. Reported so
    # Dagster's column-schema-change checks can compare one delivery's shape with the last.
    delivered_types: dict[str, str] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.bad_records)


def read_feed_file(feed: Feed, data: bytes, suffix: str) -> ReadResult:
    """Parse `data` (the bytes of a file with `suffix`) into text columns for `feed`."""
    if not data.strip():
        raise FileRejected(f"file is empty ({'only blank lines' if data else '0 bytes'})")
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
    result = ReadResult(_with_source_rows(table, set()), delivered_types=_value_types(records))
    return _conform(feed, result)


def read_arrow(feed: Feed, table: pa.Table) -> ReadResult:
    """A database batch, already mapped to contract field names, as one delivery's text columns."""
    result = ReadResult(
        _with_source_rows(_as_text_columns(table), set()), delivered_types=_arrow_types(table)
    )
    return _conform(feed, result)


def _read_csv(data: bytes) -> ReadResult:
    # The header is parsed separately so every column can be declared text up front: letting
    # pyarrow infer types would turn '007' into 7 before the contract ever sees it.
    data = data.removeprefix(b"\xef\xbb\xbf")
    header_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    problem = _not_text(header_line)
    if problem:
        raise FileRejected(f"not a text file: its header line {problem}")
    names = [n.strip() for n in next(csv.reader([header_line.decode("utf-8")]), [])]
    data, marked = _marked_text(data)
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
    except pa.ArrowInvalid as exc:
        raise FileRejected(f"unreadable CSV ({exc})") from None
    # pyarrow numbers rows from the header (row 1), so record n is row n + 1.
    bad = []
    for number, text, actual in bad_lines:
        record = number - 1
        if marked and _NOT_TEXT_MARK in text:
            reason = f"record {record} {_MARKED_REASON}"
        else:
            reason = f"record {record} has {actual} fields, the header has {len(names)}"
        bad.append(BadRecord(record, reason, json.dumps(text, ensure_ascii=False)))
    rows = _with_source_rows(table, {b.source_row for b in bad})
    if marked:
        rows, not_text = _split_marked_rows(rows)
        bad = sorted(bad + not_text, key=lambda b: b.source_row)
    return ReadResult(rows, bad, delivered_types=dict.fromkeys(names, "string"))


# What _marked_text puts in place of each byte that is not UTF-8 text, and of each NUL.
_NOT_TEXT_MARK = "\ufffd"
_MARKED_REASON = "holds bytes that are not UTF-8 text, or NUL bytes"


def _not_text(line: bytes) -> str | None:
    """Why `line` is not text, or None. Feeds are UTF-8, and no text holds a NUL byte."""
    if b"\x00" in line:
        return "holds NUL bytes"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 (byte 0x{line[exc.start]:02x} at offset {exc.start})"
    return None


def _marked_text(data: bytes) -> tuple[bytes, bool]:
    """`data` as UTF-8 text, each byte that is not text replaced by a mark, and whether any was.

    pyarrow refuses a whole CSV file for one such byte (and its bad-row handler fails on one),
    so junk in the middle of a file is marked here and only the records holding it are refused.
    """
    if not _not_text(data):
        return data, False
    text = data.decode("utf-8", "replace").replace("\x00", _NOT_TEXT_MARK)
    return text.encode("utf-8"), True


def _split_marked_rows(table: pa.Table) -> tuple[pa.Table, list[BadRecord]]:
    """The rows without a not-text mark, and the marked ones as bad records."""
    marked = np.zeros(table.num_rows, dtype=bool)
    for name in table.column_names:
        if name != SOURCE_ROW_COLUMN:
            found = pc.fill_null(pc.match_substring(table[name], _NOT_TEXT_MARK), False)
            marked |= found.to_numpy()
    bad = []
    for row in table.filter(pa.array(marked)).to_pylist():
        record = row.pop(SOURCE_ROW_COLUMN)
        raw = json.dumps(row, ensure_ascii=False)
        bad.append(BadRecord(record, f"record {record} {_MARKED_REASON}", raw))
    return table.filter(pa.array(~marked)), bad


def _read_jsonl(feed: Feed, data: bytes) -> ReadResult:
    # Timestamps are pinned to text: pyarrow would otherwise infer them and silently shift offsets.
    pinned = pa.schema([(c.name, pa.string()) for c in feed.columns if c.kind is Kind.TIMESTAMP])
    problem = _not_text(data.lstrip().split(b"\n", 1)[0])
    if problem:
        raise FileRejected(f"not a text file: its first line {problem}")
    if _not_text(data):
        # pyarrow would load a value with bytes that are not UTF-8, replaced: the lines holding
        # them must be found and refused, one by one.
        return _read_jsonl_by_line(data)
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
    # A pinned column is always in the result: one no line names was not delivered at all, and
    # one without values was delivered as JSON nulls, like any other column.
    empty = [n for n in pinned.names if table[n].null_count == table.num_rows]
    table = table.drop_columns([n for n in empty if f'"{n}"'.encode() not in data])
    types = _arrow_types(table)
    types.update((n, "null") for n in empty if n in types)
    rows = _with_source_rows(_as_text_columns(table), set())
    return ReadResult(rows, delivered_types=types)


def _read_jsonl_by_line(data: bytes) -> ReadResult:
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    bad: list[BadRecord] = []
    names: dict[str, None] = {}
    record_number = 0
    # Split on newlines only: str.splitlines() would also split inside a value holding U+2028.
    for raw_line in data.split(b"\n"):
        if not raw_line.strip():
            continue
        record_number += 1
        line = raw_line.decode("utf-8", "backslashreplace")
        problem = _not_text(raw_line)
        if problem:
            reason = f"record {record_number} {problem}"
            bad.append(BadRecord(record_number, reason, json.dumps(line, ensure_ascii=False)))
            continue
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
        records.append(value)
        rows.append(record_number)
    schema = pa.schema([(n, pa.string()) for n in names])
    table = pa.Table.from_pylist(
        [{k: _json_value_as_text(v) for k, v in record.items()} for record in records],
        schema=schema,
    )
    return ReadResult(
        table.append_column(SOURCE_ROW_COLUMN, pa.array(rows, pa.int64())),
        bad,
        delivered_types=_value_types(records),
    )


def _value_types(records: list[dict[str, Any]]) -> dict[str, str]:
    """Each field's type as Arrow infers it from the values, as a JSONL file's would be read.

    Records that disagree (a number in one, text in the next) give every type seen, 'a | b'.
    """
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    types = {}
    for name in names:
        values = [record.get(name) for record in records]
        try:
            types[name] = str(pa.array(values).type)
        except (pa.ArrowException, OverflowError):
            seen = {_value_type(v) for v in values if v is not None}
            types[name] = " | ".join(sorted(seen))
    return types


def _value_type(value: Any) -> str:
    try:
        return str(pa.array([value]).type)
    except (pa.ArrowException, OverflowError):  # an integer beyond int64, say
        return type(value).__name__


def _arrow_types(table: pa.Table) -> dict[str, str]:
    return {f.name: str(f.type) for f in table.schema}


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
        # pyarrow names the in-memory buffer it was given, not the file: that part is noise.
        detail = str(exc).removeprefix("Could not open Parquet input source '<Buffer>': ")
        raise FileRejected(f"unreadable Parquet ({detail})") from None
    rows = _with_source_rows(_as_text_columns(table), set())
    return ReadResult(rows, delivered_types=_arrow_types(table))


def _as_text_columns(table: pa.Table) -> pa.Table:
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns.append(_as_text(column))
        except pa.ArrowNotImplementedError:
            if not pa.types.is_nested(column.type):
                raise FileRejected(f"column {name!r} has unsupported type {column.type}") from None
            # Objects have no text cast: kept as JSON text, as a JSONL line's objects are, so a
            # new column holding them evolves the table instead of refusing the file.
            columns.append(_as_json_text(column))
        except pa.ArrowInvalid:
            raise FileRejected(f"column {name!r} has unsupported type {column.type}") from None
    return pa.table(columns, names=table.column_names)


def _as_json_text(column: pa.ChunkedArray) -> pa.Array:
    return pa.array(
        [
            None if v is None else json.dumps(v, ensure_ascii=False, default=str)
            for v in column.to_pylist()
        ],
        pa.string(),
    )


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


# A column name a reason may quote. A header may be a data row (a file without its header), and
# a reason must never carry an email or a phone number: other names are only counted.
_QUOTABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _shown(names: list[str]) -> str:
    quoted = [n for n in names if _QUOTABLE_NAME.fullmatch(n)]
    hidden = len(names) - len(quoted)
    return ", ".join([*quoted, *([f"{hidden} more not shown"] if hidden else [])])


def _conform(feed: Feed, result: ReadResult) -> ReadResult:
    """Give the table every contract column (missing ones as nulls) and report extra columns."""
    table = result.table
    names = [n for n in table.column_names if n != SOURCE_ROW_COLUMN]
    if names and not set(names) & set(feed.column_names):
        raise FileRejected(
            f"none of its {len(names)} columns is a {feed.name} column"
            " (is the header row missing, or is this another feed's file?)"
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileRejected(f"duplicate columns {_shown(duplicates)}")
    reserved = [n for n in names if n in _RESERVED_COLUMNS]
    if reserved:
        raise FileRejected(f"uses reserved column names {', '.join(reserved)}")
    missing = tuple(c for c in feed.column_names if c not in names)
    # A JSONL file whose every line was unreadable has no columns; its lines are quarantined.
    # Without a required column no row could pass the contract: the file is refused as a whole.
    missing_required = [c.name for c in feed.columns if c.required and c.name in missing]
    if names and missing_required:
        plural = "s" if len(missing_required) > 1 else ""
        raise FileRejected(
            f"has no {', '.join(missing_required)} column{plural} (columns: {_shown(names)})"
        )
    for column in missing:
        table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    extras = tuple(n for n in names if n not in feed.column_names)
    result.table = table.select([*feed.column_names, *extras, SOURCE_ROW_COLUMN])
    result.extra_columns = extras
    result.missing_columns = missing if names else ()
    return result
