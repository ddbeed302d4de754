"""The Dagster instance ListenLoop runs against: DAGSTER_HOME, set up from dagster.yaml."""

from __future__ import annotations

import shutil

import dagster as dg

from listenloop.settings import PROJECT_ROOT, Settings


def prepare_dagster_home(settings: Settings) -> None:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    # Copied, not linked, so that a DAGSTER_HOME outside the checkout still works.
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")


def open_instance(settings: Settings) -> dg.DagsterInstance:
    prepare_dagster_home(settings)
    return dg.DagsterInstance.from_config(str(settings.dagster_home))
