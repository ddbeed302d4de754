"""Child process of the benchmark: the rows each stage handled, counted once it is done (untimed).

Usage: python -m benchmarks.counts WAREHOUSE BUILD_MANIFEST TEST_MANIFEST; prints a JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from benchmarks.manifest import Manifest, Node
from ingestion.contract import FEEDS, RAW_DATASET

ROWS_COUNTED = {
    "ingest": "rows in the raw feed tables raw.<feed> (valid, deduplicated)",
    "build": "rows in every model materialized as a table (incremental too); not views, seeds",
    "checks": "rows of the relations each data test reads, summed over the tests",
}


class RowCounter:
    """count(*) of relations, each counted once however often it is asked for."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._counts: dict[str, int] = {}

    def rows(self, relation: str) -> int:
        if relation not in self._counts:
            found = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()
            self._counts[relation] = found[0] if found else 0
        return self._counts[relation]

    def total(self, nodes: list[Node]) -> int:
        return sum(self.rows(node.relation) for node in nodes)


def stage_rows(con: duckdb.DuckDBPyConnection, build: Manifest, test: Manifest) -> dict[str, int]:
    counter = RowCounter(con)
    return {
        "ingest": sum(counter.rows(f"{RAW_DATASET}.{feed.name}") for feed in FEEDS),
        "build": counter.total(build.table_models()),
        "checks": sum(counter.total(test.relations_read_by(t)) for t in test.data_tests()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("build_manifest", type=Path)
    parser.add_argument("test_manifest", type=Path)
    args = parser.parse_args(argv)
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        rows = stage_rows(con, Manifest(args.build_manifest), Manifest(args.test_manifest))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
