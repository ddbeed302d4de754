"""The whole pipeline over freshly generated feeds: what the known-answer tests compare."""

from __future__ import annotations

from pathlib import Path

from listenloop.generator import generate
from listenloop.settings import Settings
from orchestration.pipeline_run import RunReport, run_pipeline


def run_over_generated_feeds(
    root: Path, customers: int, days: int, seed: int, params_file: Path | None = None
) -> tuple[dict, Settings, RunReport]:
    """Generates feeds under root (with `params_file` over the defaults), runs every asset over
    them and returns (truth, settings, report); the run must succeed."""
    truth = generate(root / "feeds", customers, days, seed, params_file)
    settings = Settings.from_env(
        feeds_dir=str(root / "feeds"),
        warehouse=root / "warehouse.duckdb",
        dagster_home=root / "dagster_home",
        # the call list of the day after the data: today's would be empty, a blocking failure
        as_of_date=truth["generator"]["end_date"],
        first_list_date=truth["generator"]["start_date"],
    )
    report = run_pipeline(settings)
    assert report.ok, report.failed_steps
    return truth, settings, report
