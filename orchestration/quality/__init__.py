"""Data quality beyond dbt's tests: great-expectations suites and feed freshness, as asset checks.

docs/data-quality.md lists every expectation with its severity.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from listenloop.settings import Settings
from orchestration.quality.checks import build_mart_checks, build_raw_feed_checks
from orchestration.quality.freshness import build_freshness_checks, build_freshness_sensor


def build_quality_definitions(
    settings: Settings, dbt_steps: Sequence[dg.AssetsDefinition]
) -> dg.Definitions:
    """The suites of the raw feeds and the marts (one check step after each of `dbt_steps`),
    the freshness checks and the sensor that runs the freshness checks hourly."""
    freshness = build_freshness_checks(settings)
    return dg.Definitions(
        asset_checks=[
            build_raw_feed_checks(settings),
            *build_mart_checks(settings, dbt_steps),
            freshness,
        ],
        sensors=[build_freshness_sensor(freshness)],
    )
