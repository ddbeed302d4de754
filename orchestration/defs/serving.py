"""The `publish` asset: after a build whose blocking checks passed, the serving copy BI reads."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg

from listenloop.serving import (
    CALL_LIST_TABLES,
    MART_SCHEMA,
    SEGMENT_SCHEMA,
    pii_policy,
    publish,
)
from listenloop.serving_postgres import publish_to_postgres
from listenloop.settings import Settings
from orchestration.defs.ownership import CX_TEAM, DATA_TEAM, WAREHOUSE_POOL

if TYPE_CHECKING:  # not part of Dagster's public API
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecord

PUBLISH_KEY = dg.AssetKey(["serving", "publish"])


def served_keys(dbt_steps: list[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """The dbt assets the serving copy holds: every mart and the call-list tables."""
    return sorted(
        key
        for step in dbt_steps
        for key in step.keys
        if key.path[0] == MART_SCHEMA
        or (key.path[0] == SEGMENT_SCHEMA and key.path[-1] in CALL_LIST_TABLES)
    )


def gate_checks(defs: dg.Definitions, served: Sequence[dg.AssetKey]) -> list[dg.AssetCheckKey]:
    """The blocking checks on the served assets and on everything upstream of them."""
    graph = defs.resolve_asset_graph()
    keys: set[dg.AssetKey] = set()
    pending = list(served)
    while pending:
        key = pending.pop()
        if key not in keys and graph.has(key):
            keys.add(key)
            pending.extend(graph.get(key).parent_keys)
    return sorted(
        (
            c
            for c in graph.asset_check_keys
            if c.asset_key in keys and graph.get_check_spec(c).blocking
        ),
        key=lambda c: (c.asset_key.to_user_string(), c.name),
    )


def failing_checks(instance: dg.DagsterInstance, checks: Sequence[dg.AssetCheckKey]) -> list[str]:
    """Those of `checks` whose latest execution, in whichever run, failed with ERROR severity.

    A blocking great-expectations suite whose failed expectations are all warnings reports a
    failure of WARN severity: it did not stop the marts downstream, so it does not stop the
    serving copy either.
    """
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(checks))
    return sorted(
        f"{key.asset_key.to_user_string()} / {key.name}"
        for key, record in latest.items()
        # The status enum is not part of Dagster's public API; its values are.
        if record.status.value == "FAILED" and _severity(record) == dg.AssetCheckSeverity.ERROR
    )


def _severity(record: "AssetCheckExecutionRecord") -> dg.AssetCheckSeverity:
    event = record.event.dagster_event if record.event else None
    evaluation = event.event_specific_data if event else None
    return getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR)


def build_publish_asset(
    settings: Settings, served: Sequence[dg.AssetKey], checks: Sequence[dg.AssetCheckKey]
) -> dg.AssetsDefinition:
    """The publish asset over `served`; it refuses to run while one of `checks` last failed."""
    policy = pii_policy(settings.serving_emails, settings.serving_phones)

    @dg.asset(
        key=PUBLISH_KEY,
        deps=served,
        group_name="serving",
        kinds={"duckdb", "parquet"} | ({"postgres"} if settings.serving_postgres_url else set()),
        owners=[DATA_TEAM, CX_TEAM],
        pool=WAREHOUSE_POOL,
        description=(
            "The serving copy BI tools read: the marts and the call-list tables, written to "
            f"{settings.serving_dir}/serving.duckdb and serving/<table>.parquet and swapped in "
            "atomically; with LISTENLOOP_SERVING_POSTGRES_URL also copied into PostgreSQL in one "
            "transaction. It runs only when the marts' blocking checks passed, so a bad build "
            "never replaces yesterday's marts (docs/bi.md)."
        ),
    )
    def publish_serving_copy(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        failing = failing_checks(context.instance, checks)
        if failing:
            # A run that did not rebuild the marts (an intraday refresh) must not publish what a
            # failed nightly left in the warehouse either: BI keeps the last good copy.
            raise dg.Failure(
                description=(
                    "not publishing: the latest run of these blocking checks failed, so the "
                    f"serving copy keeps the last good build: {', '.join(failing)}"
                )
            )
        report = publish(settings.warehouse, settings.serving_dir, policy)
        metadata: dict[str, object] = {
            "serving_file": dg.MetadataValue.path(str(report.serving_file)),
            "parquet_dir": dg.MetadataValue.path(str(report.parquet_dir)),
            "tables": len(report.rows),
            "rows": dg.MetadataValue.json(report.rows),
            "pii_columns_withheld": dg.MetadataValue.json(report.withheld),
        }
        if settings.serving_postgres_url:
            copied = publish_to_postgres(report.serving_file, settings.serving_postgres_url)
            metadata["postgres_schema"] = copied.schema
            metadata["postgres_tables"] = len(copied.rows)
        context.log.info("published %s tables to %s", len(report.rows), report.serving_file)
        return dg.MaterializeResult(metadata=metadata)

    return publish_serving_copy
