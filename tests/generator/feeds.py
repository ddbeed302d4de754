"""Read generated feed files back as plain strings, whatever their format, for the tests."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def read_feed(root: Path, feed: str) -> list[dict[str, str | None]]:
    """Every record of a feed in file order; '_file' names the file it came from."""
    records = []
    for path in sorted((root / feed).iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            rows = pq.read_table(path).to_pylist()
        records += [{k: _text(v) for k, v in row.items()} | {"_file": path.name} for row in rows]
    return records


def instant(text: str | None) -> dt.datetime | None:
    """A feed timestamp as aware UTC; None when empty or unparsable."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
