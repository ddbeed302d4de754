"""Child process of the benchmark: does the nightly warehouse hold what the full rebuild holds?

    python -m benchmarks.compare FULL_WAREHOUSE NIGHTLY_WAREHOUSE BUILD_MANIFEST

Prints a JSON list, one entry per raw feed table and per table the build materializes: both row
counts, and whether the rows are the same. Model tables are compared by a fingerprint of their
rows (the sum of the rows' hashes, so row order does not matter; doubles rounded to
FLOAT_DECIMALS places); raw tables by row count only, since they carry dlt's load ids, which
differ between any two loads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.baseline import connect, sql_literal
from benchmarks.manifest import Manifest
from ingestion.contract import FEEDS, RAW_DATASET

FLOAT_TYPES = ("DOUBLE", "FLOAT")
FLOAT_DECIMALS = 6


def compare(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> list[dict[str, Any]]:
    """`con` has the full rebuild attached as `full_rebuild`, the nightly warehouse as `nightly`."""
    tables = [(RAW_DATASET, feed.name, False) for feed in FEEDS]
    tables += [(node.schema, node.name, True) for node in manifest.table_models()]
    compared = []
    for schema, name, by_content in tables:
        full, nightly = (
            _summary(con, f'{db}."{schema}"."{name}"') for db in ("full_rebuild", "nightly")
        )
        same = full == nightly if by_content else full[0] == nightly[0]
        compared.append(
            {
                "relation": f"{schema}.{name}",
                "full_rows": full[0],
                "nightly_rows": nightly[0],
                "same_rows": same,
            }
        )
    return compared


def _summary(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    columns = con.execute(f"DESCRIBE {relation}").fetchall()
    found = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)"
        f" FROM (SELECT {', '.join(_comparable(name, kind) for name, kind, *_ in columns)}"
        f" FROM {relation}) AS t"
    ).fetchone()
    assert found is not None
    return int(found[0]), int(found[1])


def _comparable(name: str, kind: str) -> str:
    """A column as compared: doubles rounded, since DuckDB sums them in no fixed order and two
    builds of the same data may differ in the last bits (seen at 100,000 customers)."""
    quoted = '"' + name.replace('"', '""') + '"'
    if kind in FLOAT_TYPES:
        return f"round({quoted}, {FLOAT_DECIMALS}) AS {quoted}"
    return quoted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("full", type=Path)
    parser.add_argument("nightly", type=Path)
    parser.add_argument("build_manifest", type=Path)
    args = parser.parse_args(argv)
    # In memory, with the benchmark's DuckDB settings: the two warehouses are only attached.
    with connect(":memory:") as con:
        for alias, path in (("full_rebuild", args.full), ("nightly", args.nightly)):
            con.execute(f"ATTACH {sql_literal(str(path))} AS {alias} (READ_ONLY)")
        print(json.dumps(compare(con, Manifest(args.build_manifest))))


if __name__ == "__main__":
    main()
