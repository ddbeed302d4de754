"""Materializes the raw feed assets, the dlt writer of the warehouse, into a Dagster instance.

The instance tests import it; the concurrent-writers test runs it as a script, one process per
writer, as two schedules (or a schedule and an operator) would run: settings come from the
environment, and the instance from DAGSTER_HOME.
"""

from __future__ import annotations

import sys

import dagster as dg
from dagster_dlt import DagsterDltResource

from listenloop.settings import Settings
from orchestration.defs.feeds import build_feed_assets
from orchestration.instance import open_instance


def materialize_feeds(
    settings: Settings, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    # The feed assets alone, without the checks other modules attach to them: this is about writes.
    return dg.materialize(
        build_feed_assets(settings),
        instance=instance,
        resources={"dlt": DagsterDltResource()},
        raise_on_error=False,
    )


if __name__ == "__main__":
    settings = Settings.from_env()
    with open_instance(settings) as instance:
        sys.exit(0 if materialize_feeds(settings, instance).success else 1)
