"""Loads Shopify feeds into a warehouse in a process of its own, logging at DEBUG.

The Shopify tests run it to kill a load mid-way (SIGKILL) and to read everything a load prints.
Settings come from the environment (SOURCES__SHOPIFY__*), as in production.

    python tests/connectors/shopify_load.py <warehouse.duckdb> customers,orders
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ingestion.pipeline import make_pipeline
from ingestion.sources.shopify import shopify_source


def main() -> None:
    warehouse, feeds = Path(sys.argv[1]), sys.argv[2].split(",")
    logging.basicConfig(level=logging.DEBUG)
    info = make_pipeline(warehouse, "listenloop_shopify").run(shopify_source(feeds))
    info.raise_on_failed_jobs()
    print(info)


if __name__ == "__main__":
    main()
