"""Turns the raw-table fixtures back into the feed files ingestion would have read.

Each fixture row names its file and row (`_source_file`, `_source_row`), so the same hand-written
rows can go through the real dlt ingestion and must land exactly as raw_tables.py lays them out.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from ingestion.contract import FEEDS_BY_NAME, SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN


def write_feed_files(fixtures: Iterable[Path], feeds_dir: Path) -> int:
    """Writes one CSV per `_source_file` in the fixtures; returns the number of files."""
    files: dict[str, list[dict[str, str]]] = defaultdict(list)
    for path in fixtures:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                files[row[SOURCE_FILE_COLUMN]].append(row)
    for source_file, rows in files.items():
        feed = FEEDS_BY_NAME[source_file.split("/")[0]]
        rows.sort(key=lambda row: int(row[SOURCE_ROW_COLUMN]))
        # ingestion numbers records from 1 in file order; the fixture must agree
        assert [int(r[SOURCE_ROW_COLUMN]) for r in rows] == list(range(1, len(rows) + 1))
        target = feeds_dir / source_file
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=feed.column_names, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    return len(files)
