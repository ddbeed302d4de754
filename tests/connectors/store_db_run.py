"""One store_db load in a process of its own, for the test that kills a load mid-way.

    python -m tests.connectors.store_db_run WAREHOUSE [PAUSE_FEED MARKER]

The settings come from the environment (SOURCES__STORE_DB__*). With PAUSE_FEED, the run stops
once the first batch of that feed has been landed into the load: it writes MARKER and sleeps
until it is killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ingestion.pipeline import make_pipeline
from ingestion.sources import SOURCES
from ingestion.sources.store_db import FEEDS_DELIVERED, store_db_source


def main(argv: list[str]) -> None:
    source = store_db_source(list(FEEDS_DELIVERED))
    if len(argv) > 2:
        feed, marker = argv[2], Path(argv[3])

        def pause(item: Any) -> Any:
            marker.write_text("first batch landed\n")
            time.sleep(600)
            return item

        source.resources[feed].add_map(pause)
    info = make_pipeline(Path(argv[1]), SOURCES["store_db"].pipeline_name).run(source)
    print(info, flush=True)


if __name__ == "__main__":
    main(sys.argv)
