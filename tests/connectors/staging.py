"""What a connector test ends with: the staging models built over what it loaded, counted.

Only the raw tables the connector loaded hold rows; the others are created empty, as a first
files run would, so every staging model builds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.contract import FEEDS, RAW_DATASET
from tests.dbt.raw_tables import raw_table_ddl
from tests.dbt.test_dbt_build import run_dbt

# The staging model each feed lands in (customers also feed stg_store__customer_versions).
STAGING_MODEL = {
    "customers": "stg_store__customer_versions",
    "orders": "stg_store__orders",
    "order_lines": "stg_store__order_lines",
    "refunds": "stg_store__refunds",
    "checkouts": "stg_store__checkouts",
    "calls": "stg_telephony__calls",
    "surveys": "stg_feedback__surveys",
}


def staging_counts(warehouse: Path, work_dir: Path) -> dict[str, int]:
    """Builds every staging model over `warehouse`; returns each feed's staging row count."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema if not exists {RAW_DATASET}")
        existing = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [RAW_DATASET],
            ).fetchall()
        }
        for feed in FEEDS:
            if feed.name not in existing:
                con.execute(raw_table_ddl(feed.name))
    # The staging models join seeds (country calling codes, concern tags), so those come first.
    run_dbt(warehouse, work_dir, "seed")
    run_dbt(warehouse, work_dir, "run", "--select", "staging")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            feed: con.execute(f"select count(*) from staging.{model}").fetchone()[0]
            for feed, model in STAGING_MODEL.items()
        }


def assert_only_calls_staged(warehouse: Path, work_dir: Path, calls: int) -> None:
    """Builds the staging models (`staging_counts`): `calls` calls staged, no other feed's rows.

    What a telephony connector's test ends with: it loads the calls feed alone.
    """
    counts = staging_counts(warehouse, work_dir)
    assert counts["calls"] == calls
    assert {feed: n for feed, n in counts.items() if feed != "calls"} == dict.fromkeys(
        ("customers", "orders", "order_lines", "refunds", "checkouts", "surveys"), 0
    )
