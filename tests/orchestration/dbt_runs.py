"""Dagster runs of the dbt assets over the hand-written call-list fixture (tests/segments)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from listenloop.settings import Settings
from orchestration.defs.dbt_models import build_dbt_assets, dbt_resource, prepare_manifest
from tests.segments.lists import MAR11, raw_fixture_warehouse

HISTORY = dg.AssetKey(["segments", "call_list_history"])


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    warehouse = raw_fixture_warehouse(tmp_path / "warehouse.duckdb")
    # dbt reads these from the environment; monkeypatch puts them back afterwards
    for name, value in {
        "LISTENLOOP_WAREHOUSE": str(warehouse),
        "LISTENLOOP_AS_OF_DATE": MAR11.isoformat(),
        "LISTENLOOP_TIMEZONE": "UTC",
    }.items():
        monkeypatch.setenv(name, value)
    prepare_manifest()
    return Settings.from_env(first_list_date="2026-03-01")


@pytest.fixture(name="instance")
def fixture_instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        yield instance


def build(
    settings: Settings, instance: dg.DagsterInstance, tags: dict[str, str]
) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        build_dbt_assets(settings),
        instance=instance,
        resources={"dbt": dbt_resource()},
        tags=tags,
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result
