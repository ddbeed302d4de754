"""The serving copy BI tools read: the marts and the call list, published whole, never half-built.

The warehouse has one writer, the pipeline, which holds it for minutes at a time. BI tools read
a separate DuckDB file instead, built aside and renamed over the old one. A rename is atomic: a
reader that has the old file open keeps its complete view, and the next connection opens the
new one. The same tables are also written as Parquet, one file per table, for tools that read
files: every file is written before any is renamed into place and each rename is atomic, but a
tool reading several files across a publish can see one file of each build.

The PII policy decides what leaves the warehouse. By default (the strict one) no email column
is served, and phone columns only in the call-list tables, where agents need them; addresses
and international numbers quoted in free text are masked.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

from ingestion.validation import quote_identifier

SERVING_FILE = "serving.duckdb"
PARQUET_DIR = "serving"
PUBLISH_LOG_TABLE = "_published"

# What is served: every table of the marts schema, and the call-list tables of the segments.
MART_SCHEMA = "marts"
SEGMENT_SCHEMA = "segments"
CALL_LIST_TABLES = ("call_list", "call_list_history")

# Column names are matched by whole word, so `voicemails` is not an email column.
_EMAIL = re.compile(r"(^|_)e_?mails?($|_)", re.IGNORECASE)
_PHONE = re.compile(r"(^|_)(phones?|mobile|msisdn|tel|e164)($|_)", re.IGNORECASE)
# Free text (verbatims, phrases, notes) can quote an address or a number: masked in the copy.
# Phones in text are matched only in international form (a leading +), which no id or date has.
EMAIL_IN_TEXT = r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[A-Za-z]{2,}"
PHONE_IN_TEXT = r"\+\d[\d\s().-]{6,}\d"


class PhonePolicy(StrEnum):
    NONE = "none"  # no phone column is served
    CALL_LIST = "call_list"  # phones only in the call-list tables (the default)
    ALL = "all"  # phones wherever a served table has them


@dataclass(frozen=True)
class PiiPolicy:
    emails: bool = False
    phones: PhonePolicy = PhonePolicy.CALL_LIST

    def masks_in_text(self, table: str) -> list[tuple[str, str]]:
        """(pattern, replacement) to apply to the text columns of `table`."""
        masks = [] if self.emails else [(EMAIL_IN_TEXT, "[email withheld]")]
        if not self.allows(table, "phone"):
            masks.append((PHONE_IN_TEXT, "[phone withheld]"))
        return masks

    def allows(self, table: str, column: str) -> bool:
        if _EMAIL.search(column):
            return self.emails
        if _PHONE.search(column):
            return self.phones is PhonePolicy.ALL or (
                self.phones is PhonePolicy.CALL_LIST and table in CALL_LIST_TABLES
            )
        return True


def pii_policy(emails: bool, phones: str) -> PiiPolicy:
    """The policy from the settings (LISTENLOOP_SERVING_EMAILS, LISTENLOOP_SERVING_PHONES)."""
    try:
        return PiiPolicy(emails=emails, phones=PhonePolicy(phones))
    except ValueError:
        allowed = ", ".join(p.value for p in PhonePolicy)
        raise ValueError(f"LISTENLOOP_SERVING_PHONES is {phones!r}; use one of {allowed}") from None


@dataclass
class PublishReport:
    serving_file: Path
    parquet_dir: Path
    published_at: datetime
    rows: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows served
    withheld: dict[str, list[str]] = field(default_factory=dict)  # table -> PII columns left out


def serving_paths(serving_dir: Path) -> tuple[Path, Path]:
    """The serving DuckDB file and the Parquet folder under `serving_dir`."""
    return serving_dir / SERVING_FILE, serving_dir / PARQUET_DIR


def served_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """(schema, table) of every table to serve that `catalog` holds, in a stable order."""
    rows = con.execute(
        """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = ?
          AND (table_schema = ? OR (table_schema = ? AND table_name IN (SELECT unnest(?))))
        ORDER BY table_schema, table_name""",
        [catalog, MART_SCHEMA, SEGMENT_SCHEMA, list(CALL_LIST_TABLES)],
    ).fetchall()
    return [(schema, table) for schema, table in rows]


def publish(warehouse: Path, serving_dir: Path, policy: PiiPolicy) -> PublishReport:
    """Copies the served tables of `warehouse` into a new serving file and Parquet files, then
    swaps each into place with a rename. Nothing is replaced until everything is written."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    serving_file, parquet_dir = serving_paths(serving_dir)
    parquet_dir.mkdir(exist_ok=True)
    # A publish killed midway leaves its half-written files; they are never read, only swept.
    for leftover in [
        *serving_dir.glob(f".{SERVING_FILE}.*.building"),
        *parquet_dir.glob(".*.building"),
    ]:
        leftover.unlink(missing_ok=True)
    token = uuid.uuid4().hex[:12]
    building = serving_dir / f".{SERVING_FILE}.{token}.building"
    report = PublishReport(serving_file, parquet_dir, datetime.now(UTC).replace(tzinfo=None))
    staged: list[tuple[Path, Path]] = []
    try:
        with _connection(building) as con:
            served = quote_identifier(_current_catalog(con))
            con.execute("ATTACH ? AS warehouse (READ_ONLY)", [str(warehouse)])
            for schema, table in served_tables(con, "warehouse"):
                report.rows[f"{schema}.{table}"] = _copy_table(con, schema, table, policy, report)
                parquet = parquet_dir / f".{table}.{token}.building"
                con.execute(
                    f"COPY {served}.{schema}.{table} TO '{_sql_path(parquet)}' (FORMAT parquet)"
                )
                staged.append((parquet, parquet_dir / f"{table}.parquet"))
            if not report.rows:
                raise ValueError(
                    f"{warehouse} holds no marts and no call list yet: nothing to publish, "
                    "the serving copy is left as it is"
                )
            con.execute("DETACH warehouse")
            _write_publish_log(con, report)
            con.execute("CHECKPOINT")
        # The file first: a tool that reads both never sees Parquet newer than the database.
        _replace(building, serving_file)
        for source, target in staged:
            _replace(source, target)
        # A table the warehouse no longer has (dropped, renamed) leaves the Parquet folder too.
        for stale in set(parquet_dir.glob("*.parquet")) - {target for _, target in staged}:
            stale.unlink()
    finally:
        for leftover in [building, *(source for source, _ in staged)]:
            leftover.unlink(missing_ok=True)
    return report


def _copy_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    policy: PiiPolicy,
    report: PublishReport,
) -> int:
    columns = dict(
        con.execute(
            """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_catalog = 'warehouse' AND table_schema = ? AND table_name = ?
               ORDER BY ordinal_position""",
            [schema, table],
        ).fetchall()
    )
    kept = [c for c in columns if policy.allows(table, c)]
    withheld = [c for c in columns if c not in kept]
    if withheld:
        report.withheld[f"{schema}.{table}"] = withheld
    masks = policy.masks_in_text(table)
    select = ", ".join(
        _masked(c, masks) if columns[c] == "VARCHAR" and masks else quote_identifier(c)
        for c in kept
    )
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE TABLE {schema}.{table} AS SELECT {select} FROM warehouse.{schema}.{table}")
    counted = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()
    return int(counted[0]) if counted else 0


def _masked(column: str, masks: list[tuple[str, str]]) -> str:
    value = quote_identifier(column)
    for pattern, replacement in masks:
        value = f"regexp_replace({value}, {_literal(pattern)}, {_literal(replacement)}, 'g')"
    return f"{value} AS {quote_identifier(column)}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _current_catalog(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _write_publish_log(con: duckdb.DuckDBPyConnection, report: PublishReport) -> None:
    """One row per served table, so a reader can tell which build it is looking at."""
    con.execute(
        f"CREATE TABLE main.{PUBLISH_LOG_TABLE} "
        "(published_at TIMESTAMP, table_name VARCHAR, row_count BIGINT)"
    )
    con.executemany(
        f"INSERT INTO main.{PUBLISH_LOG_TABLE} VALUES (?, ?, ?)",
        [(report.published_at, name, rows) for name, rows in report.rows.items()],
    )


@contextmanager
def _connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path))
    try:
        yield con
    finally:
        con.close()


def _replace(source: Path, target: Path) -> None:
    os.replace(source, target)
    # The rename is only durable once the folder's entry is on disk.
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
