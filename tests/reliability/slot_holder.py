"""A run that takes the warehouse pool slot and never ends, in its own process, to be killed.

python -m tests.reliability.slot_holder DAGSTER_HOME STARTED_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster as dg

from listenloop.settings import Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.instance import open_instance
from orchestration.orphaned_runs import process_tag


def hold_the_slot(dagster_home: Path, started: Path) -> None:
    @dg.asset(pool=WAREHOUSE_POOL)
    def writes_the_warehouse() -> None:
        started.touch()
        while True:
            time.sleep(1)

    instance = open_instance(Settings.from_env(dagster_home=dagster_home))
    dg.materialize([writes_the_warehouse], instance=instance, tags=process_tag())


if __name__ == "__main__":
    hold_the_slot(Path(sys.argv[1]), Path(sys.argv[2]))
