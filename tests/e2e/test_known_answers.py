"""Known answers: the marts and the quarantine recover what the generator planted."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from listenloop.settings import Settings
from orchestration.pipeline_run import RunReport, run_pipeline
from tests.e2e.generated import run_over_generated_feeds

# What the validator calls a refusal, and what the generator calls the fault it planted.
RULE_TO_FAULT = {
    "missing": "missing_key",
    "unparsable": "unparsable_timestamp",
    "below_minimum": "negative_value",
    "not_in_enum": "unknown_enum_value",
}


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Settings, RunReport]:
    return run_over_generated_feeds(
        tmp_path_factory.mktemp("known_answers"), customers=2500, days=60, seed=11
    )


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_outbound_connect_rate_covers_the_planted_rate(planted) -> None:
    truth, settings, _ = planted
    [(attempts, connects)] = _query(
        settings,
        "select sum(attempts), sum(connects) from marts.mart_call_outcomes_daily"
        " where direction = 'outbound'",
    )
    planted_connect = truth["realised"]["connect"]
    assert attempts == planted_connect["attempts"]
    low, high = wilson_interval(connects, attempts)
    assert low <= planted_connect["expected_connect_rate"] <= high
    assert low <= truth["params"]["calls"]["connect_rate"] <= high


def test_quarantine_holds_exactly_the_injected_faults(planted) -> None:
    truth, settings, report = planted
    rows = _query(settings, "select feed, rule, count(*) from raw.quarantine group by all")
    found: dict[str, dict[str, int]] = {}
    for feed, rule, count in rows:
        found.setdefault(feed, {})[RULE_TO_FAULT[rule]] = count
    expected = {
        feed: {kind: n for kind, n in kinds.items() if n}
        for feed, kinds in truth["expected_quarantine"].items()
    }
    assert found == expected
    assert report.quarantined == {feed: sum(k.values()) for feed, k in expected.items()}


def test_every_file_balances_read_against_loaded_and_quarantined(planted) -> None:
    _, settings, _ = planted
    [(files, unbalanced, read, loaded, quarantined)] = _query(
        settings,
        "select count(*), count(*) filter (where rows_read <> rows_loaded + rows_quarantined),"
        " sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw.ingested_files",
    )
    truth, _, _ = planted
    assert files == sum(sum(formats.values()) for formats in truth["files"].values())
    assert unbalanced == 0
    assert read == sum(r["lines_written"] for r in truth["rows"].values())
    assert read == loaded + quarantined


def test_raw_tables_hold_every_clean_record_once(planted) -> None:
    truth, _, report = planted
    for feed, rows in truth["rows"].items():
        assert report.raw_rows[feed] == rows["expected_raw_rows"], feed


def _fingerprints(warehouse: Path) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table the pipeline writes."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_name not like '\\_dlt%' escape '\\'"
            " and table_name <> 'ingested_files' and table_schema <> 'raw_staging'"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(
                f'select count(*), sum(hash(t)) from "{schema}"."{name}" t'
            ).fetchone()
            for schema, name in tables
        }


def test_running_again_over_the_same_feeds_changes_nothing(planted) -> None:
    _, settings, _ = planted
    before = _fingerprints(settings.warehouse)
    report = run_pipeline(settings)
    assert report.ok
    assert _fingerprints(settings.warehouse) == before
    [(files_read_again,)] = _query(
        settings,
        "select count(*) from raw.ingested_files"
        " where load_id = (select max(load_id) from raw.ingested_files)"
        " and load_id <> (select min(load_id) from raw.ingested_files)",
    )
    assert files_read_again == 0


def test_the_build_publishes_every_mart_and_the_call_list_for_bi(planted) -> None:
    _, settings, report = planted
    serving = settings.serving_dir / "serving.duckdb"
    assert report.published_to == serving
    with duckdb.connect(str(serving), read_only=True) as con:
        names = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()"
            " where schema_name <> 'main'"
        ).fetchall()
        served = {
            name: con.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in names
        }
        columns = con.execute(
            "select table_schema || '.' || table_name, column_name"
            " from information_schema.columns where table_schema <> 'main'"
        ).fetchall()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        built = [
            row
            for row in con.execute(
                "select table_schema || '.' || table_name, column_name"
                " from information_schema.columns"
            ).fetchall()
            if row[0] in served
        ]
    expected = {f"marts.{name}": rows for name, rows in report.mart_rows.items()}
    expected["segments.call_list"] = report.segment_rows["call_list"]
    expected["segments.call_list_history"] = report.segment_rows["call_list_history"]
    assert served == expected
    # The marts hold no email or phone column and the call list no email: nothing is withheld,
    # and `voicemails` (a count, not an email) is served.
    assert sorted(columns) == sorted(built)
    assert ("marts.mart_call_outcomes_daily", "voicemails") in columns
    parquet = settings.serving_dir / "serving"
    assert sorted(p.stem for p in parquet.glob("*.parquet")) == sorted(
        name.split(".")[1] for name in expected
    )
