"""A BI reader in its own process: opens the serving copy afresh and reads every table, in a loop.

Each line it appends to the output file is one read: the build number and the row counts it
saw, table by table, or the error it got.
"""

from __future__ import annotations

import sys

import duckdb

from tests.serving.reader_loop import read_forever

QUERY = """
select (select max(build) from marts.mart_cart_recovery),
       (select count(*) from marts.mart_cart_recovery),
       (select count(*) from marts.mart_cx_scorecard),
       (select count(*) from segments.call_list),
       (select count(*) from segments.call_list_history)
"""
BUILDS = """
select distinct build from marts.mart_cart_recovery union
select distinct build from marts.mart_cx_scorecard union
select distinct build from segments.call_list
"""


def read_once(serving_file: str) -> dict:
    with duckdb.connect(serving_file, read_only=True) as con:
        build, *counts = con.execute(QUERY).fetchone()
        builds = {b for (b,) in con.execute(BUILDS).fetchall()}
    if len(builds) != 1:
        return {"error": f"builds mixed: {sorted(builds)}"}
    # A mart with no rows holds no build number: take the one the other tables agree on.
    return {"reads": [build if build is not None else builds.pop(), *counts]}


if __name__ == "__main__":
    read_forever(lambda: read_once(sys.argv[1]), sys.argv[2], (duckdb.Error,))
