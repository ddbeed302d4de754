"""Builds the raw warehouse layout that ingestion writes, so dbt can be tested without ingestion.

Tables follow ingestion/contract.py exactly: one table per feed in schema `raw`, the contract's
columns typed per RAW_SQL_TYPES, plus `_source_file` and `_source_row`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import duckdb

from ingestion.contract import (
    FEEDS,
    FEEDS_BY_NAME,
    RAW_DATASET,
    RAW_SQL_TYPES,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
)

QUARANTINE_DDL = f"""
create table {RAW_DATASET}.quarantine (
    feed varchar, source_file varchar, source_row bigint, field varchar, reason varchar,
    raw_record varchar
)"""
FILE_LOG_DDL = f"""
create table {RAW_DATASET}.ingested_files (
    feed varchar, source_file varchar, size_bytes bigint, modified_at timestamp,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint, extra_columns varchar
)"""


def raw_table_ddl(feed_name: str) -> str:
    """CREATE TABLE for one feed's raw table, as ingestion lays it out."""
    feed = FEEDS_BY_NAME[feed_name]
    columns = [f"{c.name} {RAW_SQL_TYPES[c.kind]}" for c in feed.columns]
    columns += [f"{SOURCE_FILE_COLUMN} VARCHAR", f"{SOURCE_ROW_COLUMN} BIGINT"]
    return f"create table {RAW_DATASET}.{feed.name} ({', '.join(columns)})"


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Creates the empty raw schema: every feed table plus quarantine and ingested_files."""
    con.execute(f"create schema if not exists {RAW_DATASET}")
    for feed in FEEDS:
        con.execute(raw_table_ddl(feed.name))
    con.execute(QUARANTINE_DDL)
    con.execute(FILE_LOG_DDL)


def load_csv_fixture(con: duckdb.DuckDBPyConnection, feed_name: str, csv_path: Path) -> int:
    """Inserts a CSV fixture into raw.<feed>; empty cells are nulls. Returns rows inserted.

    The CSV may hold any subset of the feed's columns plus the lineage columns; DuckDB casts
    each value to the raw column's type, so a bad fixture fails loudly.
    """
    with csv_path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    known = {*FEEDS_BY_NAME[feed_name].column_names, SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN}
    unknown = sorted(set(header) - known)
    if unknown:
        raise ValueError(f"{csv_path}: columns not in the {feed_name} contract: {unknown}")
    columns = ", ".join(header)
    before = _count(con, feed_name)
    con.execute(
        f"insert into {RAW_DATASET}.{feed_name} ({columns}) "
        f"select {columns} from read_csv(?, header = true, all_varchar = true)",
        [str(csv_path)],
    )
    return _count(con, feed_name) - before


def build_raw_warehouse(path: Path, fixtures: Mapping[str, Path]) -> None:
    """Creates a DuckDB file at `path` with the raw schema and the given feed fixtures loaded."""
    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
        for feed_name, csv_path in fixtures.items():
            load_csv_fixture(con, feed_name, csv_path)


def _count(con: duckdb.DuckDBPyConnection, feed_name: str) -> int:
    row = con.execute(f"select count(*) from {RAW_DATASET}.{feed_name}").fetchone()
    assert row is not None
    return int(row[0])
