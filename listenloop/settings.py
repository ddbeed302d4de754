"""Every setting, with its environment variable. The README's settings table lists the same."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingestion.sources import assign_sources

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Daily partitions start here unless LISTENLOOP_FIRST_LIST_DATE says otherwise; list dates before
# the first partition are never built by Dagster.
DEFAULT_FIRST_LIST_DATE = "2026-01-01"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class SettingsError(ValueError):
    """A setting's value is refused; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    feeds_dir: str
    warehouse: Path
    timezone: str
    duckdb_memory_limit: str | None
    duckdb_temp_dir: str | None
    dagster_home: Path
    as_of_date: str | None  # the call-list day, YYYY-MM-DD; None means today
    first_list_date: str  # the first daily partition (list and call dates), YYYY-MM-DD
    alert_webhook_url: str | None  # where failure alerts are posted; a secret, never logged
    column_lineage: bool  # dbt assets carry column types and lineage (sqlglot; costs CPU)
    sources: dict[str, str]  # feed -> the source that delivers it ("files" unless configured)
    serving_dir: Path  # serving.duckdb and serving/*.parquet, what BI tools read
    serving_emails: bool  # serve email columns (default no)
    serving_phones: str  # none | call_list (default) | all
    serving_postgres_url: str | None  # also publish into PostgreSQL; a secret, never logged

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        try:
            return cls._from(os.environ, overrides)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    @classmethod
    def _from(cls, env: Mapping[str, str], overrides: Mapping[str, object]) -> Settings:
        values: dict[str, object] = {
            "feeds_dir": env.get("LISTENLOOP_FEEDS_DIR", str(PROJECT_ROOT / "data" / "feeds")),
            "warehouse": Path(
                env.get("LISTENLOOP_WAREHOUSE", str(PROJECT_ROOT / "data" / "warehouse.duckdb"))
            ),
            "timezone": env.get("LISTENLOOP_TIMEZONE", "UTC"),
            "duckdb_memory_limit": env.get("LISTENLOOP_DUCKDB_MEMORY_LIMIT") or None,
            "duckdb_temp_dir": env.get("LISTENLOOP_DUCKDB_TEMP_DIR") or None,
            "dagster_home": Path(env.get("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))),
            "as_of_date": env.get("LISTENLOOP_AS_OF_DATE") or None,
            "first_list_date": env.get("LISTENLOOP_FIRST_LIST_DATE") or DEFAULT_FIRST_LIST_DATE,
            "alert_webhook_url": env.get("LISTENLOOP_ALERT_WEBHOOK_URL") or None,
            "column_lineage": _flag(env, "LISTENLOOP_COLUMN_LINEAGE", default=True),
            "sources": assign_sources(env.get("LISTENLOOP_SOURCES")),
            "serving_dir": env.get("LISTENLOOP_SERVING_DIR") or None,
            "serving_emails": _flag(env, "LISTENLOOP_SERVING_EMAILS", default=False),
            "serving_phones": env.get("LISTENLOOP_SERVING_PHONES") or "call_list",
            "serving_postgres_url": env.get("LISTENLOOP_SERVING_POSTGRES_URL") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["warehouse"] = Path(values["warehouse"]).resolve()  # type: ignore[arg-type]
        # Beside the warehouse unless set: the serving copy lives where the warehouse lives.
        values["serving_dir"] = Path(
            values["serving_dir"] or values["warehouse"].parent  # type: ignore[union-attr]
        ).resolve()
        return cls(**values)  # type: ignore[arg-type]

    def duckdb_config(self) -> dict[str, str]:
        """DuckDB's options for a warehouse connection: the memory limit and spill folder when set.
        The dbt profile applies the same two (config_options in dbt_project/profiles.yml)."""
        return {
            name: value
            for name, value in (
                ("memory_limit", self.duckdb_memory_limit),
                ("temp_directory", self.duckdb_temp_dir),
            )
            if value
        }

    def export_env(self) -> None:
        """Publish these settings to child processes: dbt reads its vars and paths from here."""
        for name, value in (
            ("LISTENLOOP_FEEDS_DIR", self.feeds_dir),
            ("LISTENLOOP_WAREHOUSE", str(self.warehouse)),
            ("LISTENLOOP_TIMEZONE", self.timezone),
            ("DAGSTER_HOME", str(self.dagster_home)),
            ("LISTENLOOP_AS_OF_DATE", self.as_of_date),
            ("LISTENLOOP_DUCKDB_MEMORY_LIMIT", self.duckdb_memory_limit),
            ("LISTENLOOP_DUCKDB_TEMP_DIR", self.duckdb_temp_dir),
        ):
            if value:
                os.environ[name] = value
            else:
                # an unset setting must not inherit an earlier run's value in this process
                os.environ.pop(name, None)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off setting: 1/true/yes/on or 0/false/no/off, any case; unset or empty = default.

    Anything else is refused: a setting that guards PII must not turn on by a typo.
    """
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} is {text!r}; use 1/true/yes/on or 0/false/no/off")
