"""One telephony load, in this process or in a child process, and what the tests read back.

As a script (`python -m tests.connectors.telephony_load <aircall|twilio> <warehouse>`) it runs
one load with DEBUG logging, settings from the environment, and prints the load info and the
run's trace (with the configuration it resolved) so a test can kill it mid-load, or search
everything it printed for a secret (tests/connectors/leaks.py).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb

from ingestion.pipeline import make_pipeline
from ingestion.sources import SOURCES

if TYPE_CHECKING:
    import pytest

    from tests.connectors.aircall_server import FakeVendorServer, Logged

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# What a test configures with `configure(fake, **overrides)`: settings as env variables.
Configure = Callable[..., dict[str, str]]

# The telephony settings every test sets: a 2-day lag, and retries quick enough for a test.
QUICK_RETRIES: dict[str, Any] = {
    "lag_days": 2,
    "max_attempts": 5,
    "backoff_factor": 0.05,
    "max_delay_seconds": 5,
}


def vendor_configure(
    monkeypatch: pytest.MonkeyPatch, vendor: str, settings: dict[str, Any]
) -> Configure:
    """`configure(fake, **overrides)`: points `vendor` at `fake` through dlt's env provider.

    Sets the fake's base URL, `settings` (credentials, page size), QUICK_RETRIES and the
    overrides as SOURCES__<VENDOR>__<KEY>; returns the variables set.
    """

    def configure(fake: FakeVendorServer, **overrides: Any) -> dict[str, str]:
        values = {"base_url": fake.base_url, **settings, **QUICK_RETRIES, **overrides}
        env = {f"SOURCES__{vendor.upper()}__{k.upper()}": str(v) for k, v in values.items()}
        env["RUNTIME__DLTHUB_TELEMETRY"] = "false"  # tests stay on 127.0.0.1
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return env

    return configure


def load(vendor: str, warehouse: Path) -> str:
    """Runs one load of `vendor`'s calls into `warehouse`; returns its load id."""
    spec = SOURCES[vendor]
    pipeline = make_pipeline(warehouse, spec.pipeline_name)
    info = pipeline.run(spec.build(["calls"], ""))
    return info.loads_ids[-1]


def start_load(vendor: str, warehouse: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """The load in a child process (stdout and stderr piped), settings from `env`."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.connectors.telephony_load", vendor, str(warehouse)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_blocked(
    page_reached: threading.Event, child: subprocess.Popen[str], timeout: float = 120
) -> None:
    """SIGKILLs `child` once the fake server reports it is blocking the chosen page."""
    deadline = time.monotonic() + timeout
    while not page_reached.wait(0.1):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the load never reached the blocked page"
    child.kill()
    child.communicate()
    assert child.returncode == -signal.SIGKILL


class KilledAndResumed(NamedTuple):
    killed: list[Logged]  # the requests of the killed run, the blocked page's last
    resumed: list[Logged]  # the requests of the run after it
    load_id: str  # the resumed run's


def kill_mid_load_and_resume(
    vendor: str, fake: FakeVendorServer, warehouse: Path, env: dict[str, str], page: int = 3
) -> KilledAndResumed:
    """A load in a child process SIGKILLed while `fake` blocks `page`, then the load again here.

    Checks that the killed run committed nothing: the warehouse holds the same rows and loads
    after the kill as before it.
    """
    landed = count(warehouse)
    loads = query(warehouse, "select distinct load_id from raw.ingested_files")
    before = len(fake.served())
    fake.block_on_page = page
    child = start_load(vendor, warehouse, env)
    kill_when_blocked(fake.page_reached, child)
    assert count(warehouse) == landed
    assert query(warehouse, "select distinct load_id from raw.ingested_files") == loads

    fake.block_on_page = None
    fake.release.set()
    load_id = load(vendor, warehouse)
    requests = fake.served()[before:]
    # the killed run asked for pages 1 to `page`, and was killed while `page` was blocked
    return KilledAndResumed(requests[:page], requests[page:], load_id)


def query(warehouse: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def count(warehouse: Path, sql: str = "select count(*) from raw.calls") -> int:
    return query(warehouse, sql)[0][0]


def pages(warehouse: Path, load_id: str) -> list[tuple[str, int, int, int]]:
    """Each delivery (page) of the load: its name, rows read, landed and quarantined."""
    return query(
        warehouse,
        """select source_file, rows_read, rows_loaded, rows_quarantined from raw.ingested_files
           where load_id = ? order by source_file""",
        load_id,
    )


def has_table(warehouse: Path, schema: str, table: str) -> bool:
    found = query(
        warehouse,
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        schema,
        table,
    )
    return found[0][0] == 1


def cause_of(error: BaseException, kind: type[BaseException]) -> BaseException:
    """The first exception of `kind` in `error`'s chain (dlt wraps what a resource raises)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    raise AssertionError(f"no {kind.__name__} in {error!r}")


def main(argv: list[str]) -> None:
    vendor, warehouse = argv[1], Path(argv[2])
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    spec = SOURCES[vendor]
    pipeline = make_pipeline(warehouse, spec.pipeline_name)
    info = pipeline.run(spec.build(["calls"], ""))
    print(info, flush=True)
    trace = pipeline.last_trace
    print(trace.asstr(verbosity=1) if trace else "(no trace)", flush=True)


if __name__ == "__main__":
    main(sys.argv)
