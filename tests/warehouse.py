"""Reading a test's DuckDB warehouse: read-only, so a test never holds the writer's lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def records(warehouse: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """The rows as dicts keyed by column name."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
