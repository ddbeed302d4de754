"""Generated feeds through the real pipeline: each segment's candidates equal the generator's
own count of eligible triggers (truth.json call_list_candidates), and the export round-trips."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from listenloop.calllist import EXPORT_COLUMNS, CallListMissing, export_call_list, format_summary
from listenloop.generator import generate
from listenloop.settings import Settings
from orchestration.pipeline_run import run_pipeline

SEG_MODELS = {
    "cart_abandoner": "seg_cart_abandoners",
    "first_purchase": "seg_first_purchasers",
    "one_time_buyer": "seg_one_time_buyers",
    "returner": "seg_returners",
    "service_followup": "seg_service_followups",
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    work = tmp_path_factory.mktemp("segments_known_answer")
    feeds = work / "feeds"
    generate(feeds, 1500, 60, 7, None)
    truth = json.loads((feeds / "truth.json").read_text())
    as_of = truth["call_list_candidates"]["as_of_date"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LISTENLOOP_AS_OF_DATE", as_of)
        patch.setenv("LISTENLOOP_TIMEZONE", "UTC")
        patch.setenv("DAGSTER_HOME", str(work / "dagster_home"))
        report = run_pipeline(
            Settings.from_env(
                feeds_dir=str(feeds),
                warehouse=work / "warehouse.duckdb",
                first_list_date=truth["generator"]["start_date"],
            )
        )
    assert report.ok, report.failed_steps
    yield report.warehouse, truth


def test_candidates_equal_the_generators_eligible_triggers(pipeline: tuple[Path, dict]) -> None:
    warehouse, truth = pipeline
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {
            segment: con.execute(
                f"select count(distinct trigger_id) from segments.{model}"
            ).fetchone()[0]
            for segment, model in SEG_MODELS.items()
        }
    assert counts == truth["call_list_candidates"]["by_segment"]


def test_csv_export_round_trips(pipeline: tuple[Path, dict], tmp_path: Path) -> None:
    warehouse, truth = pipeline
    day = date.fromisoformat(truth["call_list_candidates"]["as_of_date"])
    out = tmp_path / "list.csv"
    summary = export_call_list(warehouse, day, out, None, "csv")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(
            f"select {', '.join(EXPORT_COLUMNS)} from segments.call_list "
            "order by priority desc, trigger_at, segment, trigger_id"
        ).fetchall()
        arms = dict(
            con.execute(
                "select case when arm = 'holdout' then 'held_out' else status end, count(*) "
                "from segments.call_list_history where list_date = ? group by 1",
                [day],
            ).fetchall()
        )
    assert summary.listed == len(expected) > 0
    assert summary.held_out == arms["held_out"]
    assert summary.deferred == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == EXPORT_COLUMNS
        rows = list(reader)
    as_text = [[("" if v is None else str(v)) for v in row] for row in expected]
    for row in as_text:
        row[6:9] = [v.replace("T", " ") for v in row[6:9]]  # timestamps as ISO with a space
    assert rows == as_text
    assert all(row[3].startswith("+") for row in rows)  # phones stay text, with their '+'
    assert "held out" in format_summary(summary)


def test_jsonl_export_for_one_segment(pipeline: tuple[Path, dict], tmp_path: Path) -> None:
    warehouse, truth = pipeline
    day = date.fromisoformat(truth["call_list_candidates"]["as_of_date"])
    out = tmp_path / "list.jsonl"
    summary = export_call_list(warehouse, day, out, "cart_abandoner", "jsonl")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == summary.listed > 0
    assert {r["segment"] for r in records} == {"cart_abandoner"}
    assert all(isinstance(r["phone_e164"], str) for r in records)


def test_export_of_a_day_not_built(pipeline: tuple[Path, dict], tmp_path: Path) -> None:
    warehouse, _ = pipeline
    with pytest.raises(CallListMissing, match="no call list for 2030-01-01"):
        export_call_list(warehouse, date(2030, 1, 1), tmp_path / "x.csv", None, "csv")
