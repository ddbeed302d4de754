"""Type and validate a batch of text rows against the contract in one vectorised DuckDB pass.

Each field is checked in contract column order, and for each field in this order: required
value present, value parses as its kind, `min_value`, `max_value`, enum membership. The first
failure in that order is the row's quarantine reason. Empty values (after trimming) are nulls:
they fail only a required field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ingestion.contract import (
    RAW_SQL_TYPES,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    Column,
    Feed,
    Kind,
)

_BAD_VALUE_CHARS = 60  # enough to recognise the value in a reason, short enough to read

_KIND_LABELS = {
    Kind.TIMESTAMP: "an ISO-8601 timestamp",
    Kind.MONEY: "a decimal amount",
    Kind.INTEGER: "a whole number",
    Kind.BOOLEAN: "a boolean (true/false, 1/0, yes/no)",
}

# The Arrow twin of RAW_SQL_TYPES: what DuckDB hands back for each kind.
ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.TAG_LIST: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.MONEY: pa.decimal128(18, 4),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
}

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("feed", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("field", pa.string()),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw_record", pa.string()),
    ]
)


@dataclass(frozen=True)
class CheckedBatch:
    valid: pa.Table  # typed rows, one per merge key (the last delivered wins)
    quarantine: pa.Table  # QUARANTINE_SCHEMA
    loaded: dict[str, int]  # source file -> rows that passed the contract
    quarantined: dict[str, int]  # source file -> rows that failed it


def raw_schema(feed: Feed) -> pa.Schema:
    """The Arrow schema of `raw.<feed>`: the contract's columns typed, then the lineage columns."""
    return pa.schema(
        [
            *(
                pa.field(c.name, ARROW_TYPES[c.kind], nullable=c.name not in feed.merge_key)
                for c in feed.columns
            ),
            pa.field(SOURCE_FILE_COLUMN, pa.string(), nullable=False),
            pa.field(SOURCE_ROW_COLUMN, pa.int64(), nullable=False),
        ]
    )


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number_literal(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


class FeedValidator:
    """Checks batches of one feed on a DuckDB connection kept for the whole extraction."""

    def __init__(self, feed: Feed, con: duckdb.DuckDBPyConnection) -> None:
        self.feed = feed
        self.con = con
        self._cleaned = [f"__v{i}" for i in range(len(feed.columns))]
        self._parsed = [f"__p{i}" for i in range(len(feed.columns))]
        self._output_schema = raw_schema(feed)

    def check(self, batch: pa.Table) -> CheckedBatch:
        """Split `batch` (text columns, _source_file, _source_row) into valid and refused rows."""
        extras = [
            n
            for n in batch.column_names
            if n not in self.feed.column_names and n not in (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)
        ]
        self.con.register("batch", batch)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {self._checked_sql()}")
        finally:
            self.con.unregister("batch")
        valid = self.con.sql(self._valid_sql(extras)).to_arrow_table()
        quarantine = self.con.sql(self._quarantine_sql(extras)).to_arrow_table()
        counts = self.con.execute(
            f"""SELECT {SOURCE_FILE_COLUMN},
                       count(*) FILTER (WHERE __reason IS NULL),
                       count(*) FILTER (WHERE __reason IS NOT NULL)
                FROM checked GROUP BY ALL"""
        ).fetchall()
        self.con.execute("DROP TABLE checked")
        schema = self._output_schema
        for name in extras:
            schema = schema.insert(len(self.feed.columns), pa.field(name, pa.string()))
        return CheckedBatch(
            valid=valid.select(schema.names).cast(schema),
            quarantine=quarantine.cast(QUARANTINE_SCHEMA),
            loaded={file: ok for file, ok, _ in counts},
            quarantined={file: bad for file, _, bad in counts},
        )

    def _checked_sql(self) -> str:
        columns = self.feed.columns
        cleaned = ", ".join(
            f"NULLIF(trim({quote_identifier(c.name)}), '') AS {v}"
            for c, v in zip(columns, self._cleaned, strict=True)
        )
        parsed = ", ".join(
            f"{_parse_sql(c.kind, v)} AS {p}"
            for c, v, p in zip(columns, self._cleaned, self._parsed, strict=True)
        )
        failures = [
            failure
            for c, v, p in zip(columns, self._cleaned, self._parsed, strict=True)
            for failure in _failures(self.feed.name, c, v, p)
        ]
        if failures:
            verdict = ", ".join(
                [
                    _first_failure(failures, lambda f: quote_literal(f.field), "__field"),
                    _first_failure(failures, lambda f: quote_literal(f.rule), "__rule"),
                    _first_failure(failures, lambda f: f.reason_sql, "__reason"),
                ]
            )
        else:
            verdict = "NULL::VARCHAR AS __field, NULL::VARCHAR AS __rule, NULL::VARCHAR AS __reason"
        return f"""
            WITH cleaned AS (SELECT *, {cleaned} FROM batch),
            parsed AS (SELECT *, {parsed} FROM cleaned)
            SELECT *, {verdict} FROM parsed"""

    def _final_value(self, name: str) -> str:
        index = self.feed.column_names.index(name)
        value = self._parsed[index]
        if name == self.feed.version_column:
            # The contract: an empty updated_at means the record was never updated.
            dated_by = self._parsed[self.feed.column_names.index(self.feed.dated_by)]
            value = f"coalesce({value}, {dated_by})"
        return f"CAST({value} AS {RAW_SQL_TYPES[self.feed.column(name).kind]})"

    def _valid_sql(self, extras: list[str]) -> str:
        names = self.feed.column_names
        values = [f"{self._final_value(c)} AS {quote_identifier(c)}" for c in names]
        values += [quote_identifier(n) for n in extras]
        keys = ", ".join(self._final_value(k) for k in self.feed.merge_key)
        return f"""
            SELECT {", ".join(values)}, {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN}
            FROM checked
            WHERE __reason IS NULL
            QUALIFY row_number() OVER (
                PARTITION BY {keys} ORDER BY {SOURCE_FILE_COLUMN} DESC, {SOURCE_ROW_COLUMN} DESC
            ) = 1
            ORDER BY {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN}"""

    def _quarantine_sql(self, extras: list[str]) -> str:
        record = ", ".join(
            f"{quote_literal(n)}: {quote_identifier(n)}" for n in [*self.feed.column_names, *extras]
        )
        return f"""
            SELECT {quote_literal(self.feed.name)} AS feed,
                   {SOURCE_FILE_COLUMN} AS source_file,
                   {SOURCE_ROW_COLUMN} AS source_row,
                   __field AS field,
                   __rule AS rule,
                   __reason AS reason,
                   to_json({{{record}}})::VARCHAR AS raw_record
            FROM checked
            WHERE __reason IS NOT NULL
            ORDER BY source_file, source_row"""


def _parse_sql(kind: Kind, value: str) -> str:
    if kind is Kind.TIMESTAMP:
        # Read as TIMESTAMPTZ so an offset is honoured (no offset = the session zone, UTC), then
        # drop the zone to store naive UTC.
        return f"TRY_CAST({value} AS TIMESTAMPTZ)::TIMESTAMP"
    if kind is Kind.MONEY:
        return f"TRY_CAST({value} AS {RAW_SQL_TYPES[kind]})"
    if kind is Kind.INTEGER:
        # A plain BIGINT cast rounds '2.5' to 3; a count with a fraction is a bad value instead.
        return (
            f"CASE WHEN TRY_CAST({value} AS DOUBLE) = TRY_CAST({value} AS BIGINT)"
            f" THEN TRY_CAST({value} AS BIGINT) END"
        )
    if kind is Kind.BOOLEAN:
        return (
            f"CASE WHEN lower({value}) IN ('true', '1', 'yes') THEN TRUE"
            f" WHEN lower({value}) IN ('false', '0', 'no') THEN FALSE END"
        )
    return value


@dataclass(frozen=True)
class Failure:
    """One way a field can break the contract, as SQL over the batch."""

    condition: str
    field: str
    rule: str  # a stable name for reports and tests; the reason is for people
    reason_sql: str


def _first_failure(failures: list[Failure], value: Callable[[Failure], str], alias: str) -> str:
    whens = " ".join(f"WHEN {f.condition} THEN {value(f)}" for f in failures)
    return f"CASE {whens} END AS {alias}"


def _failures(feed: str, column: Column, value: str, parsed: str) -> list[Failure]:
    """Each way `column` can fail, in checking order."""

    # Contract names and enum values hold no braces, so they are safe in a format() template.
    def reason(template: str) -> str:
        return f"format({quote_literal(f'{feed}.{column.name}: {template}')}, {shown})"

    shown = f"left({value}, {_BAD_VALUE_CHARS})"
    failures = []
    if column.required:
        missing = quote_literal(f"{feed}.{column.name}: missing")
        failures.append(Failure(f"{value} IS NULL", column.name, "missing", missing))
    if column.kind in _KIND_LABELS:
        failures.append(
            Failure(
                f"{value} IS NOT NULL AND {parsed} IS NULL",
                column.name,
                "unparsable",
                reason("'{}' is not " + _KIND_LABELS[column.kind]),
            )
        )
    if column.min_value is not None:
        bound = _number_literal(column.min_value)
        below = reason("{} is below the minimum " + bound)
        failures.append(Failure(f"{parsed} < {bound}", column.name, "below_minimum", below))
    if column.max_value is not None:
        bound = _number_literal(column.max_value)
        above = reason("{} is above the maximum " + bound)
        failures.append(Failure(f"{parsed} > {bound}", column.name, "above_maximum", above))
    if column.enum:
        allowed = ", ".join(quote_literal(e) for e in column.enum)
        listed = "'{}' is not one of " + ", ".join(column.enum)
        failures.append(
            Failure(f"{value} NOT IN ({allowed})", column.name, "not_in_enum", reason(listed))
        )
    return failures
