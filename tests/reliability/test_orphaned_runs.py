"""A run whose process is killed must not hold the warehouse pool slot for ever."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from listenloop.settings import PROJECT_ROOT, Settings
from orchestration.defs.ownership import WAREHOUSE_POOL
from orchestration.instance import open_instance
from orchestration.orphaned_runs import PROCESS_TAG, _is_running, fail_orphaned_runs, process_tag


def _claimed(instance: dg.DagsterInstance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return [slot.run_id for slot in info.claimed_slots]


def test_a_killed_runs_slot_is_freed_and_the_next_run_gets_it(tmp_path: Path) -> None:
    started = tmp_path / "started"
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.slot_holder", str(tmp_path), str(started)],
        cwd=PROJECT_ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not started.exists():
        assert holder.poll() is None, "the slot holder ended before it took the slot"
        assert time.monotonic() < deadline, "the slot holder never took the slot"
        time.sleep(0.2)
    instance = open_instance(Settings.from_env(dagster_home=tmp_path))
    [killed_run] = _claimed(instance)
    # A live run is left alone, whatever its age.
    assert fail_orphaned_runs(instance) == []

    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED
    assert _claimed(instance) == [killed_run]

    assert fail_orphaned_runs(instance) == [killed_run]
    assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.FAILURE
    assert _claimed(instance) == []
    assert fail_orphaned_runs(instance) == []

    @dg.asset(pool=WAREHOUSE_POOL)
    def next_write() -> int:
        return 1

    result = dg.materialize([next_write], instance=instance, tags=process_tag())
    assert result.success
    assert _claimed(instance) == []


def test_a_pid_reused_by_a_newer_process_is_not_the_runs_process() -> None:
    host, pid, started = process_tag()[PROCESS_TAG].rsplit(":", 2)
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    assert _is_running(os.getpid(), started)
    assert not _is_running(os.getpid(), str(int(started) - 1))
