"""Shared fixtures: every test gets its own warehouse; the dbt manifest is prepared once."""

from __future__ import annotations

import pytest

from orchestration.defs.dbt_models import prepare_manifest


@pytest.fixture(scope="session", autouse=True)
def _dbt_manifest() -> None:
    prepare_manifest()
