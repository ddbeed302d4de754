"""Delivering the whole history again, through `listenloop run` as a real process, changes nothing.

The second delivery is every file again under a new name (`replay-<name>`, as a source re-sends
an export) plus every original rewritten, so both are read. Rows merge on their keys: every raw
feed table, mart and segment table stays as it was (see `snapshots` for the columns compared).
The quarantine keeps its rows and gains exactly the replay copies' own: a bad row is reported
for each file that carries it, so a re-sent file with a bad row shows up as one to fix.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.reliability.runs import (
    generate_feeds,
    generated_files,
    report_counts,
    report_refused,
    run_listenloop,
    warehouse_path,
)
from tests.reliability.snapshots import warehouse_snapshot

CUSTOMERS, DAYS, SEED = 150, 8, 11
REPLAY_PREFIX = "replay-"


def _deliver_again(feeds: Path) -> None:
    for path in sorted(feeds.glob("*/*")):
        shutil.copyfile(path, path.with_name(REPLAY_PREFIX + path.name))
        # Same bytes, a new modification time: the listing says the file changed.
        path.write_bytes(path.read_bytes())


def _replayed(source_file: str) -> str:
    feed, name = source_file.split("/")
    return f"{feed}/{REPLAY_PREFIX}{name}"


def _quarantine(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select feed, source_file, source_row, field, rule, reason, raw_record"
            " from raw.quarantine order by all"
        ).fetchall()


def _files_read_line(report: str) -> str:
    return next(line for line in report.splitlines() if line.startswith("Files read this run:"))


def test_delivering_the_whole_history_again_changes_nothing(tmp_path: Path) -> None:
    truth = generate_feeds(tmp_path, CUSTOMERS, DAYS, SEED)
    feeds, warehouse = tmp_path / "feeds", warehouse_path(tmp_path)
    dates = {"as_of": truth["generator"]["end_date"]}
    dates["first_list_date"] = truth["generator"]["start_date"]
    first = run_listenloop(feeds, tmp_path, **dates)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    before = warehouse_snapshot(warehouse)
    quarantined_before = _quarantine(warehouse)
    for feed, counts in truth["rows"].items():
        assert len(before[f"raw.{feed}"]) == counts["expected_raw_rows"], feed
    assert len(quarantined_before) == sum(
        sum(kinds.values()) for kinds in truth["expected_quarantine"].values()
    )

    _deliver_again(feeds)
    second = run_listenloop(feeds, tmp_path, **dates)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]

    after = warehouse_snapshot(warehouse)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, table
    # A bad row's reason names its field, not its file, so a copy's rows read the same.
    copies = [(f, _replayed(file), *rest) for f, file, *rest in quarantined_before]
    assert _quarantine(warehouse) == sorted(quarantined_before + copies)

    files, rows_read = (
        generated_files(truth),
        sum(c["lines_written"] for c in truth["rows"].values()),
    )
    quarantined = len(quarantined_before)
    loaded = rows_read - quarantined
    assert _files_read_line(first.stdout) == (
        f"Files read this run: {files} (rows read {rows_read:,} ="
        f" {loaded:,} loaded + {quarantined:,} quarantined)"
    )
    # The report says so: every file read twice over, and not one row more in any table.
    assert _files_read_line(second.stdout) == (
        f"Files read this run: {2 * files} (rows read {2 * rows_read:,} ="
        f" {2 * loaded:,} loaded + {2 * quarantined:,} quarantined)"
    )
    assert report_refused(first.stdout) == report_refused(second.stdout) == {}
    counts, recounts = report_counts(first.stdout), report_counts(second.stdout)
    for section in ("Segments and call lists (rows)", "Marts (rows)"):
        assert recounts[section] == counts[section]
    logs = ("quarantine", "ingested_files")
    raw, reraw = counts["Raw tables (rows)"], recounts["Raw tables (rows)"]
    assert {t: n for t, n in reraw.items() if t not in logs} == {
        t: n for t, n in raw.items() if t not in logs
    }
    assert (reraw["quarantine"], reraw["ingested_files"]) == (2 * quarantined, 3 * files)
    assert recounts["Quarantined rows"] == {f: 2 * n for f, n in counts["Quarantined rows"].items()}
