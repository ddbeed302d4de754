"""Export a day's call list for agents and dialers, from the warehouse, read-only.

The rows are the treatment members listed that day in segments.call_list_history (holdout
members are never exported); the summary also counts who was held out, deferred and suppressed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb

EXPORT_COLUMNS = (
    "list_date",
    "customer_id",
    "first_name",
    "phone_e164",
    "segment",
    "trigger_id",
    "trigger_at",
    "call_window_start",
    "call_window_end",
    "priority",
    "attempt_number",
    "reason",
    "talking_points",
    "playbook",
)
HISTORY = "segments.call_list_history"
CURRENT = "segments.call_list"
LIST_DATES = "intermediate.int_call_list__dates"
SUPPRESSED = "segments.call_list_suppressed"
Format = Literal["csv", "jsonl"]


class CallListMissing(LookupError):
    """The warehouse holds no call list for the requested day."""


@dataclass(frozen=True)
class CallListSummary:
    list_date: date
    out: Path
    listed: int
    held_out: int
    deferred: int
    suppressed: dict[str, int] = field(default_factory=dict)

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def export_call_list(
    warehouse: Path,
    list_date: date,
    out: Path,
    segment: str | None = None,
    fmt: Format = "csv",
) -> CallListSummary:
    """Write the treatment list of `list_date` (optionally one segment) to `out`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        _require_day(con, list_date)
        where = "list_date = ?" + (" and segment = ?" if segment else "")
        params: list[object] = [list_date, *([segment] if segment else [])]
        # The as-of day's list is call_list, which an intraday refresh keeps current (it drops
        # who ordered, was reached or opted out); an earlier day's is the history as written.
        source = CURRENT if _is_current(con, list_date) else HISTORY
        listed = "" if source == CURRENT else " and arm = 'treatment' and status = 'listed'"
        cursor = con.execute(
            f"select {', '.join(EXPORT_COLUMNS)} from {source} where {where}{listed} "
            "order by priority desc, trigger_at, segment, trigger_id",
            params,
        )
        rows = cursor.fetchall()
        arms = Counter(
            dict(
                con.execute(
                    f"select case when arm = 'holdout' then 'held_out' else status end, count(*) "
                    f"from {HISTORY} where {where} group by 1",
                    params,
                ).fetchall()
            )
        )
        suppressed = dict(
            con.execute(
                f"select suppression_reason, count(*) from {SUPPRESSED} where {where} "
                "group by suppression_reason order by min(suppression_rule)",
                params,
            ).fetchall()
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    (_write_csv if fmt == "csv" else _write_jsonl)(out, rows)
    return CallListSummary(
        list_date=list_date,
        out=out,
        listed=len(rows),
        held_out=arms["held_out"],
        deferred=arms["deferred"],
        suppressed=suppressed,
    )


def format_summary(summary: CallListSummary) -> str:
    lines = [
        f"Call list for {summary.list_date.isoformat()}: {summary.out}",
        f"  listed     {summary.listed:>8,}",
        f"  held out   {summary.held_out:>8,}",
        f"  deferred   {summary.deferred:>8,}",
        f"  suppressed {summary.suppressed_total:>8,}",
    ]
    lines += [f"    {reason:<18} {count:>8,}" for reason, count in summary.suppressed.items()]
    return "\n".join(lines)


def _is_current(con: duckdb.DuckDBPyConnection, list_date: date) -> bool:
    """Whether list_date is the as-of date of the last build: the day call_list holds."""
    (as_of,) = con.execute(f"select max(list_date) from {LIST_DATES}").fetchone()
    return list_date == as_of


def _require_day(con: duckdb.DuckDBPyConnection, list_date: date) -> None:
    first, last = con.execute(f"select min(list_date), max(list_date) from {HISTORY}").fetchone()
    if first is None or not first <= list_date <= last:
        span = f"{first} to {last}" if first else "no days yet"
        raise CallListMissing(
            f"no call list for {list_date.isoformat()} in the warehouse ({span}); "
            f"build it with `listenloop run --as-of-date {list_date.isoformat()}`"
        )


def _text(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(out: Path, rows: list[tuple]) -> None:
    # utf-8-sig: the byte-order mark makes spreadsheets read the file as UTF-8; quoting every
    # field keeps '+4420...' a text phone number rather than a formula or a number
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows([_text(v) for v in row] for row in rows)


def _write_jsonl(out: Path, rows: list[tuple]) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = dict(zip(EXPORT_COLUMNS, (_text(v) for v in row), strict=True))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
