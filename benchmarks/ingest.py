"""Child process of the benchmark: ListenLoop's ingestion, the dlt pipeline, over a feeds folder.

Usage: python -m benchmarks.ingest FEEDS_DIR WAREHOUSE (the warehouse is expected not to exist).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ingestion.feeds_source import feeds_source, make_pipeline
from listenloop.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("feeds", help="feeds folder")
    parser.add_argument("warehouse", type=Path, help="DuckDB file to load")
    args = parser.parse_args(argv)
    pipeline = make_pipeline(args.warehouse, duckdb_config=Settings.from_env().duckdb_config())
    print(pipeline.run(feeds_source(args.feeds)))


if __name__ == "__main__":
    main()
