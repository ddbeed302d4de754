"""The raw feeds as Dagster assets: one dlt asset definition per source in use, one asset per
feed, keyed raw/<feed> like the dbt sources whatever the source, so lineage downstream is the
same whichever system delivers a feed."""

import json
import warnings
from collections.abc import Iterator, Sequence

import dagster as dg
import dlt as dlt_lib
import duckdb
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.contract import FEEDS_BY_NAME, FILE_LOG_TABLE, RAW_DATASET, RAW_SQL_TYPES, Feed
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
    pipeline = make_pipeline(settings.warehouse, source.pipeline_name, settings.duckdb_config())

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
                feed = FEEDS_BY_NAME[result.asset_key.path[-1]]
                counts = feed_counts(con, feed.name, load_id)
                counts["extra_columns"] = ", ".join(counts["extra_columns"]) or "none"
                for name in ("quarantined_by_field", "refused_files"):
                    counts[name] = dg.MetadataValue.json(counts[name])
                schema, schema_load_id = delivered_schema(con, feed)
                yield dg.MaterializeResult(
                    asset_key=result.asset_key,
                    metadata={
                        **(result.metadata or {}),
                        **counts,
                        # Replaces dlt's schema of the raw table, which only ever grows.
                        "dagster/column_schema": schema,
                        "column_schema_load_id": schema_load_id or "(no delivery yet)",
                    },
                )

    return raw_assets


def delivered_schema(
    con: duckdb.DuckDBPyConnection, feed: Feed
) -> tuple[dg.TableSchema, str | None]:
    """The columns the latest load that read the feed delivered, typed as delivered, and its id.

    Deliveries of that load that disagree give a column every type seen ('int64 | string').
    A load that read nothing of the feed reports the load before it, so the column-schema-change
    check compares delivery with delivery and never warns of columns "removed" by an idle run;
    before the first delivery the schema is empty. Refused files deliver no columns.
    """
    if not _has_delivered_schema(con):
        return dg.TableSchema(columns=[]), None
    rows = con.execute(
        f"""
        SELECT load_id, delivered_schema FROM {RAW_DATASET}.{FILE_LOG_TABLE}
        WHERE feed = ? AND delivered_schema IS NOT NULL
        QUALIFY load_id = max(load_id) OVER ()
        ORDER BY source_file""",
        [feed.name],
    ).fetchall()
    types: dict[str, dict[str, None]] = {}
    for _, delivered in rows:
        for name, kinds in json.loads(delivered).items():
            types.setdefault(name, {}).update(dict.fromkeys(kinds.split(" | ")))
    columns = [
        dg.TableColumn(
            name=name,
            type=" | ".join(sorted(kinds)),
            description=(
                f"lands in raw as {RAW_SQL_TYPES[feed.column(name).kind]}"
                if name in feed.column_names
                else "not in the contract: lands in raw as VARCHAR"
            ),
        )
        for name, kinds in types.items()
    ]
    return dg.TableSchema(columns=columns), rows[0][0] if rows else None


def _has_delivered_schema(con: duckdb.DuckDBPyConnection) -> bool:
    # ingested_files gains the column with the first load that logs a delivery.
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ? AND column_name = 'delivered_schema'",
        [RAW_DATASET, FILE_LOG_TABLE],
    ).fetchone()
    return bool(found and found[0])


def build_schema_change_checks(
    feed_assets: Sequence[dg.AssetsDefinition],
) -> Sequence[dg.AssetChecksDefinition]:
    """One column-schema-change check per raw asset: a warning, never blocking, when a delivery's
    columns or their delivered types differ from the delivery before (docs/data-contract.md)."""
    # Beta in dagster 1.13; the warning would repeat in every process that loads the definitions.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.build_column_schema_change_checks(
            assets=feed_assets, severity=dg.AssetCheckSeverity.WARN
        )


def _last_load_id(pipeline: dlt_lib.Pipeline) -> str:
    """This run's load id; a run that found nothing new has none, and so reports zero rows."""
    trace = pipeline.last_trace
    load_info = trace.last_load_info if trace else None
    return load_info.loads_ids[-1] if load_info and load_info.loads_ids else "(no load)"
