"""The written files follow the feeds contract: names, formats, columns and wire forms."""

from __future__ import annotations

import csv
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.contract import CONCERN_TAGS, FEEDS, Kind
from tests.generator.conftest import SMALL
from tests.generator.feeds import instant, read_feed

FEED_NAMES = [f.name for f in FEEDS]


@pytest.mark.parametrize("feed", FEEDS, ids=FEED_NAMES)
def test_one_file_per_day_with_rows_in_all_three_formats(small_run, feed):
    root, truth = small_run
    files = sorted((root / feed.name).iterdir())
    assert 3 <= len(files) <= SMALL["days"]
    assert len({f.stem for f in files}) == len(files)  # at most one file a day
    assert all(f.stat().st_size > 0 for f in files)  # an empty day writes no file
    assert {f.suffix for f in files} == {".csv", ".jsonl", ".parquet"}
    assert sum(truth["files"][feed.name].values()) == len(files)


@pytest.mark.parametrize("feed", FEEDS, ids=FEED_NAMES)
def test_columns_match_the_contract_exactly(small_run, feed):
    root, _ = small_run
    expected = list(feed.column_names)
    for path in sorted((root / feed.name).iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as f:
                assert next(csv.reader(f)) == expected, path
        elif path.suffix == ".parquet":
            assert pq.read_schema(path).names == expected, path
        else:
            for line in path.read_text(encoding="utf-8").splitlines():
                assert list(json.loads(line)) == expected, path


def test_csv_booleans_lists_and_money_follow_the_contract(small_run):
    root, _ = small_run
    money = re.compile(r"^\d+\.\d{2}$")
    for feed in FEEDS:
        for path in sorted((root / feed.name).glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    for col in feed.columns:
                        value = row[col.name]
                        if col.kind is Kind.BOOLEAN:
                            assert value in ("true", "false", ""), (path, col.name, value)
                        elif col.kind is Kind.TAG_LIST and value:
                            assert set(value.split(";")) <= set(CONCERN_TAGS), (path, value)
                        elif col.kind is Kind.MONEY and value:
                            assert money.match(value), (path, col.name, value)


def test_jsonl_and_parquet_tags_are_lists(small_run):
    root, _ = small_run
    jsonl_tags = [
        json.loads(line)["concern_tags"]
        for path in (root / "calls").glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert any(isinstance(t, list) and len(t) == 2 for t in jsonl_tags)
    assert all(t is None or isinstance(t, list) for t in jsonl_tags)
    parquet = next((root / "calls").glob("*.parquet"))
    assert pq.read_schema(parquet).field("concern_tags").type == pa.list_(pa.string())
    assert pq.read_schema(parquet).field("talk_seconds").type == pa.int64()
    orders = next((root / "orders").glob("*.parquet"))
    assert pq.read_schema(orders).field("total").type == pa.decimal128(18, 2)


def test_timestamps_mix_z_offsets_and_naive_utc(small_run):
    root, _ = small_run
    stamps = [r["started_at"] for r in read_feed(root, "calls") if r["started_at"]]
    assert any(s.endswith("Z") for s in stamps)
    assert any(re.search(r"[+-]\d{2}:\d{2}$", s) for s in stamps)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", s) for s in stamps)


@pytest.mark.parametrize("feed", [f for f in FEEDS if f.dated_by], ids=lambda f: f.name)
def test_a_clean_record_sits_in_the_file_of_its_day(small_run, feed):
    """Versioned feeds: the file of the version's updated_at; the others: the dating stamp."""
    root, _ = small_run
    column = feed.version_column or feed.dated_by
    seen = set()
    for row in read_feed(root, feed.name):
        values = tuple(v for k, v in row.items() if k != "_file")
        # Skip re-deliveries: exact duplicates and the corrupted copies (quarantine-bound).
        corrupt = row.get("disposition") in (
            "hung_up",
            "transferred",
            "machine_detected",
            "dropped",
        )
        if values in seen or corrupt or not row[feed.primary_key]:
            continue
        seen.add(values)
        stamp = instant(row[column])
        if stamp and instant(row[feed.dated_by]):
            assert stamp.date().isoformat() == row["_file"].split(".")[0], (feed.name, row)
