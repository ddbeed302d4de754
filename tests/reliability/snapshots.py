"""A warehouse's content as comparable values: every raw feed table, mart and segment table.

Rows are sorted, so two builds compare equal whatever order they wrote rows in. Left out are
the columns that say how a row arrived rather than what it says: dlt's load bookkeeping
(`_dlt_load_id`, `_dlt_id`, new on every load) and `_source_file`, the delivery that last
carried the row, which a re-delivery under another name rightly re-points. `_source_row` stays:
a re-delivered copy carries each row at the same place.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.contract import FEEDS, RAW_DATASET, SOURCE_FILE_COLUMN
from orchestration.pipeline_run import MART_SCHEMA, SEGMENT_SCHEMA

Snapshot = dict[str, list[tuple]]


def warehouse_snapshot(warehouse: Path) -> Snapshot:
    """schema.table -> its rows (lineage-free columns), sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in (?, ?) order by all",
            [MART_SCHEMA, SEGMENT_SCHEMA],
        ).fetchall()
        tables += [(RAW_DATASET, feed.name) for feed in FEEDS]
        return {f"{schema}.{table}": _rows(con, schema, table) for schema, table in tables}


def _rows(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple]:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if not name.startswith("_dlt_") and name != SOURCE_FILE_COLUMN
    ]
    selected = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f'select {selected} from "{schema}"."{table}"').fetchall()
    # repr orders rows holding None, numbers and text alike
    return sorted(rows, key=repr)
