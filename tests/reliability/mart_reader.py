"""A BI reader in its own process: opens the serving copy afresh and counts every served table in
one connection, then every Parquet file, in a loop until killed.

    python -m tests.reliability.mart_reader SERVING_DIR OUT_FILE

Each line appended to OUT_FILE is one read: {"tables": {table: rows}, "parquet": {file: rows}},
or {"error": ...} when the read failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from listenloop.serving import serving_paths
from tests.serving.reader_loop import read_forever

SERVED = """
select table_schema || '.' || table_name from information_schema.tables
where table_schema <> 'main' order by 1
"""


def read_once(serving_dir: Path) -> dict:
    serving_file, parquet_dir = serving_paths(serving_dir)
    with duckdb.connect(str(serving_file), read_only=True) as con:
        tables = [name for (name,) in con.execute(SERVED).fetchall()]
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    parquet = {p.name: pq.read_metadata(p).num_rows for p in sorted(parquet_dir.glob("*.parquet"))}
    return {"tables": counts, "parquet": parquet}


if __name__ == "__main__":
    errors = (duckdb.Error, pa.ArrowException, OSError)
    read_forever(lambda: read_once(Path(sys.argv[1])), sys.argv[2], errors)
