"""`listenloop run` killed with SIGKILL at ten points across ingestion, dbt and publish.

Each trial starts a run on an empty warehouse, waits for its moment (a dlt stage's folder, a dbt
step's start, the serving copy's staging file), waits a random moment more and kills the run's
whole process group, dbt included, as the OOM killer or a container stop would. The next run
must then complete, and leave the warehouse equal to a clean run's over the same input: no
duplicate, no missing row, no stuck state (no run left "started", no pool slot held, no dlt run
marker, no staging file of the serving copy). All trials share one Dagster home, so a killed
run's leftovers would stall the next trial's runs.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.pipeline import RUNNING_MARKER
from listenloop.serving import serving_paths
from listenloop.settings import PROJECT_ROOT, Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.instance import open_instance
from tests.reliability.runs import (
    generate_feeds,
    listenloop_command,
    listenloop_env,
    run_listenloop,
    warehouse_path,
)
from tests.reliability.snapshots import Snapshot, warehouse_snapshot

CUSTOMERS, DAYS, SEED = 200, 10, 23
_POLL_SECONDS = 0.01
_TRIGGER_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Moment:
    """When to kill: once `glob` (under the run's root) matches a file, or the run has started
    `step`, after up to `jitter` seconds more."""

    name: str
    phase: str  # the step the kill must land in
    jitter: float
    glob: str | None = None
    step: str | None = None


_DLT = ".dlt_pipelines/listenloop_feeds"
MOMENTS = [
    Moment("dlt extracting the files", "raw_feeds", 0.3, glob=f"{_DLT}/{RUNNING_MARKER}"),
    Moment("dlt normalizing", "raw_feeds", 0.05, glob=f"{_DLT}/normalize/extracted/*"),
    Moment("dlt loading", "raw_feeds", 0.05, glob=f"{_DLT}/load/normalized/*"),
    Moment("dlt load just committed", "raw_feeds", 0.0, glob=f"{_DLT}/load/loaded/*"),
    Moment(
        "dbt, seeds and first models", "listenloop_dbt_models", 1.0, step="listenloop_dbt_models"
    ),
    Moment("dbt, models", "listenloop_dbt_models", 6.0, step="listenloop_dbt_models"),
    Moment("dbt, daily models", "listenloop_dbt_daily", 2.0, step="listenloop_dbt_daily"),
    Moment("dbt, marts", "listenloop_dbt_after_daily", 3.0, step="listenloop_dbt_after_daily"),
    Moment(
        "publish, DuckDB copy staged", "serving__publish", 0.02, glob=".serving.duckdb.*.building"
    ),
    Moment("publish, Parquet staged", "serving__publish", 0.0, glob="serving/.*.building"),
]


def _steps(instance: dg.DagsterInstance, run_id: str) -> tuple[set[str], set[str]]:
    """Steps started and steps finished in the run."""
    started, finished = set(), set()
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started.add(event.step_key)
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
        ):
            finished.add(event.step_key)
    return started, finished


def _reached(moment: Moment, root: Path, instance: dg.DagsterInstance, run_id: str | None) -> bool:
    if moment.glob is not None:
        return any(root.glob(moment.glob))
    return run_id is not None and moment.step in _steps(instance, run_id)[0]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Snapshot]:
    """Feeds, the as-of date and the warehouse of a clean run over them."""
    root = tmp_path_factory.mktemp("kill-resume")
    truth = generate_feeds(root, CUSTOMERS, DAYS, SEED)
    as_of = truth["generator"]["end_date"]
    clean = run_listenloop(root / "feeds", root / "clean", as_of)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    return root / "feeds", as_of, warehouse_snapshot(warehouse_path(root / "clean"))


@pytest.mark.parametrize("trial", range(len(MOMENTS)), ids=[m.name for m in MOMENTS])
def test_a_run_killed_at_any_point_is_completed_by_the_next(
    program: tuple[Path, str, Snapshot], tmp_path_factory: pytest.TempPathFactory, trial: int
) -> None:
    feeds, as_of, clean = program
    moment = MOMENTS[trial]
    root = tmp_path_factory.mktemp(f"trial-{trial}")
    dagster_home = tmp_path_factory.getbasetemp() / "shared-dagster-home"
    env = {"DAGSTER_HOME": str(dagster_home)}
    instance = open_instance(Settings.from_env(dagster_home=dagster_home))

    fraction = random.Random(trial).random()
    run_id, killed_in = _kill_at(moment, feeds, root, as_of, env, instance, fraction)

    assert killed_in == {moment.phase}, f"the kill landed in {killed_in}, not in {moment.phase}"
    killed_run = instance.get_run_by_id(run_id)
    assert killed_run is not None and killed_run.status == dg.DagsterRunStatus.STARTED
    resumed = run_listenloop(feeds, root, as_of, env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    report = resumed.stdout
    assert report.splitlines()[0].endswith(": OK")
    assert f"Run {killed_run.run_id} had been killed: marked failed" in report
    assert instance.get_run_by_id(killed_run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert warehouse_snapshot(warehouse_path(root)) == clean
    _assert_nothing_stuck(root, instance)


def _kill_at(
    moment: Moment,
    feeds: Path,
    root: Path,
    as_of: str,
    env: dict[str, str],
    instance: dg.DagsterInstance,
    fraction: float,
) -> tuple[str, set[str]]:
    """Starts a run, kills its process group at `moment`; returns the run and the steps it was
    running."""
    earlier = {r.run_id for r in instance.get_runs()}
    run = subprocess.Popen(
        listenloop_command(feeds, root, as_of),
        env=listenloop_env(root, as_of, env),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    run_id = None
    try:
        deadline = time.monotonic() + _TRIGGER_TIMEOUT_SECONDS
        while True:
            run_id = run_id or _new_run(instance, earlier)
            if _reached(moment, root, instance, run_id):
                break
            assert run.poll() is None, f"the run ended before {moment.name}"
            assert time.monotonic() < deadline, f"no {moment.name} within the timeout"
            time.sleep(_POLL_SECONDS)
        time.sleep(moment.jitter * fraction)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    run_id = run_id or _new_run(instance, earlier)
    assert run_id is not None, f"killed at {moment.name} before the run was created"
    started, finished = _steps(instance, run_id)
    return run_id, started - finished


def _new_run(instance: dg.DagsterInstance, earlier: set[str]) -> str | None:
    return next((r.run_id for r in instance.get_runs(limit=1) if r.run_id not in earlier), None)


def _assert_nothing_stuck(root: Path, instance: dg.DagsterInstance) -> None:
    assert not [
        r.run_id
        for r in instance.get_runs()
        if r.status not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)
    ]
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots == []
    assert not list((root / ".dlt_pipelines").glob(f"*/{RUNNING_MARKER}"))
    serving_file, parquet_dir = serving_paths(root)
    assert not list(root.glob(".*.building")) and not list(parquet_dir.glob(".*.building"))
    with duckdb.connect(str(serving_file), read_only=True) as con:
        published = con.execute("select count(*) from main._published").fetchone()
    assert published is not None and published[0] > 0
