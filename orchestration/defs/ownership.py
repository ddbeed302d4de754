"""Who answers for which part of the graph, what each asset group is for, and the pool that
serialises warehouse writes."""

from collections.abc import Iterable

from ingestion.sources import FILES, SOURCES

DATA_TEAM = "team:data-engineering"
CX_TEAM = "team:cx-analytics"

WAREHOUSE_POOL = "duckdb_warehouse"

# Dagster has no description field for an asset group, so the definitions carry these as
# metadata (the code location's page in the UI) and the README lists them.
ASSET_GROUPS = {
    "ingestion": (
        "The raw feeds, loaded by dlt from the feeds folder into the raw schema; rows that break "
        "the data contract go to raw.quarantine with their reason."
    ),
    "staging": (
        "Typed, deduplicated sources (stg_*), the version history of customers, orders and "
        "checkouts, and the per-call and per-customer building blocks (int_*)."
    ),
    "segments": (
        "The daily call lists: candidates per segment (seg_*), suppression with reasons, the "
        "holdout, call_list_history (partitioned by list date) and today's call_list."
    ),
    "outcomes": (
        "Attribution of calls to list members, and the marts BI tools read: cart recovery, "
        "revenue per conversation, retention and LTV lift, concern themes, the CX scorecard."
    ),
    "serving": (
        "The serving copy BI tools read (serving.duckdb and Parquet), published atomically after "
        "a build whose blocking checks passed, with the PII policy applied."
    ),
}


def group_descriptions(sources_in_use: Iterable[str]) -> dict[str, str]:
    """ASSET_GROUPS plus one group per connector in use (files stay the `ingestion` group)."""
    connectors = {
        SOURCES[name].group: f"Raw feeds loaded by dlt from {name}: {SOURCES[name].description}"
        for name in sources_in_use
        if name != FILES
    }
    return {**ASSET_GROUPS, **connectors}
