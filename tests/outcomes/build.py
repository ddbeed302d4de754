"""Builds the outcome marts over a hand-written raw fixture with a real `dbt build`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dbt.raw_tables import build_raw_warehouse
from tests.dbt.test_dbt_build import run_dbt


def build_marts(work_dir: Path, fixtures: Path, selection: str, dbt_vars: dict) -> Path:
    """Loads fixtures/*.csv as the raw feeds, builds `selection` and returns the warehouse."""
    warehouse = work_dir / "warehouse.duckdb"
    build_raw_warehouse(warehouse, {p.stem: p for p in sorted(fixtures.glob("*.csv"))})
    run_dbt(
        warehouse,
        work_dir,
        "build",
        "--select",
        selection,
        # tests that also read models outside the selection (relationships) stay out
        "--indirect-selection",
        "cautious",
        "--vars",
        json.dumps(dbt_vars),
    )
    return warehouse
