"""The measured stages: ListenLoop's three, then the same three in plain DuckDB, each a process."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Measurement, StageFailed, run_measured
from listenloop.settings import DBT_PROJECT_DIR

PYTHON = sys.executable
DBT = str(Path(sys.executable).with_name("dbt"))
# Both warehouses share the file name: dbt's compiled SQL names the database after the file.
WAREHOUSE_FILE = "warehouse.duckdb"
STAGES = ("ingest", "build", "checks")
DBT_COMMANDS = {
    "build": ["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
    # Unit tests run on fixtures of a fixed size, and plain SQL has no twin for them.
    "checks": ["test", "--exclude", "resource_type:unit_test"],
}


@dataclass(frozen=True)
class RunPaths:
    """Everything one benchmark run writes, under `root`."""

    root: Path

    @property
    def listenloop_warehouse(self) -> Path:
        return self.root / "listenloop" / WAREHOUSE_FILE

    @property
    def baseline_warehouse(self) -> Path:
        return self.root / "baseline" / WAREHOUSE_FILE

    @property
    def baseline_checks(self) -> Path:
        return self.root / "baseline" / "checks.json"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    def manifest(self, stage: str) -> Path:
        """The dbt manifest as `stage` left it (each dbt run keeps only the SQL it compiled)."""
        return self.root / "dbt" / f"manifest-{stage}.json"

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"


@dataclass(frozen=True)
class Timed:
    measurement: Measurement
    command: str  # what ran, for the report


@dataclass(frozen=True)
class RunResult:
    listenloop: dict[str, Timed]  # stage -> measurement
    baseline: dict[str, Timed]
    rows: dict[str, dict[str, int]]  # "listenloop"/"baseline" -> stage -> rows
    checks: dict[str, dict[str, int]]  # "listenloop"/"baseline" -> test counts


def run_full(feeds: Path, paths: RunPaths, as_of_date: str) -> dict[str, Timed]:
    """ListenLoop's full rebuild from empty, in a fresh run folder."""
    shutil.rmtree(paths.root, ignore_errors=True)
    for warehouse in (paths.listenloop_warehouse, paths.baseline_warehouse):
        warehouse.parent.mkdir(parents=True)
    return run_listenloop(feeds, paths, as_of_date)


def run_baseline_and_count(feeds: Path, paths: RunPaths, listenloop: dict[str, Timed]) -> RunResult:
    """The baseline after ListenLoop's full rebuild (it copies the seeds from its warehouse),
    then the rows of both."""
    baseline = run_baseline(feeds, paths)
    return RunResult(
        listenloop=listenloop,
        baseline=baseline,
        rows={
            "listenloop": count_rows(paths.listenloop_warehouse, paths),
            "baseline": count_rows(paths.baseline_warehouse, paths),
        },
        checks={
            "listenloop": dbt_test_outcome(paths.dbt_target / "run_results.json"),
            "baseline": json.loads(paths.baseline_checks.read_text(encoding="utf-8")),
        },
    )


def listenloop_env(paths: RunPaths, as_of_date: str) -> dict[str, str]:
    """The environment of ListenLoop's stages: their warehouse, and the list date dbt builds up
    to, pinned so that a run does not depend on the day it runs."""
    return {
        **os.environ,
        "LISTENLOOP_WAREHOUSE": str(paths.listenloop_warehouse),
        "LISTENLOOP_AS_OF_DATE": as_of_date,
        "DBT_SEND_ANONYMOUS_STATS": "0",
    }


def parse_dbt(
    paths: RunPaths, env: dict[str, str], log_name: str = "dbt-parse", extra: Sequence[str] = ()
) -> Measurement:
    """Parsed ahead and untimed, as `make prepare` does: the timed dbt runs then parse partially
    (given the same vars: other vars make dbt parse the whole project again)."""
    return run_measured([DBT, "parse", *_dbt_args(paths), *extra], paths.log(log_name), env)


def ingest(feeds: Path, paths: RunPaths, env: dict[str, str], log_name: str) -> Timed:
    argv = [PYTHON, "-m", "benchmarks.ingest", str(feeds), str(paths.listenloop_warehouse)]
    return _timed(argv, paths.log(log_name), env)


def run_dbt(
    stage: str, paths: RunPaths, env: dict[str, str], log_name: str, extra: Sequence[str] = ()
) -> Timed:
    """`stage` (build or checks) as its own dbt process; keeps the manifest it left."""
    # dbt test exits with 1 when a test fails: a finding to report, not a broken benchmark.
    ok = (0, 1) if stage == "checks" else (0,)
    argv = [DBT, *DBT_COMMANDS[stage], *_dbt_args(paths), *extra]
    timed = _timed(argv, paths.log(log_name), env, ok)
    shutil.copyfile(paths.dbt_target / "manifest.json", paths.manifest(stage))
    return timed


def _dbt_args(paths: RunPaths) -> list[str]:
    return [
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(paths.dbt_target), "--log-path", str(paths.root / "dbt" / "logs"),
    ]  # fmt: skip


def run_listenloop(feeds: Path, paths: RunPaths, as_of_date: str) -> dict[str, Timed]:
    env = listenloop_env(paths, as_of_date)
    parse_dbt(paths, env)
    timed = {"ingest": ingest(feeds, paths, env, "listenloop-ingest")}
    for stage in DBT_COMMANDS:
        timed[stage] = run_dbt(stage, paths, env, f"listenloop-{stage}")
    return timed


def run_baseline(feeds: Path, paths: RunPaths) -> dict[str, Timed]:
    steps = {
        "ingest": ["load", feeds, paths.baseline_warehouse],
        "build": [
            "models",
            paths.manifest("build"),
            paths.listenloop_warehouse,
            paths.baseline_warehouse,
        ],
        "checks": [
            "checks",
            paths.manifest("checks"),
            paths.baseline_warehouse,
            paths.baseline_checks,
        ],
    }
    return {
        stage: _timed(
            [PYTHON, "-m", "benchmarks.baseline", *map(str, step)],
            paths.log(f"baseline-{stage}"),
        )
        for stage, step in steps.items()
    }


def _timed(
    argv: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    ok_exit_codes: tuple[int, ...] = (0,),
) -> Timed:
    return Timed(run_measured(argv, log, env, ok_exit_codes), shlex.join(argv))


def count_rows(warehouse: Path, paths: RunPaths) -> dict[str, int]:
    argv = [PYTHON, "-m", "benchmarks.counts", str(warehouse)]
    argv += [str(paths.manifest("build")), str(paths.manifest("checks"))]
    counted = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(counted.stdout)


def dbt_test_outcome(run_results: Path) -> dict[str, int]:
    """Tests `dbt test` ran and those that returned rows (failed or warned)."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    errors = [r["unique_id"] for r in results if r["status"] == "error"]
    if errors:
        raise StageFailed(f"dbt test could not run {errors}; see {run_results}")
    returning = sum(r["status"] in ("fail", "warn") for r in results)
    return {"tests": len(results), "tests_returning_rows": returning}
