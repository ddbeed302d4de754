"""The call program as the files show it: holdout respected, planted rates recovered."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pytest

from ingestion.contract import DISPOSITIONS
from listenloop.generator import generate, load_params
from listenloop.holdout import is_holdout
from tests.generator.feeds import instant, read_feed

DAY = dt.timedelta(days=1)


def _clean(rows: list[dict], key: str, stamp: str) -> list[dict]:
    """One row per exact record, without the corrupted (quarantine-bound) copies."""
    seen, out = set(), []
    for r in rows:
        values = tuple(v for k, v in r.items() if k != "_file")
        bad = r.get("disposition") is not None and r["disposition"] not in DISPOSITIONS
        if values in seen or bad or not r[key] or instant(r[stamp]) is None:
            continue
        seen.add(values)
        out.append(r)
    return out


def _triggers(root) -> dict[str, list[tuple[str, str, dt.datetime]]]:
    """(customer_id, trigger_id, window start) per segment, rebuilt from the files alone."""
    customers = _clean(read_feed(root, "customers"), "customer_id", "created_at")
    by_email = {c["email"]: c["customer_id"] for c in customers}
    checkouts = _clean(read_feed(root, "checkouts"), "checkout_id", "created_at")
    orders = _clean(read_feed(root, "orders"), "order_id", "created_at")
    refunds = _clean(read_feed(root, "refunds"), "refund_id", "created_at")
    calls = _clean(read_feed(root, "calls"), "call_id", "started_at")

    completed = {
        k["checkout_id"]: instant(k["completed_at"]) for k in checkouts if k["completed_at"]
    }
    out: dict[str, list] = defaultdict(list)
    for k in checkouts:
        if k["completed_at"]:
            continue
        updated = instant(k["updated_at"])
        done = completed.get(k["checkout_id"])
        if done is None or done > updated + dt.timedelta(hours=1):
            customer = k["customer_id"] or by_email.get(k["email"])
            if customer:
                out["cart_abandoner"].append((customer, k["checkout_id"], updated + DAY))
    first_orders: dict[str, list] = defaultdict(list)
    order_customer = {}
    for o in orders:
        order_customer[o["order_id"]] = o["customer_id"]
        first_orders[o["customer_id"]].append((instant(o["created_at"]), o["order_id"]))
    for customer, placed in first_orders.items():
        placed = sorted(set(placed))
        at, order_id = placed[0]
        out["first_purchase"].append((customer, order_id, at + DAY))
        day30 = at + 30 * DAY
        if len(placed) == 1 or placed[1][0] > day30:
            out["one_time_buyer"].append((customer, order_id, day30))
    for r in refunds:
        out["returner"].append(
            (order_customer[r["order_id"]], r["refund_id"], instant(r["created_at"]) + DAY)
        )
    for c in calls:
        if c["direction"] == "inbound" and c["resolved_first_contact"] == "false":
            out["service_followup"].append(
                (c["customer_id"], c["call_id"], instant(c["ended_at"]) + DAY)
            )
    return out


def test_holdout_members_are_never_called_for_that_trigger(small_run):
    root, _ = small_run
    calls = _clean(read_feed(root, "calls"), "call_id", "started_at")
    dialled = defaultdict(list)
    for c in calls:
        if c["direction"] == "outbound":
            dialled[(c["customer_id"], c["campaign"])].append(instant(c["started_at"]))
    held = called = 0
    for segment, triggers in _triggers(root).items():
        for customer, trigger, window_start in triggers:
            in_window = [
                t for t in dialled[(customer, segment)] if window_start <= t < window_start + DAY
            ]
            if is_holdout(customer, segment, trigger):
                held += 1
                assert not in_window, (segment, customer, trigger)
            else:
                called += bool(in_window)
    assert held >= 20
    assert called >= 200


@pytest.fixture(scope="module")
def larger_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("larger")
    return out, generate(out, customers=3000, days=120, seed=3)


def _within(observed: float, expected: float, n: int, slack: float = 0.0) -> bool:
    """Within 4 binomial standard errors (plus any model slack) of the planted figure."""
    return abs(observed - expected) <= 4 * math.sqrt(expected * (1 - expected) / n) + slack


def test_connect_rate_comes_out_near_the_planted_rate(larger_run):
    root, truth = larger_run
    params = load_params()
    calls = _clean(read_feed(root, "calls"), "call_id", "started_at")
    outbound = [c for c in calls if c["direction"] == "outbound"]
    connects = sum(c["disposition"] == "connected" for c in outbound)
    rate = connects / len(outbound)
    assert rate == pytest.approx(truth["realised"]["connect"]["connect_rate"], abs=1e-6)
    assert _within(rate, truth["realised"]["connect"]["expected_connect_rate"], len(outbound))
    # The segment and hour multipliers average ~1, so the plain parameter holds within 0.01.
    assert _within(rate, params.calls.connect_rate, len(outbound), slack=0.01)


def test_price_share_of_concern_mentions_comes_out_near_the_planted_share(larger_run):
    root, truth = larger_run
    calls = _clean(read_feed(root, "calls"), "call_id", "started_at")
    tags = [t for c in calls if c["concern_tags"] for t in c["concern_tags"].split(";")]
    share = tags.count("price") / len(tags)
    assert share == pytest.approx(truth["realised"]["concern_tags"]["price_share"], abs=1e-6)
    assert _within(share, load_params().calls.price_tag_share, len(tags))


def test_connected_cart_abandoners_recover_far_more_than_the_holdout(larger_run):
    _, truth = larger_run
    params = load_params().calls
    arms = truth["realised"]["cart_recovery"]
    connected, holdout = arms["connected"], arms["holdout"]
    assert _within(connected["rate"], params.cart_recovery_connected, connected["triggers"])
    # Baseline: the planted 10%, plus the odd unrelated order that lands in the window.
    assert _within(holdout["rate"], params.cart_recovery_baseline, holdout["triggers"], 0.01)


def test_survey_scores_look_like_the_planted_distributions(larger_run):
    _, truth = larger_run
    s = truth["realised"]["surveys"]
    assert s["promoter_share"] == pytest.approx(0.5, abs=0.04)
    assert s["detractor_share"] == pytest.approx(0.2, abs=0.04)
    assert s["csat_top2_share"] == pytest.approx(0.8, abs=0.04)
    assert s["ces_mean"] == pytest.approx(2.54, abs=0.12)
