"""The Dagster instance ListenLoop runs against: DAGSTER_HOME, with dagster.yaml rendered into it.

Run, event-log and schedule storage are SQLite files under DAGSTER_HOME unless
LISTENLOOP_DAGSTER_PG_URL, or the DAGSTER_PG_* variables of Dagster's own deployment guides, point
at PostgreSQL. The rendered file names those variables instead of copying their values, so no
password lands on disk; the webserver, the daemon and every run worker read them from their
environment.

`python -m orchestration.instance` renders the file for deployments that start dagster-webserver
and dagster-daemon themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from listenloop.settings import PROJECT_ROOT, Settings

INSTANCE_TEMPLATE = PROJECT_ROOT / "dagster.yaml"

PG_URL_VAR = "LISTENLOOP_DAGSTER_PG_URL"
# dagster-postgres installs psycopg2, and SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3:
# the URL must name the driver.
PG_SCHEME = "postgresql+psycopg2"
# Dagster's postgres_db fields, and the variable that sets each.
PG_PART_VARS = {
    "hostname": "DAGSTER_PG_HOST",
    "port": "DAGSTER_PG_PORT",
    "db_name": "DAGSTER_PG_DB",
    "username": "DAGSTER_PG_USERNAME",
    "password": "DAGSTER_PG_PASSWORD",
}
_REQUIRED_PG_PARTS = ("hostname", "db_name", "username")


def storage_config(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The `storage:` section that puts history in PostgreSQL; None keeps SQLite in DAGSTER_HOME.

    The URL wins over the parts when both are set. Parts without a host, database or user are an
    error rather than a silent fall back to SQLite, which would split the history in two.
    """
    if env.get(PG_URL_VAR):
        scheme, separator, _ = env[PG_URL_VAR].partition("://")
        if (scheme, separator) != (PG_SCHEME, "://"):
            # Name the scheme only: the rest of the URL may carry the password.
            found = f"{scheme}://" if separator else "a value without a scheme"
            raise ValueError(
                f"{PG_URL_VAR} must start with {PG_SCHEME}://, not {found}: dagster-postgres"
                " talks to PostgreSQL through psycopg2"
            )
        return {"postgres": {"postgres_url": {"env": PG_URL_VAR}}}
    parts = {field: var for field, var in PG_PART_VARS.items() if env.get(var)}
    if not parts:
        return None
    missing = [PG_PART_VARS[field] for field in _REQUIRED_PG_PARTS if field not in parts]
    if missing:
        raise ValueError(
            f"{', '.join(parts.values())} set but {', '.join(missing)} missing: set them too, or"
            f" set {PG_URL_VAR} instead, to keep Dagster's history in PostgreSQL"
        )
    postgres_db: dict[str, Any] = {field: {"env": var} for field, var in parts.items()}
    return {"postgres": {"postgres_db": {**postgres_db, "scheme": PG_SCHEME}}}


def render_instance_yaml(env: Mapping[str, str]) -> str:
    template = INSTANCE_TEMPLATE.read_text(encoding="utf-8")
    storage = storage_config(env)
    if storage is None:
        return template
    section = yaml.safe_dump({"storage": storage}, sort_keys=False)
    return f"{template}\n# PostgreSQL, from the environment (orchestration/instance.py).\n{section}"


def prepare_dagster_home(settings: Settings) -> Path:
    """Writes $DAGSTER_HOME/dagster.yaml for the current environment and returns its path."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    # Several processes may render at once (the UI, a `listenloop run`): none may read a torn file.
    staged = target.with_name(f".dagster.yaml.{os.getpid()}")
    staged.write_text(render_instance_yaml(os.environ), encoding="utf-8")
    staged.replace(target)
    return target


def open_instance(settings: Settings) -> dg.DagsterInstance:
    prepare_dagster_home(settings)
    return dg.DagsterInstance.from_config(str(settings.dagster_home))


if __name__ == "__main__":
    print(prepare_dagster_home(Settings.from_env()))
