"""A BI reader in its own process reads every mart in a loop while three builds publish.

The feeds arrive a day at a time, as in production: each of the three `listenloop run`s (real
processes, ingestion to publish) reads one more day, so every build's row counts differ. The
reader must never fail (no lock error, no torn file) and every read must be one whole build: the
row counts of every table, read in one connection, equal those of a published build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from listenloop.serving import serving_paths
from listenloop.settings import PROJECT_ROOT
from tests.reliability.runs import generate_feeds, run_listenloop
from tests.serving.reader_loop import stop_reader

CUSTOMERS, DAYS, SEED = 200, 10, 5
READER = "tests.reliability.mart_reader"
BUILDS = 3


def _deliver_through(generated: Path, feeds: Path, last_day: str) -> None:
    """Copies every generated file dated `last_day` or earlier into `feeds`."""
    for path in sorted(generated.glob("*/*")):
        if path.stem <= last_day:
            target = feeds / path.parent.name / path.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def _published(serving_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Row counts of the published build: by table, and by Parquet file."""
    serving_file, _ = serving_paths(serving_dir)
    with duckdb.connect(str(serving_file), read_only=True) as con:
        rows = con.execute("select table_name, row_count from main._published").fetchall()
    tables = dict(rows)
    return tables, {f"{name.split('.')[-1]}.parquet": n for name, n in tables.items()}


def test_reads_during_three_builds_never_fail_and_never_mix_builds(tmp_path: Path) -> None:
    truth = generate_feeds(tmp_path / "generated", CUSTOMERS, DAYS, SEED)
    generated, feeds = tmp_path / "generated" / "feeds", tmp_path / "feeds"
    as_of = truth["generator"]["end_date"]
    days = sorted({p.stem for p in generated.glob("*/*")})
    deliveries = days[-BUILDS - 1 :]
    _deliver_through(generated, feeds, deliveries[0])
    first = run_listenloop(feeds, tmp_path, as_of)
    assert first.returncode == 0, first.stdout + first.stderr
    builds = [_published(tmp_path)]

    seen_file = tmp_path / "seen.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-m", READER, str(tmp_path), str(seen_file)], cwd=PROJECT_ROOT
    )
    try:
        for day in deliveries[1:]:
            _deliver_through(generated, feeds, day)
            run = run_listenloop(feeds, tmp_path, as_of)
            assert run.returncode == 0, run.stdout + run.stderr
            builds.append(_published(tmp_path))
            time.sleep(1)  # a few reads of the new build
    finally:
        stop_reader(reader, seen_file)

    tables = [b[0] for b in builds]
    assert len({json.dumps(t, sort_keys=True) for t in tables}) == BUILDS + 1, (
        "the builds must differ, or a mixed read could go unnoticed"
    )
    seen = [json.loads(line) for line in seen_file.read_text(encoding="utf-8").splitlines()]
    assert [s for s in seen if "error" in s] == []
    assert all(s["tables"] in tables for s in seen), "a read mixed tables of two builds"
    # Parquet files are swapped one by one: each file read is whole, from one build or another.
    for s in seen:
        for name, rows in s["parquet"].items():
            assert rows in {parquet[name] for _, parquet in builds}, (name, rows)
    # The reader read throughout: it saw every build after the first one it found.
    seen_builds = {tables.index(s["tables"]) for s in seen}
    assert seen_builds >= {1, 2, 3}, seen_builds
    assert len(seen) > 100
