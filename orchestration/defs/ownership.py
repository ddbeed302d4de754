"""Who answers for which part of the graph, and what each group is for."""

DATA_TEAM = "team:data-engineering"
CX_TEAM = "team:cx-analytics"

# Dagster shows these names in the asset graph; the descriptions go in the README and the docs.
GROUP_DESCRIPTIONS: dict[str, str] = {
    "ingestion": "Raw feeds loaded by dlt into the warehouse's raw schema, with quarantine.",
    "staging": "Typed, de-duplicated feeds and the shared intermediate building blocks.",
    "segments": "Who to call today: segment candidates, suppression, holdout and the call list.",
    "outcomes": "Whether the program works and what customers say: the outcome marts.",
}
WAREHOUSE_POOL = "duckdb_warehouse"
