"""The raw feeds as Dagster assets: one dlt asset definition per source in use, one asset per
feed, keyed raw/<feed> like the dbt sources whatever the source, so lineage downstream is the
same whichever system delivers a feed."""

from collections.abc import Iterator

import dagster as dg
import dlt as dlt_lib
import duckdb
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.contract import FEEDS_BY_NAME, RAW_DATASET, RAW_SQL_TYPES, Feed
from ingestion.pipeline import feed_counts, make_pipeline
from ingestion.sources import FILES, SOURCES, SourceSpec, feeds_by_source
from listenloop.settings import Settings
from orchestration.defs.ownership import DATA_TEAM, WAREHOUSE_POOL


class FeedTranslator(DagsterDltTranslator):
    def __init__(self, source: SourceSpec) -> None:
        super().__init__()
        self.source = source

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        feed = FEEDS_BY_NAME[data.resource.name]
        spec = super().get_asset_spec(data)
        origin = (
            f"Loaded from `<feeds>/{feed.name}/`."
            if self.source.name == FILES
            else f"Loaded from {self.source.name}: {self.source.description}"
        )
        return spec.replace_attributes(
            key=dg.AssetKey([RAW_DATASET, feed.name]),
            # The source system is not an asset of its own, so the raw tables start the graph.
            deps=[],
            group_name=self.source.group,
            description=f"{feed.description} {origin}",
            owners=[DATA_TEAM],
            kinds={"dlt", "duckdb"} | ({self.source.name} if self.source.name != FILES else set()),
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


def build_feed_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """One asset definition per source that delivers at least one feed."""
    return [
        _source_assets(settings, SOURCES[name], feeds)
        for name, feeds in feeds_by_source(settings.sources).items()
    ]


def _source_assets(
    settings: Settings, source: SourceSpec, feeds: tuple[str, ...]
) -> dg.AssetsDefinition:
    pipeline = make_pipeline(settings.warehouse, source.pipeline_name)

    @dlt_assets(
        dlt_source=source.build(feeds, settings.feeds_dir),
        dlt_pipeline=pipeline,
        name="raw_feeds" if source.name == FILES else f"raw_{source.name}",
        dagster_dlt_translator=FeedTranslator(source),
        pool=WAREHOUSE_POOL,
    )
    def raw_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator:
        results = list(dlt.run(context=context))
        # A file is read once, so the files source reports each file as last read. An API or a
        # database delivers new pages every run: those report this run's load only.
        load_id = None if source.name == FILES else _last_load_id(pipeline)
        # Read the counts only after dlt has released the file: DuckDB allows one writer.
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            for result in results:
                counts = feed_counts(con, result.asset_key.path[-1], load_id)
                counts["extra_columns"] = ", ".join(counts["extra_columns"]) or "none"
                counts["quarantined_by_field"] = dg.MetadataValue.json(
                    counts["quarantined_by_field"]
                )
                yield dg.MaterializeResult(
                    asset_key=result.asset_key, metadata={**(result.metadata or {}), **counts}
                )

    return raw_assets


def _last_load_id(pipeline: dlt_lib.Pipeline) -> str:
    """This run's load id; a run that found nothing new has none, and so reports zero rows."""
    trace = pipeline.last_trace
    load_info = trace.last_load_info if trace else None
    return load_info.loads_ids[-1] if load_info and load_info.loads_ids else "(no load)"
