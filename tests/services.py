"""Servers some tests need (PostgreSQL, MariaDB): what to do when one does not answer, and a
scratch PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg2
import pytest
from psycopg2 import sql

REQUIRE_SERVICES_VAR = "LISTENLOOP_REQUIRE_SERVICES"


def service_unavailable(reason: str) -> NoReturn:
    """Skips the test, or fails it where the servers are promised (LISTENLOOP_REQUIRE_SERVICES=1).

    CI sets the variable, so a server that went missing there cannot pass as a skipped test.
    """
    if os.environ.get(REQUIRE_SERVICES_VAR) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_VAR}=1 requires it)", pytrace=False)
    pytest.skip(reason)


PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_MAINTENANCE_DB = "test"


@contextmanager
def postgres_scratch_database(prefix: str) -> Iterator[str]:
    """A new database on the machine's PostgreSQL, dropped afterwards; yields its name."""
    try:
        admin = psycopg2.connect(dbname=PG_MAINTENANCE_DB, connect_timeout=3, **PG_SERVER)
    except psycopg2.OperationalError as exc:
        service_unavailable(f"PostgreSQL at 127.0.0.1:5432 does not answer: {exc}".strip())
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()
