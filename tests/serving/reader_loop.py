"""The loop every reader process runs: read, append what was seen as one JSON line, repeat until
asked to stop; and how a test asks it to.

A reader stops when a file named after its output file with `.stop` appended exists, not on a
signal: a process may inherit SIGTERM as ignored (from a worker or a shell that ignores it), and
a reader it cannot stop would hold the test for ever.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_STOP_TIMEOUT_SECONDS = 30


def read_forever(read: Callable[[], dict], out: str, errors: tuple[type[Exception], ...]) -> None:
    """Appends `read()`'s record, or {"error": ...} when it raises one of `errors`, until the stop
    file appears."""
    stop = _stop_file(Path(out))
    with open(out, "a", encoding="utf-8") as sink:
        while not stop.exists():
            try:
                record = read()
            except errors as exc:
                record = {"error": f"{type(exc).__name__}: {exc}"}
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            time.sleep(0.005)


def stop_reader(reader: subprocess.Popen, out: Path) -> None:
    """Asks the reader writing `out` to stop and waits for it; kills it if it does not."""
    _stop_file(out).touch()
    try:
        reader.wait(timeout=_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        reader.kill()
        reader.wait()
        raise


def _stop_file(out: Path) -> Path:
    return out.with_name(out.name + ".stop")
