"""Who answers for which part of the graph, and the pool that serialises warehouse writes."""

DATA_TEAM = "team:data-engineering"
CX_TEAM = "team:cx-analytics"

WAREHOUSE_POOL = "duckdb_warehouse"
