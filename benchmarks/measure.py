"""Run one stage as a child process and measure its wall time and peak resident memory."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from listenloop.settings import PROJECT_ROOT

_LOG_TAIL_CHARS = 4000


class StageFailed(RuntimeError):
    """A stage's process exited with an error; the message ends with the tail of its log."""


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mb: float  # the child's maximum resident set size, MiB


def run_measured(
    argv: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    ok_exit_codes: tuple[int, ...] = (0,),
) -> Measurement:
    """Run `argv` from the project root with its output in `log_file`.

    The peak comes from wait4 on this very child: RUSAGE_CHILDREN would report the largest child
    so far, not this one. The caller is kept light, since on Linux a child's peak also counts the
    parent's resident memory at the moment it was started.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        measurement = Measurement(seconds, usage.ru_maxrss / 1024)
        # The figures are in the log too, for a run that stops before its report is written.
        print(f"\n[benchmark] {seconds:.1f} s, peak {measurement.peak_mb:.0f} MB", file=log)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok_exit_codes:
        tail = log_file.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
        raise StageFailed(
            f"{' '.join(argv)} exited with {process.returncode}; log {log_file}:\n{tail}"
        )
    return measurement
