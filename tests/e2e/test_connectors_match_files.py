"""Shopify and Aircall as sources build the same call list and cart-recovery mart as files.

The same generated program is delivered twice. Once as the daily files, once through fake
Shopify and Aircall servers on 127.0.0.1 that a nightly pull reads day by day: an API shows
only each record's current state, so the version history a segment needs is what successive
pulls saw. Both warehouses are then built by the same Dagster job, and compared row for row.
The program has no guest checkouts, which Shopify cannot represent (see below).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import FEEDS_BY_NAME, RAW_DATASET
from ingestion.pipeline import make_pipeline
from ingestion.sources import SOURCES, assign_sources
from listenloop.settings import Settings
from orchestration.instance import open_instance
from orchestration.pipeline_run import run_pipeline
from tests.connectors.aircall_server import AircallFake, aircall_call
from tests.connectors.shopify_server import ShopifyFake
from tests.e2e.generated import run_over_generated_feeds

pytestmark = pytest.mark.slow

STORE = ("customers", "orders", "order_lines", "refunds", "checkouts")
# When each feed's row becomes visible to a pull. Lines come with their order.
VISIBLE_FROM = {
    "customers": "updated_at",
    "orders": "updated_at",
    "refunds": "created_at",
    "checkouts": "updated_at",
    "calls": "started_at",
}
COMPARED = {
    "segments.call_list": "list_date, segment, trigger_id",
    "segments.call_list_history": "list_date, segment, trigger_id",
    "marts.mart_cart_recovery": "1, 2, 3",
}


def _rows(warehouse: Path, feed: str) -> list[dict[str, str | None]]:
    """Every row `feed` landed, as text the way the files carry it, in delivery order."""
    columns = FEEDS_BY_NAME[feed].column_names
    select = ", ".join(f"cast({c} as varchar) as {c}" for c in columns)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            f"select {select} from {RAW_DATASET}.{feed} order by _source_file, _source_row"
        )
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _visible_by(rows: list[dict], feed: str, day_end: datetime, seen: set) -> list[dict]:
    """The rows a pull at `day_end` sees for the first time."""
    if feed == "order_lines":
        fresh = [r for r in rows if r["order_id"] in seen and id(r) not in seen]
    else:
        column = VISIBLE_FROM[feed]
        fresh = [
            r for r in rows if id(r) not in seen and datetime.fromisoformat(r[column]) < day_end
        ]
    seen.update(id(r) for r in fresh)
    return fresh


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    """Environment for the pulls, restored afterwards (module scope cannot use monkeypatch)."""
    saved = dict(os.environ)
    yield os.environ  # type: ignore[misc]
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("connectors_match_files")
    # Shopify attaches a customer to every checkout that has contact details, so a checkout
    # carrying an email but no customer (the files' guest checkout) has no Shopify form.
    params = root / "params.yaml"
    params.write_text("commerce:\n  guest_checkout_share: 0.0\n", encoding="utf-8")
    truth, files, _ = run_over_generated_feeds(
        root / "files", customers=700, days=21, seed=23, params_file=params
    )
    rows = {feed: _rows(files.warehouse, feed) for feed in (*STORE, "calls")}
    start = date.fromisoformat(truth["generator"]["start_date"])
    end = date.fromisoformat(truth["generator"]["end_date"])
    api = Settings.from_env(
        feeds_dir=files.feeds_dir,
        warehouse=root / "api" / "warehouse.duckdb",
        dagster_home=root / "api" / "dagster_home",
        as_of_date=files.as_of_date,
        first_list_date=files.first_list_date,
        sources=assign_sources("shopify,aircall"),
    )
    api.warehouse.parent.mkdir(parents=True)
    # A bucket that refills at once: the throttle has tests of its own, this one is about data.
    with ShopifyFake(restore_rate=1e6) as shop, AircallFake() as aircall:
        env.update(shop.settings_env(backoff_factor=0.05))
        env.update(
            {
                "SOURCES__AIRCALL__BASE_URL": aircall.base_url,
                "SOURCES__AIRCALL__API_ID": "fake-api-id",
                "SOURCES__AIRCALL__API_TOKEN": "fake-api-token",
                "SOURCES__AIRCALL__BACKOFF_FACTOR": "0.05",
            }
        )
        seen: dict[str, set] = {feed: set() for feed in rows}
        day = start
        while day <= end:
            day_end = datetime.combine(day + timedelta(days=1), datetime.min.time())
            fresh = {feed: _visible_by(rows[feed], feed, day_end, seen[feed]) for feed in STORE}
            seen["order_lines"].update(r["order_id"] for r in fresh["orders"])
            fresh["order_lines"] = _visible_by(
                rows["order_lines"], "order_lines", day_end, seen["order_lines"]
            )
            shop.apply_feed_rows(**fresh)
            for call in _visible_by(rows["calls"], "calls", day_end, seen["calls"]):
                aircall.put_call(aircall_call(call))
            for name, feeds in (("shopify", STORE), ("aircall", ("calls",))):
                spec = SOURCES[name]
                make_pipeline(api.warehouse, spec.pipeline_name).run(
                    spec.build(feeds, api.feeds_dir)
                ).raise_on_failed_jobs()
            day += timedelta(days=1)
        report = run_pipeline(api)
    assert report.ok, report.failed_steps
    # The Dagster run (events, asset metadata, logs) never carries a credential.
    with open_instance(api) as instance:
        events = repr(instance.all_logs(report.run_id))
        metadata = [
            e.asset_materialization.metadata
            for e in instance.all_logs(report.run_id)
            if e.is_dagster_event and e.dagster_event.is_step_materialization
        ]
    assert len(metadata) > 10
    for secret in (shop.token, "fake-api-token"):
        assert secret not in events
        assert secret not in report.log_file.read_text(encoding="utf-8")
    return files.warehouse, api.warehouse


def _table(warehouse: Path, table: str, order: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {table} order by {order}").fetchall()


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_the_api_sources_build_what_the_files_build(both: tuple[Path, Path], table: str) -> None:
    files, api = both
    from_files = _table(files, table, COMPARED[table])
    assert from_files, f"{table} is empty: the comparison would prove nothing"
    assert _table(api, table, COMPARED[table]) == from_files
