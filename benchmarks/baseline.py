"""Child process of the benchmark: ListenLoop's work done in plain DuckDB, without dlt or dbt.

    python -m benchmarks.baseline load FEEDS_DIR WAREHOUSE
    python -m benchmarks.baseline models MANIFEST LISTENLOOP_WAREHOUSE WAREHOUSE
    python -m benchmarks.baseline checks MANIFEST WAREHOUSE RESULT_JSON

`load` reads each feed folder with DuckDB's own readers into raw.<feed>, applying the contract's
rules in SQL (types, required fields, bounds, enums; newest delivery per merge key) but keeping
no quarantine or file log. `models` runs the SQL dbt compiled for every model, in dependency
order, as plain CREATE statements; seeds and any source the load does not write (ingestion's
bookkeeping) are copied from the ListenLoop warehouse. `checks` runs the compiled data tests.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb

from benchmarks.manifest import Manifest, Node
from ingestion.contract import (
    FEEDS,
    RAW_DATASET,
    RAW_SQL_TYPES,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    Column,
    Feed,
    Kind,
)
from listenloop.settings import Settings

READERS = {
    ".csv": "read_csv({files}, all_varchar = true, union_by_name = true, filename = true,"
    " ignore_errors = true)",
    ".jsonl": "read_json({files}, format = 'newline_delimited', union_by_name = true,"
    " filename = true, ignore_errors = true)",
    ".parquet": "read_parquet({files}, union_by_name = true, filename = true)",
}
TEXT_KINDS = (Kind.TEXT, Kind.TAG_LIST)


def connect(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection with the DuckDB settings the dbt profile applies too."""
    return duckdb.connect(str(warehouse), config=Settings.from_env().duckdb_config())


def load(feeds_dir: Path, warehouse: Path) -> None:
    with connect(warehouse) as con:
        # Timestamps without offset mean UTC, as in ingestion.
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_DATASET}")
        for feed in FEEDS:
            rows = feed_sql(con, feeds_dir, feed)
            con.execute(f"CREATE OR REPLACE TABLE {RAW_DATASET}.{feed.name} AS {rows}")


def feed_sql(con: duckdb.DuckDBPyConnection, feeds_dir: Path, feed: Feed) -> str:
    """The typed, deduplicated rows of one feed folder, every format read by DuckDB itself."""
    root = feeds_dir.resolve()
    texts = []
    for suffix, reader in READERS.items():
        files = sorted(str(p) for p in (root / feed.name).rglob(f"*{suffix}"))
        if files:
            texts.append(_as_text(con, reader.format(files=f"[{_literals(files)}]"), feed))
    cleaned = ", ".join(
        f"NULLIF(trim({_quote(c.name)}), '') AS {_quote(c.name)}" for c in feed.columns
    )
    typed = ", ".join(f"{_typed(feed, c)} AS {_quote(c.name)}" for c in feed.columns)
    rules = " AND ".join(rule for c in feed.columns for rule in _rules(c))
    keys = ", ".join(_quote(k) for k in feed.merge_key)
    return f"""
        WITH delivered AS ({" UNION ALL BY NAME ".join(texts)}),
        cleaned AS (
            SELECT {cleaned},
                   substr(filename, {len(str(root)) + 2}) AS {SOURCE_FILE_COLUMN},
                   row_number() OVER (PARTITION BY filename) AS {SOURCE_ROW_COLUMN}
            FROM delivered
        ),
        typed AS (
            SELECT {typed}, {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN}
            FROM cleaned
            WHERE {rules}
        )
        SELECT * FROM typed
        QUALIFY row_number() OVER (
            PARTITION BY {keys} ORDER BY {SOURCE_FILE_COLUMN} DESC, {SOURCE_ROW_COLUMN} DESC
        ) = 1"""


def _as_text(con: duckdb.DuckDBPyConnection, reader: str, feed: Feed) -> str:
    """Every contract column of one reader as text (lists joined with ';'), plus the file name."""
    found = {
        name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    }
    columns = []
    for column in feed.columns:
        name = _quote(column.name)
        if column.name not in found:
            columns.append(f"NULL::VARCHAR AS {name}")
        elif found[column.name].endswith("[]"):
            columns.append(f"array_to_string({name}, ';') AS {name}")
        else:
            columns.append(f"{name}::VARCHAR AS {name}")
    return f"SELECT {', '.join(columns)}, filename FROM {reader}"


def _parsed(column: Column) -> str:
    name = _quote(column.name)
    if column.kind is Kind.TIMESTAMP:
        return f"TRY_CAST({name} AS TIMESTAMPTZ)::TIMESTAMP"
    if column.kind is Kind.BOOLEAN:
        return (
            f"CASE WHEN lower({name}) IN ('true', '1', 'yes') THEN TRUE"
            f" WHEN lower({name}) IN ('false', '0', 'no') THEN FALSE END"
        )
    if column.kind in TEXT_KINDS:
        return name
    return f"TRY_CAST({name} AS {RAW_SQL_TYPES[column.kind]})"


def _typed(feed: Feed, column: Column) -> str:
    if column.name == feed.version_column:
        # An empty updated_at means the record was never updated.
        return f"coalesce({_parsed(column)}, {_parsed(feed.column(feed.dated_by))})"
    return _parsed(column)


def _rules(column: Column) -> list[str]:
    """The contract's checks on one cleaned column, as conditions a kept row meets."""
    name, parsed = _quote(column.name), _parsed(column)
    rules = [f"{name} IS NOT NULL"] if column.required else []
    if column.kind not in TEXT_KINDS:
        rules.append(f"({name} IS NULL OR {parsed} IS NOT NULL)")
    if column.min_value is not None:
        rules.append(f"coalesce({parsed} >= {column.min_value}, TRUE)")
    if column.max_value is not None:
        rules.append(f"coalesce({parsed} <= {column.max_value}, TRUE)")
    if column.enum:
        rules.append(f"coalesce({name} IN ({_literals(column.enum)}), TRUE)")
    return rules


def models(manifest: Manifest, listenloop_warehouse: Path, warehouse: Path) -> None:
    with connect(warehouse) as con:
        con.execute(f"ATTACH {sql_literal(str(listenloop_warehouse))} AS listenloop (READ_ONLY)")
        for source in manifest.sources_read():
            if not _exists(con, source):
                _copy_from_listenloop(con, source)
        for node in manifest.build_order():
            if node.resource_type == "seed":
                _copy_from_listenloop(con, node)
            elif node.materialized == "view":
                _create(con, node, "VIEW")
            elif node.materialized != "ephemeral":  # dbt inlines ephemeral models as CTEs
                _create(con, node, "TABLE")


def _exists(con: duckdb.DuckDBPyConnection, node: Node) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables()"
        " WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [node.database, node.schema, node.name],
    ).fetchone()
    return bool(found and found[0])


def _copy_from_listenloop(con: duckdb.DuckDBPyConnection, node: Node) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(node.schema)}")
    origin = f"listenloop.{_quote(node.schema)}.{_quote(node.name)}"
    con.execute(f"CREATE OR REPLACE TABLE {node.relation} AS SELECT * FROM {origin}")


def _create(con: duckdb.DuckDBPyConnection, node: Node, kind: str) -> None:
    if not node.compiled_code:
        raise ValueError(f"{node.unique_id} has no compiled SQL in the manifest: was it built?")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(node.schema)}")
    try:
        con.execute(f"CREATE OR REPLACE {kind} {node.relation} AS ({node.compiled_code})")
    except duckdb.Error as exc:
        exc.add_note(f"while building {node.unique_id}")
        raise


def checks(manifest: Manifest, warehouse: Path) -> dict[str, int]:
    """Runs every compiled data test; counts the tests and those that returned rows."""
    failing = 0
    tests = manifest.data_tests()
    with connect(warehouse) as con:
        for test in tests:
            found = con.execute(f"SELECT count(*) FROM ({test.compiled_code})").fetchone()
            failing += bool(found and found[0])
    return {"tests": len(tests), "tests_returning_rows": failing}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literals(values: Sequence[str]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="step", required=True)
    load_args = sub.add_parser("load")
    load_args.add_argument("feeds", type=Path)
    load_args.add_argument("warehouse", type=Path)
    model_args = sub.add_parser("models")
    model_args.add_argument("manifest", type=Path)
    model_args.add_argument("listenloop_warehouse", type=Path)
    model_args.add_argument("warehouse", type=Path)
    check_args = sub.add_parser("checks")
    check_args.add_argument("manifest", type=Path)
    check_args.add_argument("warehouse", type=Path)
    check_args.add_argument("result", type=Path, help="JSON file for the test counts")
    args = parser.parse_args(argv)
    if args.step == "load":
        load(args.feeds, args.warehouse)
    elif args.step == "models":
        models(Manifest(args.manifest), args.listenloop_warehouse, args.warehouse)
    else:
        args.result.write_text(json.dumps(checks(Manifest(args.manifest), args.warehouse)))


if __name__ == "__main__":
    main()
