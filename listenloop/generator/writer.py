"""Daily feed files: `<out>/<feed>/<YYYY-MM-DD>.<ext>`, rotating CSV, JSONL and Parquet.

The format of a (feed, day) file is FORMATS[(day + feed position) % 3], so every feed gets all
three formats from the third day on. A day with no rows gets no file, as exporters do: ingestion
refuses an empty file as unreadable (docs/data-contract.md). Every writer is vectorised (Arrow
CSV/Parquet, pandas JSON), never row by row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.contract import FEEDS, FEEDS_BY_NAME, Kind
from listenloop.generator.tables import DAY_COL

FORMATS = ("csv", "jsonl", "parquet")
MONEY_TYPE = pa.decimal128(18, 2)


def file_format(feed_name: str, day: int) -> str:
    position = [f.name for f in FEEDS].index(feed_name)
    return FORMATS[(day + position) % len(FORMATS)]


def _with_decimal_money(table: pa.Table, feed_name: str) -> pa.Table:
    """Money as 2-place decimals: unquoted in CSV, a decimal logical type in Parquet."""
    for col in FEEDS_BY_NAME[feed_name].columns:
        if col.kind is Kind.MONEY:
            typed = table[col.name].cast(MONEY_TYPE)
            table = table.set_column(table.column_names.index(col.name), col.name, typed)
    return table


def _write_csv(table: pa.Table, path: Path, feed_name: str) -> None:
    # CSV lists are ';'-joined text; booleans come out as true/false; nulls as empty fields.
    for col in FEEDS_BY_NAME[feed_name].columns:
        if col.kind is Kind.TAG_LIST:
            joined = pc.binary_join(table[col.name], ";")
            table = table.set_column(table.column_names.index(col.name), col.name, joined)
    table = _with_decimal_money(table, feed_name)
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))


def _write_jsonl(table: pa.Table, path: Path) -> None:
    # Money stays a "12.30" string, as store APIs send it, so no float rounding creeps in.
    # Nullable pandas dtypes keep integers integral and booleans true/false next to nulls.
    frame = table.to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    )
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    path.write_text(text, encoding="utf-8")


def _write_parquet(table: pa.Table, path: Path, feed_name: str) -> None:
    pq.write_table(_with_decimal_money(table, feed_name), path)


def write_feed(
    out_dir: Path, feed_name: str, table: pa.Table, start: dt.date, days: int
) -> dict[str, int]:
    """All daily files of one feed; returns how many files of each format were written."""
    folder = out_dir / feed_name
    folder.mkdir(parents=True, exist_ok=True)
    day = table[DAY_COL].to_numpy()
    bounds = np.searchsorted(day, np.arange(days + 1))
    public = table.select(list(FEEDS_BY_NAME[feed_name].column_names))
    written = dict.fromkeys(FORMATS, 0)
    for d in range(days):
        part = public.slice(bounds[d], bounds[d + 1] - bounds[d])
        if part.num_rows == 0:
            continue
        fmt = file_format(feed_name, d)
        path = folder / f"{(start + dt.timedelta(days=d)).isoformat()}.{fmt}"
        if fmt == "csv":
            _write_csv(part, path, feed_name)
        elif fmt == "jsonl":
            _write_jsonl(part, path)
        else:
            _write_parquet(part, path, feed_name)
        written[fmt] += 1
    return written
