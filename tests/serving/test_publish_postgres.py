"""`listenloop publish --postgres`: one transaction per publish, read by a reader in a loop."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from listenloop.cli import main
from listenloop.serving_postgres import PostgresPublishError, publish_to_postgres
from listenloop.settings import PROJECT_ROOT
from tests.services import PG_SERVER, postgres_scratch_database
from tests.serving.reader_loop import stop_reader
from tests.serving.warehouses import make_warehouse

pytestmark = pytest.mark.services

READER = "tests.serving.postgres_reader"


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_scratch_database("listenloop_serving") as name:
        yield name


def _url(database: str) -> str:
    return f"postgresql+psycopg2://{PG_SERVER['user']}@{PG_SERVER['host']}:{PG_SERVER['port']}/{database}"


def _query(database: str, text: str) -> list[tuple]:
    with psycopg2.connect(dbname=database, **PG_SERVER) as con, con.cursor() as cur:
        cur.execute(text)
        return cur.fetchall()


def test_publish_copies_the_serving_tables_with_their_types(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", build=7, carts=4)
    code = main(
        [
            "publish",
            "--warehouse",
            str(warehouse),
            "--serving-dir",
            str(tmp_path),
            "--postgres",
            _url(database),
        ]
    )
    assert code == 0
    assert "Copied 4 tables into PostgreSQL schema listenloop" in capsys.readouterr().out
    columns = _query(
        database,
        """select table_name, column_name, data_type, coalesce(numeric_precision, 0),
                  coalesce(numeric_scale, 0)
           from information_schema.columns where table_schema = 'listenloop'
           order by table_name, ordinal_position""",
    )
    assert columns == [
        ("call_list", "build", "integer", 32, 0),
        ("call_list", "position", "bigint", 64, 0),
        ("call_list", "phone_e164", "text", 0, 0),
        ("call_list_history", "build", "integer", 32, 0),
        ("call_list_history", "position", "bigint", 64, 0),
        ("call_list_history", "phone_e164", "text", 0, 0),
        ("mart_cart_recovery", "build", "integer", 32, 0),
        ("mart_cart_recovery", "cart", "bigint", 64, 0),
        ("mart_cx_scorecard", "build", "integer", 32, 0),
        ("mart_cx_scorecard", "period", "bigint", 64, 0),
        ("mart_cx_scorecard", "nps", "numeric", 9, 4),
        ("mart_cx_scorecard", "period_start", "date", 0, 0),
        ("mart_cx_scorecard", "voicemails", "bigint", 64, 0),
        ("mart_cx_scorecard", "verbatim", "text", 0, 0),
    ]
    assert _query(database, "select count(*), max(build) from listenloop.call_list") == [(8, 7)]
    assert _query(
        database,
        "select nps::text, period_start::text from listenloop.mart_cx_scorecard order by period",
    )[0] == ("0.4200", "2026-03-01")


def test_a_reader_querying_in_a_loop_sees_one_whole_build_at_a_time(
    tmp_path: Path, database: str
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    builds = {1: 30, 2: 5, 3: 900, 4: 60}
    publish_once = lambda build: publish_to_postgres(  # noqa: E731
        _publish_duckdb(warehouse, tmp_path, build, builds[build]), _url(database)
    )
    publish_once(1)
    seen_file = tmp_path / "seen.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-m", READER, database, str(seen_file)], cwd=PROJECT_ROOT
    )
    try:
        _wait(lambda: seen_file.exists() and seen_file.read_text().count("\n") >= 5)
        for build in (2, 3, 4):
            publish_once(build)
            time.sleep(0.3)
    finally:
        stop_reader(reader, seen_file)
    seen = [json.loads(line) for line in seen_file.read_text().splitlines()]
    assert [s for s in seen if "error" in s] == []
    expected = {b: [b, carts, 3, 2 * carts, 2 * carts] for b, carts in builds.items()}
    assert all(s["reads"] == expected[s["reads"][0]] for s in seen), seen[:5]
    assert [b for b in (1, 2, 3, 4) if any(s["reads"][0] == b for s in seen)] == [1, 2, 3, 4]


def test_a_failed_publish_is_rolled_back_and_names_no_password(
    tmp_path: Path, database: str
) -> None:
    serving = _publish_duckdb(tmp_path / "warehouse.duckdb", tmp_path, 1, 3)
    with pytest.raises(PostgresPublishError) as refused:
        publish_to_postgres(
            serving, f"postgresql://nobody:Sup3rS3cret@127.0.0.1:{PG_SERVER['port']}/{database}"
        )
    assert "Sup3rS3cret" not in str(refused.value)
    assert "cannot connect to PostgreSQL" in str(refused.value)
    # a malformed URL: libpq quotes the DSN it could not parse, password and all
    with pytest.raises(PostgresPublishError) as malformed:
        publish_to_postgres(serving, "postgresql:/bi:Sup3rS3cret@127.0.0.1/x")
    assert "Sup3rS3cret" not in str(malformed.value)
    assert "invalid dsn" in str(malformed.value)
    publish_to_postgres(serving, _url(database))
    # a table the publish cannot replace (a view depends on it): the whole publish rolls back
    _query_commit(database, "create view listenloop.pinned as select * from listenloop.call_list")
    with pytest.raises(PostgresPublishError, match="replacing the PostgreSQL schema listenloop"):
        publish_to_postgres(_publish_duckdb(tmp_path / "w2.duckdb", tmp_path, 2, 9), _url(database))
    assert _query(database, "select count(*), max(build) from listenloop.mart_cart_recovery") == [
        (3, 1)
    ]


def _publish_duckdb(warehouse: Path, serving_dir: Path, build: int, carts: int) -> Path:
    from listenloop.serving import PiiPolicy, publish

    return publish(make_warehouse(warehouse, build, carts), serving_dir, PiiPolicy()).serving_file


def _query_commit(database: str, text: str) -> None:
    with psycopg2.connect(dbname=database, **PG_SERVER) as con, con.cursor() as cur:
        cur.execute(text)


def _wait(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_bi_role_keeps_its_grants_across_publishes(tmp_path: Path, database: str) -> None:
    role = f"ll_bi_{uuid.uuid4().hex[:8]}"
    url = _url(database)
    publish_to_postgres(_publish_duckdb(tmp_path / "w1.duckdb", tmp_path, 1, 3), url)
    _query_commit(database, f"CREATE ROLE {role} LOGIN")
    try:
        _query_commit(database, f"GRANT USAGE ON SCHEMA listenloop TO {role}")
        _query_commit(database, f"GRANT SELECT ON listenloop.call_list TO {role}")
        publish_to_postgres(_publish_duckdb(tmp_path / "w2.duckdb", tmp_path, 2, 5), url)
        with (
            psycopg2.connect(
                dbname=database, host=PG_SERVER["host"], port=PG_SERVER["port"], user=role
            ) as con,
            con.cursor() as cur,
        ):
            cur.execute("select count(*), max(build) from listenloop.call_list")
            assert cur.fetchall() == [(10, 2)]
            # what was not granted before is not granted now
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("select count(*) from listenloop.mart_cart_recovery")
    finally:
        _query_commit(database, f"DROP OWNED BY {role}")
        _query_commit(database, f"DROP ROLE {role}")
