"""The raw feeds as Dagster assets: one asset per feed, keyed raw/<feed> like the dbt sources."""

from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.contract import FEEDS_BY_NAME, RAW_DATASET, RAW_SQL_TYPES, Feed
from ingestion.feeds_source import feed_counts, feeds_source, make_pipeline
from listenloop.settings import Settings
from orchestration.defs.ownership import DATA_TEAM, WAREHOUSE_POOL


class FeedTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        feed = FEEDS_BY_NAME[data.resource.name]
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey([RAW_DATASET, feed.name]),
            # The files on disk are not assets of their own, so the raw tables start the graph.
            deps=[],
            group_name="ingestion",
            description=f"{feed.description} Loaded from `<feeds>/{feed.name}/`.",
            owners=[DATA_TEAM],
            kinds={"dlt", "duckdb"},
            metadata={**spec.metadata, "dagster/column_schema": column_schema(feed)},
        )


def column_schema(feed: Feed) -> dg.TableSchema:
    """The raw table's columns as the contract declares them (the UI's Columns tab)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=RAW_SQL_TYPES[column.kind],
                description=column.description or None,
                constraints=dg.TableColumnConstraints(nullable=not column.required),
            )
            for column in feed.columns
        ]
    )


def build_feed_assets(settings: Settings) -> dg.AssetsDefinition:
    @dlt_assets(
        dlt_source=feeds_source(settings.feeds_dir),
        dlt_pipeline=make_pipeline(settings.warehouse),
        name="raw_feeds",
        dagster_dlt_translator=FeedTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def raw_feeds(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator:
        results = list(dlt.run(context=context))
        # Read the counts only after dlt has released the file: DuckDB allows one writer.
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            for result in results:
                counts = feed_counts(con, result.asset_key.path[-1])
                counts["extra_columns"] = ", ".join(counts["extra_columns"]) or "none"
                counts["quarantined_by_field"] = dg.MetadataValue.json(
                    counts["quarantined_by_field"]
                )
                yield dg.MaterializeResult(
                    asset_key=result.asset_key, metadata={**(result.metadata or {}), **counts}
                )

    return raw_feeds
