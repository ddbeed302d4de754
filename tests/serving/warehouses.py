"""Small hand-made warehouses with the layout the pipeline builds: marts and segments schemas."""

from __future__ import annotations

from pathlib import Path

import duckdb


def make_warehouse(path: Path, build: int, carts: int) -> Path:
    """A warehouse whose tables all say which build they are: `carts` rows in the cart mart,
    2 * carts in the call list, 3 in the scorecard. Replaces any earlier file at `path`."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema segments; create schema staging")
        con.execute(
            """create table marts.mart_cart_recovery as
               select ? as build, range as cart, 'c' || range || '@example.com' as customer_email,
                      '+1415555' || lpad(range::varchar, 4, '0') as phone_e164
               from range(?)""",
            [build, carts],
        )
        con.execute(
            "create table marts.mart_cx_scorecard as select ? as build, range as period, "
            "0.42::decimal(9,4) as nps, date '2026-03-01' + range::int as period_start, "
            "range as voicemails, 'Call me on +44 20 7946 0' || range || "
            "' or mail jo' || range || '@example.com about order 2026-03-0' || range as verbatim "
            "from range(3)",
            [build],
        )
        con.execute(
            """create table segments.call_list as
               select ? as build, range as position, '+1415555' || range as phone_e164,
                      'x' || range || '@example.com' as email
               from range(?)""",
            [build, 2 * carts],
        )
        con.execute("create table segments.call_list_history as from segments.call_list")
        # not served: only the marts and the call-list tables leave the warehouse
        con.execute("create table segments.seg_cart_abandoners as select 1 as x")
        con.execute("create table staging.stg_store__customers as select 'a@b.c' as email")
    return path
