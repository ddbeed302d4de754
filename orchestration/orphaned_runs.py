"""Runs whose process was killed: found by the next `listenloop run`, failed and their slots freed.

`listenloop run` executes its run in its own process, outside the daemon's run monitoring. A run
killed with SIGKILL (the OOM killer, a container stop, a power cut) would stay "started" in the
UI forever and, worse, keep its `duckdb_warehouse` pool slot: every later run would wait for that
slot without end. Each such run is tagged with the process that executes it; a later run on the
same host that finds the process gone marks the run failed and frees its slots.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

PROCESS_TAG = "listenloop/process"
_UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def process_tag(pid: int | None = None) -> dict[str, str]:
    """The tag naming the process (this one by default) that executes a run."""
    pid = os.getpid() if pid is None else pid
    return {PROCESS_TAG: f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"}


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Marks failed every unfinished run tagged by a process of this host that no longer runs,
    frees the pool slots it held, and returns the run ids."""
    failed = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=_UNFINISHED))
    for record in records:
        run = record.dagster_run
        owner = run.tags.get(PROCESS_TAG)
        if owner is None:
            continue  # launched by the daemon: its run monitoring looks after it
        host, pid, started = owner.rsplit(":", 2)
        if host != socket.gethostname() or _is_running(int(pid), started):
            continue
        instance.report_run_failed(
            run,
            message=(
                f"The process that executed this run (pid {pid}) ended without finishing it: it "
                "was killed. A later run found it and released the warehouse pool slot it held."
            ),
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed


def _is_running(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    # The pid may have been reused by a newer process since.
    return not started or _start_time(pid) == started


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks after boot (Linux), None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces: count fields after its closing bracket.
    return stat[stat.rindex(")") + 2 :].split()[19]
