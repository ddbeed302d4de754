"""The nightly path: what the nightly run costs once one new day of data has arrived.

Setup (measured, but not part of the ratio): every feed file but the last day's is delivered to
a folder of the run's own, ingested and built with that day as the list date, as the previous
night left the warehouse. Then the last day's files arrive and the nightly run is timed, each
stage its own process: ingest (dlt reads only the new files), dbt build and dbt test, with the
list date of the next day and the vars the nightly schedule passes (orchestration.defs.schedules:
one run over the daily partitions of the last NIGHTLY_DAYS days). One dbt invocation with those
vars does what the run's three dbt steps do, as only the models tagged `daily` read them.
Finally every table is compared with the full rebuild's: the ratio only means something if the
nightly run arrives at the same warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.measure import Measurement
from benchmarks.stages import (
    DBT_COMMANDS,
    PYTHON,
    RunPaths,
    Timed,
    dbt_test_outcome,
    ingest,
    listenloop_env,
    parse_dbt,
    run_dbt,
)
from ingestion.contract import FEEDS
from listenloop.settings import Settings

# orchestration.defs.schedules.NIGHTLY_DAYS (a test keeps them equal): importing it would load
# Dagster into this process, whose memory each stage's peak would then count.
NIGHTLY_DAYS = 7


@dataclass(frozen=True)
class NightlyResult:
    new_day: date  # the day whose files the nightly run receives
    as_of_date: date  # the list date the nightly run builds up to
    dbt_vars: dict[str, object]
    files: dict[str, int]  # "before": delivered by the setup, "new": by the night
    parse: Measurement  # untimed dbt parse with the nightly vars, as for the full rebuild
    setup: dict[str, Timed]
    nightly: dict[str, Timed]
    checks: dict[str, int]
    tables: list[dict[str, Any]]  # benchmarks.compare's entries


def nightly_vars(as_of_date: date) -> dict[str, object]:
    """The dbt vars of the nightly schedule's run on `as_of_date` (see dbt_run_vars)."""
    first_list_date = date.fromisoformat(Settings.from_env().first_list_date)
    start = max(as_of_date - timedelta(days=NIGHTLY_DAYS - 1), first_list_date)
    return {
        "partition_start_date": start.isoformat(),
        "partition_end_date": as_of_date.isoformat(),
        "rebuild_partitions": False,
    }


def split_last_day(feeds: Path, new_day: date) -> tuple[list[Path], list[Path]]:
    """The feed files (relative to `feeds`) of the days before `new_day`, and those of `new_day`:
    the generator writes one file per feed and day, named by its date."""
    before: list[Path] = []
    new: list[Path] = []
    for feed in FEEDS:
        for path in sorted(p for p in (feeds / feed.name).rglob("*") if p.is_file()):
            (new if path.stem == new_day.isoformat() else before).append(path.relative_to(feeds))
    if not new:
        raise ValueError(f"{feeds} has no file of {new_day}, the last day of its data")
    return before, new


def deliver(feeds: Path, delivered: Path, files: list[Path]) -> None:
    """Puts `files` into `delivered` as the same files (same size and modification time, which
    is what ingestion compares), hard-linked when the file system allows it."""
    for relative in files:
        target = delivered / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(feeds / relative, target)
        except OSError:
            shutil.copy2(feeds / relative, target)


def run_nightly(feeds: Path, full: RunPaths, as_of_date: date) -> NightlyResult:
    """The nightly path beside the full rebuild of `full`, over the same `feeds`."""
    paths = RunPaths(full.root / "nightly")
    delivered = paths.root / "feeds"
    new_day = as_of_date - timedelta(days=1)
    before, new = split_last_day(feeds, new_day)
    paths.listenloop_warehouse.parent.mkdir(parents=True)
    deliver(feeds, delivered, before)
    env = listenloop_env(paths, new_day.isoformat())
    parse_dbt(paths, env, "setup-dbt-parse")
    setup = {
        "ingest": ingest(delivered, paths, env, "setup-ingest"),
        "build": run_dbt("build", paths, env, "setup-build"),
    }

    deliver(feeds, delivered, new)
    env = listenloop_env(paths, as_of_date.isoformat())
    dbt_vars = nightly_vars(as_of_date)
    vars_args = ["--vars", json.dumps(dbt_vars)]
    parse = parse_dbt(paths, env, "nightly-dbt-parse", vars_args)
    nightly = {"ingest": ingest(delivered, paths, env, "nightly-ingest")}
    for stage in DBT_COMMANDS:
        nightly[stage] = run_dbt(stage, paths, env, f"nightly-{stage}", vars_args)
    return NightlyResult(
        new_day=new_day,
        as_of_date=as_of_date,
        dbt_vars=dbt_vars,
        files={"before": len(before), "new": len(new)},
        parse=parse,
        setup=setup,
        nightly=nightly,
        checks=dbt_test_outcome(paths.dbt_target / "run_results.json"),
        tables=_compare(full, paths),
    )


def _compare(full: RunPaths, nightly: RunPaths) -> list[dict[str, Any]]:
    argv = [PYTHON, "-m", "benchmarks.compare", str(full.listenloop_warehouse)]
    argv += [str(nightly.listenloop_warehouse), str(nightly.manifest("build"))]
    compared = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(compared.stdout)
