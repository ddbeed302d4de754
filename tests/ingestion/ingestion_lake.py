"""The ingestion tests' lake: write feed files, run the real pipeline, read the warehouse."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dlt.common.pipeline import LoadInfo

from ingestion.feeds_source import feeds_source, make_pipeline


@dataclass
class Lake:
    """A feeds folder and the warehouse it is ingested into."""

    feeds: Path
    warehouse: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.feeds / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def write_parquet(self, relative: str, table: pa.Table) -> Path:
        path = self.feeds / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        path.write_bytes(buffer.getvalue())
        return path

    def ingest(self, feeds: list[str] | None = None) -> LoadInfo:
        return make_pipeline(self.warehouse).run(feeds_source(str(self.feeds), feeds))

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def counts(self, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return fn(con)

    def file_log(self, load_id: str | None = None) -> dict[str, tuple[int, int, int]]:
        """source_file -> (rows_read, rows_loaded, rows_quarantined) as logged."""
        where = "WHERE load_id = ?" if load_id else ""
        rows = self.query(
            "SELECT source_file, rows_read, rows_loaded, rows_quarantined "
            f"FROM raw.ingested_files {where} ORDER BY source_file",
            [load_id] if load_id else None,
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}
