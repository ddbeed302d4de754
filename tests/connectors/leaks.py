"""Where a telephony connector's secret could leak, and the one test of all of them.

A secret must not reach a log line (a child process at DEBUG level, and this process), an
error message, the warehouse, or dlt's working folder (state, schemas, trace), neither as typed
nor as it travels in a basic-auth header.
"""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.sources.http import VendorError
from ingestion.sources.telephony import SettingError
from tests.connectors.aircall_server import AircallFake
from tests.connectors.telephony_load import cause_of, load, start_load
from tests.connectors.twilio_server import TwilioFake


def warehouse_texts(warehouse: Path) -> list[str]:
    """Every non-null value of every text column in the warehouse, all schemas."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where data_type = 'VARCHAR'"""
        ).fetchall()
        texts: list[str] = []
        for schema, table, column in columns:
            texts += [
                value
                for (value,) in con.execute(
                    f'select "{column}" from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
            ]
    return texts


def secret_forms(user: str, secret: str) -> list[str]:
    """The secret as typed, and as it travels in a basic-auth header."""
    return [secret, base64.b64encode(f"{user}:{secret}".encode()).decode()]


def files_containing(folder: Path, needles: list[str]) -> list[str]:
    """Files under `folder` (dlt's working folder: state, schemas, trace) holding a needle."""
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [str(path) for n in needles if n.encode() in data]
    return hits


def check_the_token_never_appears(
    vendor: str,
    fake: AircallFake | TwilioFake,
    configure: Callable[..., dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    *,
    user: str,
    token: str,
    token_key: str,
    wrong: str,
    calls_path: str,
    refused: str,
) -> None:
    """Runs `vendor`'s loads against `fake` (not started yet) and finds `token` nowhere.

    `user` and `token` are the basic-auth pair `configure(fake)` sets, `token_key` the token's
    setting (sources.<vendor>.<token_key>), `wrong` a token the fake refuses, `calls_path` the
    end of the calls list's path, and `refused` how the VendorError of a refused token starts.
    A load in a child process at DEBUG level, through a throttle and a server error; a load in
    this process, at DEBUG level, with the wrong token (a 401); a load without the token (its
    key named). Then no form of either token is in any output, error, warehouse value or file
    of dlt's working folder.
    """
    warehouse = tmp_path / "warehouse.duckdb"
    needles = secret_forms(user, token) + secret_forms(user, wrong)
    with fake:
        env = configure(fake)
        # A child process at DEBUG level, through a throttle and a server error.
        fake.throttle_next(retry_after=1)
        fake.fail_next(500)
        child = start_load(vendor, warehouse, {**env, "RUNTIME__LOG_LEVEL": "DEBUG"})
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert calls_path in err and f"{vendor}.calls" in err  # the DEBUG logs were captured
        assert not [n for n in needles if n in out + err]

        # In this process, at DEBUG level: a refused token gives a VendorError without it.
        caplog.set_level(logging.DEBUG)
        monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
        configure(fake, **{token_key: wrong})
        with pytest.raises(PipelineStepFailed) as refused_run:
            load(vendor, warehouse)
        assert fake.served()[-1].status == 401

    error = cause_of(refused_run.value, VendorError)
    assert str(error).startswith(refused)
    monkeypatch.delenv(f"SOURCES__{vendor.upper()}__{token_key.upper()}")
    with pytest.raises(PipelineStepFailed) as missing:
        load(vendor, warehouse)
    assert f"sources.{vendor}.{token_key}" in str(cause_of(missing.value, SettingError))

    texts = [
        "".join(traceback.format_exception(refused_run.value)),
        "".join(traceback.format_exception(missing.value)),
        caplog.text,
        *capfd.readouterr(),
    ]
    assert not [n for n in needles for text in texts if n in text]
    assert not [n for n in needles for text in warehouse_texts(warehouse) if n in text]
    assert files_containing(tmp_path / ".dlt_pipelines", needles) == []
