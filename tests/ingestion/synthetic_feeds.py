"""Synthetic daily feed files at realistic volume, for timing the ingestion.

`python -m tests.ingestion.synthetic_feeds [DAYS]` writes DAYS daily files per feed (formats
rotating CSV, JSONL, Parquet) into a temporary folder, ingests them twice and prints the timings.
Every generated row is valid, so a run must load exactly `expected_rows` rows per feed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.contract import (
    CALL_DIRECTIONS,
    DISPOSITIONS,
    FINANCIAL_STATUSES,
    ORDER_CHANNELS,
    OUTCOMES,
    SURVEY_CHANNELS,
)

# Rows per feed per day: ~2,300 a day, ~280k over 120 days (the default demo's order of size).
DAILY_ROWS = {
    "customers": 200,
    "orders": 300,
    "order_lines": 700,
    "refunds": 20,
    "checkouts": 600,
    "calls": 400,
    "surveys": 100,
}
FORMATS = (".csv", ".jsonl", ".parquet")
START = datetime(2026, 1, 1, tzinfo=UTC)


def expected_rows(days: int) -> dict[str, int]:
    return {feed: rows * days for feed, rows in DAILY_ROWS.items()}


def write_synthetic_feeds(root: Path, days: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    for day in range(days):
        date = START + timedelta(days=day)
        suffix = FORMATS[day % len(FORMATS)]
        for feed, rows in DAILY_ROWS.items():
            table = _day_table(feed, rows, day, date, rng)
            path = root / feed / f"{date:%Y-%m-%d}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(table, path, tags_as_list=suffix != ".csv")


def _ids(prefix: str, day: int, rows: int) -> pa.Array:
    return pa.array([f"{prefix}{day:04d}-{i:05d}" for i in range(rows)])


def _times(date: datetime, rng: np.random.Generator, rows: int) -> pa.Array:
    seconds = rng.integers(0, 86_400, rows)
    return pa.array([(date + timedelta(seconds=int(s))).isoformat() for s in seconds])


def _choice(values: tuple[str, ...], rng: np.random.Generator, rows: int) -> pa.Array:
    return pa.array(rng.choice(values, rows).tolist())


def _money(rng: np.random.Generator, rows: int) -> pa.Array:
    return pa.array([f"{v:.2f}" for v in rng.uniform(0, 300, rows)])


def _day_table(
    feed: str, rows: int, day: int, date: datetime, rng: np.random.Generator
) -> pa.Table:
    customers = pa.array([f"C{i:06d}" for i in rng.integers(0, 20_000, rows)])
    if feed == "customers":
        return pa.table(
            {
                "customer_id": _ids("C", day, rows),
                "email": pa.array([f"user{day}-{i}@example.com" for i in range(rows)]),
                "phone": pa.array([f"+4420{day:04d}{i:04d}" for i in range(rows)]),
                "first_name": pa.array(["Ann"] * rows),
                "country": pa.array(["GB"] * rows),
                "created_at": _times(date, rng, rows),
                "accepts_phone_contact": _choice(("true", "false"), rng, rows),
            }
        )
    if feed == "orders":
        return pa.table(
            {
                "order_id": _ids("O", day, rows),
                "customer_id": customers,
                "created_at": _times(date, rng, rows),
                "currency": pa.array(["EUR"] * rows),
                "subtotal": _money(rng, rows),
                "total": _money(rng, rows),
                "financial_status": _choice(FINANCIAL_STATUSES, rng, rows),
                "channel": _choice(ORDER_CHANNELS, rng, rows),
            }
        )
    if feed == "order_lines":
        return pa.table(
            {
                "line_id": _ids("L", day, rows),
                "order_id": pa.array([f"O{day:04d}-{i % 300:05d}" for i in range(rows)]),
                "sku": pa.array(["SKU-1"] * rows),
                "quantity": pa.array([str(q) for q in rng.integers(1, 4, rows)]),
                "unit_price": _money(rng, rows),
            }
        )
    if feed == "refunds":
        return pa.table(
            {
                "refund_id": _ids("R", day, rows),
                "order_id": pa.array([f"O{day:04d}-{i:05d}" for i in range(rows)]),
                "created_at": _times(date, rng, rows),
                "amount": _money(rng, rows),
                "reason": pa.array(["damaged"] * rows),
            }
        )
    if feed == "checkouts":
        return pa.table(
            {
                "checkout_id": _ids("K", day, rows),
                "customer_id": customers,
                "created_at": _times(date, rng, rows),
                "total": _money(rng, rows),
                "currency": pa.array(["EUR"] * rows),
                "items_count": pa.array([str(q) for q in rng.integers(1, 6, rows)]),
            }
        )
    if feed == "calls":
        return pa.table(
            {
                "call_id": _ids("A", day, rows),
                "customer_id": customers,
                "direction": _choice(CALL_DIRECTIONS, rng, rows),
                "started_at": _times(date, rng, rows),
                "disposition": _choice(DISPOSITIONS, rng, rows),
                "talk_seconds": pa.array([str(s) for s in rng.integers(0, 900, rows)]),
                "outcome": _choice(OUTCOMES, rng, rows),
                "concern_tags": pa.array([["price", "shipping_cost"]] * rows),
                "notes": pa.array(["Asked about delivery times."] * rows),
                "resolved_first_contact": _choice(("true", "false"), rng, rows),
            }
        )
    return pa.table(
        {
            "survey_id": _ids("S", day, rows),
            "customer_id": customers,
            "channel": _choice(SURVEY_CHANNELS, rng, rows),
            "submitted_at": _times(date, rng, rows),
            "nps": pa.array([str(s) for s in rng.integers(0, 11, rows)]),
            "comment": pa.array(["Fine."] * rows),
        }
    )


def _write(table: pa.Table, path: Path, tags_as_list: bool) -> None:
    if "concern_tags" in table.column_names and not tags_as_list:
        joined = pc.binary_join(table["concern_tags"], ";")
        table = table.set_column(table.column_names.index("concern_tags"), "concern_tags", joined)
    if path.suffix == ".csv":
        pa_csv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        # DuckDB writes JSON lines from Arrow in one call, lists as JSON arrays.
        with duckdb.connect() as con:
            con.register("t", table)
            con.execute(f"COPY t TO '{path}' (FORMAT json)")


def main(days: int) -> None:
    from ingestion.feeds_source import feeds_source, make_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "feeds"
        started = time.perf_counter()
        write_synthetic_feeds(root, days)
        files = sum(1 for _ in root.rglob("*.*"))
        print(f"generated {files} files in {time.perf_counter() - started:.1f}s")
        pipeline = make_pipeline(Path(tmp) / "warehouse.duckdb")
        for attempt in ("first", "second"):
            started = time.perf_counter()
            pipeline.run(feeds_source(str(root)))
            print(f"{attempt} run: {time.perf_counter() - started:.1f}s")
        with duckdb.connect(str(Path(tmp) / "warehouse.duckdb"), read_only=True) as con:
            for feed, rows in expected_rows(days).items():
                found = con.execute(f"SELECT count(*) FROM raw.{feed}").fetchone()
                print(f"  raw.{feed}: {found[0] if found else 0} rows (expected {rows})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 120)
