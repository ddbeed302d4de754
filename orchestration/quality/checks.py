"""The great-expectations suites as Dagster asset checks: one per raw feed, mart and call list.

Each check reads only the columns its suite needs through a read-only DuckDB connection and
reports every expectation in its metadata. It blocks downstream assets when an ERROR expectation
fails; WARN expectations only warn. The suites import great-expectations, which takes seconds,
so they are imported when a check runs, not when the definitions load.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from ingestion.contract import FEEDS, FEEDS_BY_NAME, RAW_DATASET
from listenloop.settings import Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.quality.tables import (
    ASSIGNMENT_RESULTS,
    CALL_LIST,
    CALL_OUTCOMES,
    CART_RECOVERY,
    mart_rate_columns,
)
from orchestration.quality.warehouse import read_only

CHECK_NAME = "great_expectations"
_DOCS = "Expectations and severities: docs/data-quality.md."

if TYPE_CHECKING:
    from orchestration.quality.gx_suite import Suite

    ReadSuite = Callable[[duckdb.DuckDBPyConnection, dg.AssetCheckKey], Suite]


def build_raw_feed_checks(settings: Settings) -> dg.AssetChecksDefinition:
    specs = [
        _spec(
            dg.AssetKey([RAW_DATASET, feed.name]),
            "Row-count band, phone null share, amounts >= 0, no future timestamps, enum sets.",
        )
        for feed in FEEDS
    ]

    def read(con: duckdb.DuckDBPyConnection, check: dg.AssetCheckKey) -> "Suite":
        from orchestration.quality.raw_suite import raw_feed_suite

        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # raw timestamps are naive UTC
        return raw_feed_suite(con, FEEDS_BY_NAME[check.asset_key.path[-1]], now)

    return _suite_checks("raw_feed_expectations", specs, settings, read)


def build_mart_checks(
    settings: Settings, dbt_steps: Sequence[dg.AssetsDefinition]
) -> list[dg.AssetChecksDefinition]:
    """One check step per dbt step, named after it, holding the suites of the tables it
    builds: one step checking tables of several dbt steps would have to run between them, and
    Dagster would split the dbt steps to fit it in."""
    rates = mart_rate_columns()
    extra = {
        CALL_OUTCOMES: "The outbound connect rate of the newest day within 3 sd of its 28 days.",
        CART_RECOVERY: "The daily cart recovery rate within 3 sd of its 28 days.",
        CALL_LIST: "Not empty on a weekday; no duplicate customer; every phone valid E.164.",
    }
    specs = [
        _spec(
            key,
            " ".join(
                ([f"Rates between 0 and 1: {', '.join(rates[key])}."] if key in rates else [])
                + ([extra[key]] if key in extra else [])
            ),
            additional_deps=[ASSIGNMENT_RESULTS] if key == CART_RECOVERY else (),
        )
        for key in sorted(rates.keys() | extra.keys(), key=lambda k: k.to_user_string())
    ]

    def read(con: duckdb.DuckDBPyConnection, check: dg.AssetCheckKey) -> "Suite":
        from orchestration.quality.mart_suite import mart_suite

        return mart_suite(con, check.asset_key, rates.get(check.asset_key, ()), settings)

    by_step = {
        step.node_def.name: [spec for spec in specs if spec.asset_key in step.keys]
        for step in dbt_steps
    }
    return [
        _suite_checks(f"{name}_expectations", step_specs, settings, read)
        for name, step_specs in by_step.items()
        if step_specs
    ]


def _spec(
    key: dg.AssetKey, what: str, additional_deps: Sequence[dg.AssetKey] = ()
) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CHECK_NAME,
        asset=key,
        description=f"great-expectations suite. {what} {_DOCS}",
        additional_deps=additional_deps,
        # Every suite holds an ERROR expectation; a WARN-only failure does not block.
        blocking=True,
    )


def _suite_checks(
    name: str, specs: Sequence[dg.AssetCheckSpec], settings: Settings, read: "ReadSuite"
) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(name=name, specs=specs, can_subset=True, pool=WAREHOUSE_POOL)
    def suites(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        from orchestration.quality.gx_suite import run_suite

        checks = sorted(context.selected_asset_check_keys, key=str)
        # Read every frame first, so the warehouse is released before GX starts validating.
        with read_only(settings.warehouse) as con:
            suites = [(check, *read(con, check)) for check in checks]
        for check, frames, rules in suites:
            yield run_suite(check, frames, rules)

    return suites
