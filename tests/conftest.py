"""Shared fixtures: every test gets its own warehouse; the dbt manifest is prepared once."""

from __future__ import annotations

import os

import pytest

from orchestration.defs.dbt_models import prepare_manifest


@pytest.fixture(scope="session", autouse=True)
def _dbt_manifest() -> None:
    prepare_manifest()


# Column lineage costs about 40 s of CPU per dbt build; test_partitions.py turns it on for the one
# test that asserts it.
os.environ.setdefault("LISTENLOOP_COLUMN_LINEAGE", "0")
