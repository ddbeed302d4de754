"""Realistic faults, injected so the known answers stay exact.

Quarantinable faults (missing key, unparsable timestamp, negative quantity, unknown disposition)
are corrupted EXTRA copies of real rows delivered in a later file, so the clean original still
lands. Duplicates are exact copies in a later file; late updates are a record's newest version
again with a later updated_at. Messy phones retype a real row's phone (same number). No row gets
two faults: each source row is picked for at most one.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import FEEDS_BY_NAME
from listenloop.generator.clock import DAY, format_timestamps
from listenloop.generator.params import Params
from listenloop.generator.phones import messy_keys, render
from listenloop.generator.tables import COUNTRY_COL, DAY_COL, LATE_OK_COL, NSN_COL

GARBLED_TIMESTAMPS = (
    "2026-13-45T10:00:00Z",
    "31/31/2026 25:61",
    "yesterday afternoon",
    "2026-07-32T09:15:00",
    "TBD",
)
UNKNOWN_DISPOSITIONS = ("hung_up", "transferred", "machine_detected", "dropped")
# Fault kind -> the quarantine reason kind ingestion should record for it.
QUARANTINE_REASON = {
    "missing_key": "missing_key",
    "unparsable_timestamp": "unparsable_timestamp",
    "negative_quantity": "negative_value",
    "unknown_disposition": "unknown_enum_value",
}


def fault_kinds(feed_name: str) -> tuple[str, ...]:
    """The copy-style faults that make sense for a feed, in injection order."""
    feed = FEEDS_BY_NAME[feed_name]
    kinds = ["duplicate"]
    if feed.version_column:
        kinds.append("late_update")
    kinds.append("missing_key")
    if feed.dated_by:
        kinds.append("unparsable_timestamp")
    if feed_name == "order_lines":
        kinds.append("negative_quantity")
    if feed_name == "calls":
        kinds.append("unknown_disposition")
    return tuple(kinds)


def _replace(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


def _corrupt(
    kind: str,
    feed_name: str,
    copy: pa.Table,
    start: int,
    params: Params,
    rng: np.random.Generator,
) -> pa.Table:
    feed = FEEDS_BY_NAME[feed_name]
    k = copy.num_rows
    if kind == "late_update":
        new_day = copy[DAY_COL].to_numpy()
        stamp = start + new_day * DAY + rng.integers(0, DAY, k)
        return _replace(copy, feed.version_column, format_timestamps(stamp, rng, params.timestamps))
    if kind == "missing_key":
        return _replace(copy, feed.primary_key, pa.nulls(k, pa.string()))
    if kind == "unparsable_timestamp":
        garbled = np.asarray(GARBLED_TIMESTAMPS, dtype=object)[rng.integers(0, 5, k)]
        return _replace(copy, feed.dated_by, pa.array(garbled, pa.string()))
    if kind == "negative_quantity":
        return _replace(copy, "quantity", pc.negate(copy["quantity"]))
    if kind == "unknown_disposition":
        unknown = np.asarray(UNKNOWN_DISPOSITIONS, dtype=object)[rng.integers(0, 4, k)]
        return _replace(copy, "disposition", pa.array(unknown, pa.string()))
    return copy  # a duplicate is an exact re-delivery


def inject_faults(
    feed_name: str,
    table: pa.Table,
    days: int,
    start: int,
    params: Params,
    rng: np.random.Generator,
) -> tuple[pa.Table, dict[str, int]]:
    """The feed's rows with faults added, in file-day order, and the count of each fault."""
    shares = params.faults
    n = table.num_rows
    day = table[DAY_COL].to_numpy()
    used = np.zeros(n, dtype=bool)
    counts: dict[str, int] = {}
    if "phone" in table.column_names:
        has = np.flatnonzero(table["phone"].is_valid().to_numpy(zero_copy_only=False))
        rows = np.sort(
            rng.choice(has, min(has.size, math.ceil(shares.messy_phone * has.size)), replace=False)
        )
        country = table[COUNTRY_COL].to_numpy(zero_copy_only=False)[rows]
        nsn = table[NSN_COL].to_numpy(zero_copy_only=False)[rows]
        keys = messy_keys(country, rng, needs_plus=feed_name != "customers")
        phone = table["phone"].to_numpy(zero_copy_only=False).copy()
        phone[rows] = render(country, nsn, keys)
        table = _replace(table, "phone", pa.array(phone, pa.string()))
        used[rows] = True
        counts["messy_phone"] = int(rows.size)
    late_ok = (
        table[LATE_OK_COL].to_numpy(zero_copy_only=False)
        if LATE_OK_COL in table.column_names
        else np.ones(n, dtype=bool)
    )
    extras = [table]
    for kind in fault_kinds(feed_name):
        eligible = late_ok if kind == "late_update" else np.ones(n, dtype=bool)
        pool = np.flatnonzero(eligible & ~used & (day < days - 1))
        k = min(pool.size, math.ceil(getattr(shares, kind) * int(eligible.sum())))
        rows = np.sort(rng.choice(pool, k, replace=False))
        used[rows] = True
        # Re-delivered one to three days later, never past the last day.
        later = np.minimum(day[rows] + rng.integers(1, 4, k), days - 1)
        copy = _replace(table.take(pa.array(rows, pa.int64())), DAY_COL, pa.array(later))
        extras.append(_corrupt(kind, feed_name, copy, start, params, rng))
        counts[kind] = int(k)
    out = pa.concat_tables(extras)
    order = np.argsort(out[DAY_COL].to_numpy(), kind="stable")
    return out.take(pa.array(order)), counts
