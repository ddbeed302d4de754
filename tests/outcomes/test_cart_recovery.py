"""Cart recovery, revenue per conversation and call attribution on a hand-built fixture.

fixtures/cart/README.md tells the story of each cart; every expected number below is worked out
by hand from it. The build runs for as-of date 2026-03-20, so the carts of 03-09 have closed
their 7-day conversion window (03-17 08:00) and K12's has not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from listenloop.holdout import is_holdout
from tests.outcomes.build import build_marts
from tests.outcomes.intervals import log_interval, newcombe, t975, wilson
from tests.warehouse import records

FIXTURES = Path(__file__).parent / "fixtures" / "cart"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_marts(
        tmp_path_factory.mktemp("cart_recovery"),
        FIXTURES,
        "+mart_program_summary",
        {"as_of_date": "2026-03-20"},
    )


def test_fixture_arms_are_the_intended_ones() -> None:
    assert all(
        is_holdout(c, "cart_abandoner", k)
        for c, k in [("C07", "KC005"), ("C08", "KC017"), ("C09", "KC021"), ("C10", "KC027")]
    )
    assert not any(
        is_holdout(f"C{i:02d}", "cart_abandoner", f"K{i:02d}") for i in (1, 2, 3, 4, 5, 6, 12)
    )


def test_every_outbound_call_is_attributed_or_counted_unattributed(built: Path) -> None:
    calls = records(
        built,
        "select call_id, trigger_id, is_attributed from "
        "intermediate.int_outcomes__call_attribution order by call_id",
    )
    by_call = {c["call_id"]: c["trigger_id"] for c in calls}
    # 12 outbound calls: 8 inside their cart's window + grace, 4 that match no assignment
    assert len(calls) == 12
    assert by_call == {
        "CT1A": "K01",
        "CT1B": "K01",
        "CT2A": "K02",
        "CT3A": "K03",
        "CT3B": "K03",
        "CT3C": "K03",
        "CT4A": "K04",
        "CT6A": "K06",
        "CT2X": None,  # 03-12 09:00, an hour after the grace ended
        "CT4X": None,  # campaign first_purchase: C04 has no first-purchase assignment
        "CU1": None,  # C11 was never on a list
        "CU2": None,  # a returner call to C08, who has no refund
    }


def test_cart_recovery_by_arm(built: Path) -> None:
    result = {
        r["arm"]: r
        for r in records(
            built,
            "select * from marts.mart_cart_recovery where period_grain = 'week' "
            "and week_start = date '2026-03-09'",
        )
    }
    treatment, holdout = result["treatment"], result["holdout"]
    # treatment K01-K06: called K01-K04, K06; reached K01, K02, K06; recovered K01, K03, K05
    assert (treatment["assignments"], treatment["pending_assignments"]) == (6, 0)
    assert (treatment["attempted"], treatment["connected"], treatment["recovered"]) == (5, 3, 3)
    assert treatment["recovery_rate"] == pytest.approx(3 / 6)
    assert (treatment["recovery_rate_ci_low"], treatment["recovery_rate_ci_high"]) == (
        pytest.approx(wilson(3, 6)[0]),
        pytest.approx(wilson(3, 6)[1]),
    )
    assert treatment["recovered_revenue"] == pytest.approx(100 + 50 + 30)
    # descriptive: of the 3 reached, only K01 recovered
    assert treatment["connected_recovered"] == 1
    assert treatment["recovery_rate_connected"] == pytest.approx(1 / 3)
    # holdout: KC005 recovered (O07, 80.00) of 4
    assert (holdout["assignments"], holdout["recovered"]) == (4, 1)
    assert holdout["recovery_rate"] == pytest.approx(0.25)
    assert holdout["recovered_revenue"] == pytest.approx(80.0)
    assert holdout["absolute_lift"] is None and holdout["recovery_rate_connected"] is None
    # reached inside the 7 days by a call for something else: K02's customer by CT2X (after the
    # grace), the holdout's KC017 by CU2 (contamination)
    assert (treatment["reached_by_other_calls"], holdout["reached_by_other_calls"]) == (1, 1)
    assert treatment["low_sample"] and holdout["low_sample"]  # 6 and 4 carts < 30


def test_lift_intervals(built: Path) -> None:
    [t] = records(
        built,
        "select * from marts.mart_cart_recovery where period_grain = 'all' and arm = 'treatment'",
    )
    # absolute: 0.5 - 0.25, Newcombe from the two Wilson intervals
    assert t["absolute_lift"] == pytest.approx(0.25)
    assert (t["absolute_lift_ci_low"], t["absolute_lift_ci_high"]) == pytest.approx(
        newcombe(3, 6, 1, 4)
    )
    # relative: 0.5 / 0.25 - 1 = 1; Katz: se(ln RR) = sqrt(1/3 - 1/6 + 1/1 - 1/4)
    se = math.sqrt(1 / 3 - 1 / 6 + 1 - 1 / 4)
    assert t["relative_lift"] == pytest.approx(1.0)
    assert (t["relative_lift_ci_low"], t["relative_lift_ci_high"]) == pytest.approx(
        log_interval(2.0, se)
    )
    # revenue per cart: treatment [100, 0, 50, 0, 30, 0] mean 30, variance 8000/5 = 1600;
    # holdout [80, 0, 0, 0] mean 20, variance 4800/3 = 1600; 6 x (30 - 20) = 60
    se = math.sqrt(1600 / 6 + 1600 / 4)
    df = (1600 / 6 + 1600 / 4) ** 2 / ((1600 / 6) ** 2 / 5 + (1600 / 4) ** 2 / 3)
    assert df == pytest.approx(6.5789, abs=1e-4)
    assert t["incremental_recovered_revenue"] == pytest.approx(60.0)
    # the mart's t quantile is a series approximation: within 0.005 of the table at df 6.6
    assert t["incremental_recovered_revenue_ci_low"] == pytest.approx(
        6 * (10 - t975(df) * se), abs=0.7
    )
    assert t["incremental_recovered_revenue_ci_high"] == pytest.approx(
        6 * (10 + t975(df) * se), abs=0.7
    )


def test_open_window_is_pending(built: Path) -> None:
    result = records(
        built,
        "select week_start, arm, assignments, pending_assignments, recovery_rate "
        "from marts.mart_cart_recovery where arm = 'treatment' order by week_start",
    )
    # K12 (week of 03-16) closes its window on 03-23, after the as-of date
    assert [
        (
            r["week_start"].isoformat() if r["week_start"] else None,
            r["assignments"],
            r["pending_assignments"],
        )
        for r in result
    ] == [("2026-03-09", 6, 0), ("2026-03-16", 0, 1), (None, 6, 1)]
    assert result[1]["recovery_rate"] is None


def test_revenue_per_conversation(built: Path) -> None:
    [cart] = records(
        built,
        "select * from marts.mart_revenue_per_conversation "
        "where period_grain = 'all' and segment = 'cart_abandoner'",
    )
    # 8 attributed calls (K01 2, K02 1, K03 3, K04 1, K06 1), 3 connected
    assert (cart["conversations"], cart["connects"]) == (8, 3)
    # after the first call: O01 100.00 (14:08, first call 10:00) + O03 50.00; K05 was never called
    assert cart["attributed_revenue"] == pytest.approx(150.0)
    assert cart["revenue_per_conversation"] == pytest.approx(150 / 8)
    assert cart["revenue_per_connect"] == pytest.approx(50.0)
    assert cart["revenue_per_treatment_assignment"] == pytest.approx(30.0)
    assert cart["revenue_per_holdout_assignment"] == pytest.approx(20.0)
    assert cart["incremental_revenue"] == pytest.approx(60.0)
    assert cart["incremental_revenue_per_conversation"] == pytest.approx(60 / 8)
    assert (cart["treatment_assignments"], cart["holdout_assignments"]) == (6, 4)


def test_program_summary_week(built: Path) -> None:
    [week] = records(
        built, "select * from marts.mart_program_summary where week_start = date '2026-03-09'"
    )
    # all 12 outbound calls fall in the week (03-10 to 03-13); CT1B, CT2A, CT6A, CT2X and CU2
    # connected; CT2X, CT4X, CU1 and CU2 belong to no assignment
    assert (week["calls"], week["connects"], week["unattributed_calls"]) == (12, 5, 4)
    assert week["connect_rate"] == pytest.approx(5 / 12)
    assert (week["connect_rate_ci_low"], week["connect_rate_ci_high"]) == pytest.approx(
        wilson(5, 12)
    )
    # the carts of the week, as in mart_cart_recovery
    assert (week["carts_assigned"], week["carts_recovered"]) == (6, 3)
    assert week["cart_recovery_rate"] == pytest.approx(0.5)
    assert week["cart_recovery_lift"] == pytest.approx(0.25)
    assert (week["cart_recovery_lift_ci_low"], week["cart_recovery_lift_ci_high"]) == (
        pytest.approx(newcombe(3, 6, 1, 4))
    )
    assert week["incremental_recovered_revenue"] == pytest.approx(60.0)
    # first purchases listed this week (C07 on 03-13, C03 on 03-15) still have open conversion
    # windows at 03-20, so only the 8 cart calls count: 150 / 8
    assert week["conversations"] == 8
    assert week["revenue_per_conversation"] == pytest.approx(18.75)
    # LTV: C07 and C03 are first-purchase treatment members, no holdout member this week; the
    # younger (C03, window from 03-15 12:00) has 5 calendar days to 03-20
    assert (week["ltv_treatment_members"], week["ltv_holdout_members"]) == (2, 0)
    assert week["ltv_follow_up_days"] == 5
    assert week["ltv_lift"] is None
    # concerns on the week's conversations: shipping_cost, price, sizing_fit once each; the tie
    # goes to the alphabetically first
    assert (week["top_concern"], week["top_concern_mentions"], week["concern_mentions"]) == (
        "price",
        1,
        3,
    )
    assert week["price_share_of_mentions"] == pytest.approx(1 / 3)
    # no surveys were answered
    assert (week["nps_responses"], week["nps"], week["csat_responses"], week["csat"]) == (
        0,
        None,
        0,
        None,
    )
    assert week["is_complete_week"] and week["low_sample"]


def test_program_summary_has_every_week_to_the_as_of_date(built: Path) -> None:
    weeks = records(
        built,
        "select week_start, calls, carts_assigned, ltv_treatment_members, ltv_holdout_members,"
        " is_complete_week from marts.mart_program_summary order by week_start",
    )
    # week of 03-16: no calls; K12 pending (0 counted carts); C05's first purchase (03-16) is
    # the only retention member, in the holdout; C06's (03-18) was suppressed, reached on 03-11
    assert [tuple(w.values()) for w in weeks] == [
        (date(2026, 3, 9), 12, 6, 2, 0, True),
        (date(2026, 3, 16), 0, 0, 0, 1, False),
    ]
