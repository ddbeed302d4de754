"""Copies the serving tables into a PostgreSQL schema, for BI servers that want a database server.

The source is the serving DuckDB file, so the PII policy has already been applied. One publish
is one transaction:

1. The new tables are created and filled with COPY in a schema of their own
   (`<schema>__incoming`), which no reader touches, so the copy holds no lock a reader waits on.
2. The live tables are then locked together, their schema dropped and the new one renamed into
   its place, with the grants the old schema and tables had, and everything commits at once.

A reader sees the old build or the new one, never an empty or half-filled table, nor a table of
each. A reader's query takes its table locks one by one, so locking the live tables can collide
with it. The lock is therefore tried with a short timeout and retried, rather than left waiting
until PostgreSQL's deadlock detector cancels one side, which could be the reader.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import psycopg2
import pyarrow.csv as pa_csv
from psycopg2 import errors as pg_errors
from psycopg2 import sql

DEFAULT_SCHEMA = "listenloop"
INCOMING_SUFFIX = "__incoming"
# How long one attempt at locking the live tables may wait, and how many attempts are made:
# well under deadlock_timeout (1 s by default), and about a minute in all.
SWAP_LOCK_TIMEOUT = "200ms"
SWAP_ATTEMPTS = 200

# DuckDB types as PostgreSQL spells them; DECIMAL(p,s) keeps its precision and scale.
_PG_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIME": "time",
    "INTERVAL": "interval",
    "UUID": "uuid",
}


class PostgresPublishError(RuntimeError):
    """The copy failed and was rolled back; the message names the table, never the URL."""


@dataclass
class PostgresPublishReport:
    schema: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied


def publish_to_postgres(
    serving_file: Path, url: str, schema: str = DEFAULT_SCHEMA
) -> PostgresPublishReport:
    """Replaces `schema` tables with the serving file's tables, in one transaction."""
    report = PostgresPublishReport(schema)
    with duckdb.connect(str(serving_file), read_only=True) as source:
        tables = _tables(source)
        try:
            pg = psycopg2.connect(_dsn(url))
        except psycopg2.Error as exc:
            raise PostgresPublishError(
                f"cannot connect to PostgreSQL for publishing ({type(exc).__name__}: "
                f"{_scrubbed(_first_line(exc), url)})"
            ) from None
        try:
            with pg, pg.cursor() as cursor:
                incoming = f"{schema}{INCOMING_SUFFIX}"
                cursor.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}").format(
                        sql.Identifier(incoming)
                    )
                )
                for source_schema, table in tables:
                    try:
                        report.rows[table] = _copy(source, cursor, incoming, source_schema, table)
                    except psycopg2.Error as exc:
                        raise PostgresPublishError(
                            f"publishing {source_schema}.{table} to PostgreSQL failed and was "
                            f"rolled back: {_first_line(exc)}"
                        ) from None
                _swap(cursor, incoming, schema)
        finally:
            pg.close()
    return report


def _swap(cursor: psycopg2.extensions.cursor, incoming: str, schema: str) -> None:
    """Replaces `schema` by `incoming`. Objects someone else built on the live tables (a view, a
    foreign key) make this fail rather than be dropped along with them."""
    cursor.execute("SAVEPOINT swap")
    for attempt in range(SWAP_ATTEMPTS):
        try:
            cursor.execute("SET LOCAL lock_timeout = %s", [SWAP_LOCK_TIMEOUT])
            live = _live_tables(cursor, schema)
            grants = _grants(cursor, schema)
            if live:
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                        sql.SQL(", ").join(sql.Identifier(schema, t) for t in live)
                    )
                )
                for table in live:
                    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, table)))
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {}").format(sql.Identifier(schema)))
            cursor.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(incoming), sql.Identifier(schema)
                )
            )
            _regrant(cursor, schema, grants)
            return
        except pg_errors.LockNotAvailable:
            cursor.execute("ROLLBACK TO SAVEPOINT swap")
            time.sleep(min(0.05 * (attempt + 1), 0.5))
        except psycopg2.Error as exc:
            raise PostgresPublishError(
                f"replacing the PostgreSQL schema {schema} failed and was rolled back: "
                f"{_first_line(exc)}"
            ) from None
    raise PostgresPublishError(
        f"readers held the tables of PostgreSQL schema {schema} through {SWAP_ATTEMPTS} "
        "attempts to swap in the new build; nothing was changed"
    )


# (object: None for the schema, else a table name; grantee role or PUBLIC; privilege)
Grant = tuple[str | None, str, str]


def _grants(cursor: psycopg2.extensions.cursor, schema: str) -> list[Grant]:
    """The privileges others hold on the live schema and its tables (a BI reader's USAGE and
    SELECT): the swap replaces those objects, and their grants with them."""
    cursor.execute(
        """
        SELECT NULL, grantee, privilege_type
        FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname = %(schema)s) AS acl
        WHERE grantee <> grantor
        UNION ALL
        SELECT c.relname, acl.grantee, acl.privilege_type
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace,
        LATERAL aclexplode(c.relacl) AS acl
        WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND acl.grantee <> acl.grantor
        """,
        {"schema": schema},
    )
    return [
        (table, "PUBLIC" if grantee == 0 else _role_name(cursor, grantee), privilege)
        for table, grantee, privilege in cursor.fetchall()
    ]


def _role_name(cursor: psycopg2.extensions.cursor, oid: int) -> str:
    cursor.execute("SELECT rolname FROM pg_roles WHERE oid = %s", [oid])
    return str(cursor.fetchone()[0])


def _regrant(cursor: psycopg2.extensions.cursor, schema: str, grants: list[Grant]) -> None:
    """Gives the new schema and its tables the privileges the old ones had (tables by name)."""
    present = set(_live_tables(cursor, schema))
    for table, grantee, privilege in grants:
        if table is not None and table not in present:
            continue  # a table this build no longer has
        target = (
            sql.SQL("SCHEMA {}").format(sql.Identifier(schema))
            if table is None
            else sql.SQL("TABLE {}").format(sql.Identifier(schema, table))
        )
        role = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        cursor.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), target, role))


def _live_tables(cursor: psycopg2.extensions.cursor, schema: str) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
    )
    return [name for (name,) in cursor.fetchall()]


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [
        (schema, table)
        for schema, table in con.execute(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_schema <> 'main' ORDER BY table_schema, table_name"""
        ).fetchall()
    ]


def _copy(
    source: duckdb.DuckDBPyConnection,
    cursor: psycopg2.extensions.cursor,
    schema: str,
    source_schema: str,
    table: str,
) -> int:
    columns = source.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [source_schema, table],
    ).fetchall()
    target = sql.Identifier(schema, table)
    cursor.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            target,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_pg_type(kind)))
                for name, kind in columns
            ),
        )
    )
    data = source.sql(f'SELECT * FROM "{source_schema}"."{table}"').to_arrow_table()
    buffer = io.BytesIO()
    # Arrow's CSV writer quotes every text value and leaves nulls unquoted and empty, which is
    # how COPY's CSV format tells a null from an empty string.
    pa_csv.write_csv(
        data, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    )
    buffer.seek(0)
    cursor.copy_expert(
        sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(target).as_string(cursor),
        buffer,
    )
    return data.num_rows


def _pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _PG_TYPES.get(duckdb_type, "text")


def _dsn(url: str) -> str:
    # SQLAlchemy-style URLs (postgresql+psycopg2://) are accepted too; libpq wants postgresql://.
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}" if sep else url


def _scrubbed(text: str, url: str) -> str:
    """`text` without the URL's password: libpq quotes a malformed DSN whole in its error."""
    password = urlsplit(_dsn(url)).password
    if password:
        text = text.replace(password, "***")
    # A URL too malformed to split still has its password between a colon and the @.
    return re.sub(r":[^:@/\s]+@", ":***@", text)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
