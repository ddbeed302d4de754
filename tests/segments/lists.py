"""The hand-written call-list fixture (fixtures/*.csv) and its dates; see test_call_lists."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.dbt.raw_tables import build_raw_warehouse
from tests.dbt.test_dbt_build import run_dbt

FIXTURES = Path(__file__).parent / "fixtures"
MAR9, MAR10, MAR11, MAR12 = (date(2026, 3, day) for day in (9, 10, 11, 12))


def dbt_vars(as_of: date, **extra: object) -> tuple[str, str]:
    return "--vars", json.dumps({"as_of_date": as_of.isoformat(), **extra})


def raw_fixture_warehouse(warehouse: Path) -> Path:
    """A new warehouse at `warehouse` holding the fixture's raw tables, nothing built yet."""
    build_raw_warehouse(warehouse, {p.stem: p for p in sorted(FIXTURES.glob("*.csv"))})
    return warehouse


def build_fixture_lists(work_dir: Path) -> Path:
    """The fixture's raw tables in a new warehouse under work_dir, built for as-of 2026-03-11."""
    warehouse = raw_fixture_warehouse(work_dir / "warehouse.duckdb")
    run_dbt(warehouse, work_dir, "build", *dbt_vars(MAR11))
    return warehouse
