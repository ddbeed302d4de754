"""Every ingestion test gets its own feeds folder and warehouse under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingestion_lake import Lake


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(feeds=tmp_path / "feeds", warehouse=tmp_path / "wh" / "warehouse.duckdb")
