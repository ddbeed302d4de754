"""`listenloop` as a real process over generated feeds: what the reliability tests share.

Every run gets its own warehouse, Dagster home and serving copy under `root`, and an environment
holding only the settings passed here: a setting left in the test process's environment (an
earlier in-process run exports its own) must not reach the child.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from listenloop.generator import generate
from listenloop.settings import PROJECT_ROOT

# A run over a few hundred customers takes about 40 s on two shared cores; a hung one fails the
# test instead of the whole session.
RUN_TIMEOUT_SECONDS = 600
_INHERITED_PREFIXES = ("LISTENLOOP_", "DAGSTER_")


def generate_feeds(root: Path, customers: int, days: int, seed: int) -> dict:
    """Writes demo feeds to root/feeds and returns the generator's truth."""
    return generate(root / "feeds", customers, days, seed)


def generated_files(truth: dict) -> int:
    """How many files the generator wrote, over every feed."""
    return sum(sum(formats.values()) for formats in truth["files"].values())


def warehouse_path(root: Path) -> Path:
    return root / "warehouse.duckdb"


def listenloop_command(feeds: Path, root: Path, as_of: str) -> list[str]:
    """The `listenloop run` command line over `feeds`, with its warehouse under `root`."""
    return [
        sys.executable,
        "-m",
        "listenloop.cli",
        "run",
        "--feeds",
        str(feeds),
        "--warehouse",
        str(warehouse_path(root)),
        "--as-of-date",
        as_of,
    ]


def listenloop_env(
    root: Path, first_list_date: str, env: dict[str, str] | None = None
) -> dict[str, str]:
    """The child's environment: this process's, without any ListenLoop or Dagster setting, plus a
    Dagster home under `root`, the first list date, no column lineage (it costs ~40 s of CPU per
    build and no reliability test reads it), and `env` over all of that."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    child |= {
        "DAGSTER_HOME": str(root / "dagster_home"),
        "LISTENLOOP_FIRST_LIST_DATE": first_list_date,
        "LISTENLOOP_COLUMN_LINEAGE": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return child | (env or {})


def run_listenloop(
    feeds: Path,
    root: Path,
    as_of: str,
    env: dict[str, str] | None = None,
    *,
    first_list_date: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs `listenloop run` to completion in a child process; stdout holds the run report.

    `first_list_date` defaults to `as_of`: a run builds one day's list, the cheapest run that
    still builds every asset. Never raises on a non-zero exit: the caller asserts the status.
    """
    return subprocess.run(
        listenloop_command(feeds, root, as_of),
        env=listenloop_env(root, first_list_date or as_of, env),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def report_refused(report: str) -> dict[str, str]:
    """The run report's "Files refused" section: source file -> reason."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Files refused:"))
    refused = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        source_file, reason = line.strip().split(": ", 1)
        refused[source_file] = reason
    return refused


_COUNT_LINE = re.compile(r"  (\S+)\s+([\d,]+)")


def report_counts(report: str) -> dict[str, dict[str, int]]:
    """The run report's row counts by section ("Raw tables (rows)", "Quarantined rows", ...)."""
    sections: dict[str, dict[str, int]] = {}
    current: dict[str, int] = {}
    for line in report.splitlines():
        if not line.startswith(" "):
            current = sections.setdefault(line.split(":")[0], {})
        elif match := _COUNT_LINE.fullmatch(line):
            current[match[1]] = int(match[2].replace(",", ""))
    return {title: counts for title, counts in sections.items() if counts}
