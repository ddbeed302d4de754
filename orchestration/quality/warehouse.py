"""Read-only access to the DuckDB warehouse for the quality checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd


@contextmanager
def read_only(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that cannot write: a check must never change what it checks."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield con


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    [(found,)] = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found)
