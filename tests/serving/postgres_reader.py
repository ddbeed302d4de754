"""A BI reader on PostgreSQL in its own process: reads every served table in one statement, in
a loop, and appends what it saw (build number and row counts) or the error it got."""

from __future__ import annotations

import sys

import psycopg2

from tests.serving.reader_loop import read_forever

QUERY = """
select (select max(build) from listenloop.mart_cx_scorecard),
       (select count(*) from listenloop.mart_cart_recovery),
       (select count(*) from listenloop.mart_cx_scorecard),
       (select count(*) from listenloop.call_list),
       (select count(*) from listenloop.call_list_history),
       (select count(distinct build) from (
            select build from listenloop.mart_cart_recovery union all
            select build from listenloop.mart_cx_scorecard union all
            select build from listenloop.call_list) as builds)
"""


def main(database: str, out: str) -> None:
    con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database)
    con.autocommit = True
    cursor = con.cursor()

    def read_once() -> dict:
        cursor.execute(QUERY)
        *reads, builds = cursor.fetchone()
        return {"reads": reads} if builds == 1 else {"error": f"{builds} builds mixed"}

    read_forever(read_once, out, (psycopg2.Error,))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
