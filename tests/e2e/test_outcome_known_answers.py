"""Known answers for the outcome marts: on generated data, every figure the generator planted
falls inside the 95% interval the mart reports for it.

A 95% interval misses the planted value for 1 seed in 20, so the seed is fixed; seed 23, for
one, realises an NPS of 24.2 against the planted 30 (3 standard errors), and the mart reports
exactly that 24.2. Where truth.json records the realised figure, the mart must equal it too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.generated import run_over_generated_feeds
from tests.warehouse import records


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    truth, settings, _ = run_over_generated_feeds(
        tmp_path_factory.mktemp("outcome_known_answers"), customers=8000, days=90, seed=26
    )
    return truth, settings.warehouse


def one_row(warehouse: Path, sql: str) -> dict:
    [row] = records(warehouse, sql)
    return row


def cart_row(warehouse: Path, arm: str) -> dict:
    return one_row(
        warehouse,
        f"select * from marts.mart_cart_recovery where period_grain = 'all' and arm = '{arm}'",
    )


def test_connected_abandoners_recover_at_the_planted_rate(planted) -> None:
    truth, warehouse = planted
    treatment = cart_row(warehouse, "treatment")
    planted_rate = truth["params"]["calls"]["cart_recovery_connected"]  # 0.55
    assert treatment["connected"] > 1000
    low, high = (
        treatment["recovery_rate_connected_ci_low"],
        treatment["recovery_rate_connected_ci_high"],
    )
    assert low <= planted_rate <= high


def test_holdout_recovers_at_the_baseline(planted) -> None:
    truth, warehouse = planted
    holdout = cart_row(warehouse, "holdout")
    planted_rate = truth["params"]["calls"]["cart_recovery_baseline"]  # 0.10
    assert holdout["assignments"] > 300
    assert holdout["attempted"] == 0  # the holdout is never called
    assert holdout["recovery_rate_ci_low"] <= planted_rate <= holdout["recovery_rate_ci_high"]


def test_treatment_recovers_at_the_planted_mix(planted) -> None:
    truth, warehouse = planted
    treatment = cart_row(warehouse, "treatment")
    calls = truth["params"]["calls"]
    reached = treatment["connected"] / treatment["assignments"]
    mix = (
        reached * calls["cart_recovery_connected"] + (1 - reached) * calls["cart_recovery_baseline"]
    )
    assert treatment["recovery_rate_ci_low"] <= mix <= treatment["recovery_rate_ci_high"]
    # and the lift over the holdout is the planted one: reached x (0.55 - 0.10)
    lift = reached * (calls["cart_recovery_connected"] - calls["cart_recovery_baseline"])
    assert treatment["absolute_lift_ci_low"] <= lift <= treatment["absolute_lift_ci_high"]


def test_unattributed_calls_are_counted_not_lost(planted) -> None:
    truth, warehouse = planted
    counts = one_row(
        warehouse,
        "select count(*) as calls, sum(case when is_attributed then 1 else 0 end) as attributed,"
        " sum(case when is_attributed then 0 else 1 end) as unattributed"
        " from intermediate.int_outcomes__call_attribution",
    )
    assert counts["calls"] == truth["realised"]["connect"]["attempts"]
    assert counts["attributed"] + counts["unattributed"] == counts["calls"]
    assert counts["unattributed"] > 0


def test_price_is_the_planted_share_of_concern_mentions(planted) -> None:
    truth, warehouse = planted
    price = one_row(
        warehouse,
        "select * from marts.mart_concern_themes where period_grain = 'all'"
        " and segment = 'all' and concern_tag = 'price'",
    )
    assert price["mentions"] == truth["realised"]["concern_tags"]["by_tag"]["price"]
    planted_share = truth["params"]["calls"]["price_tag_share"]  # 0.11
    assert price["share_of_mentions_ci_low"] <= planted_share <= price["share_of_mentions_ci_high"]


def test_addressed_first_buyers_are_worth_the_planted_lift(planted) -> None:
    truth, warehouse = planted
    ltv = one_row(
        warehouse,
        "select * from marts.mart_retention_lift where period_grain = 'all'"
        " and segment = 'first_purchase' and metric = 'ltv_180d'"
        " and comparison = 'addressed_vs_holdout'",
    )
    planted_lift = truth["params"]["calls"]["ltv_lift_addressed"]  # 0.27
    assert ltv["group_members"] > 300 and ltv["holdout_members"] > 100
    assert not ltv["is_causal"]
    assert ltv["relative_lift_ci_low"] <= planted_lift <= ltv["relative_lift_ci_high"]


def test_scorecard_recovers_the_planted_nps_and_csat(planted) -> None:
    truth, warehouse = planted
    program = one_row(warehouse, "select * from marts.mart_cx_scorecard where period_grain = 'all'")
    surveys = truth["params"]["surveys"]
    nps_weights, csat_weights = surveys["nps_weights"], surveys["csat_weights"]
    planted_nps = 100 * (sum(nps_weights[9:]) - sum(nps_weights[:7])) / sum(nps_weights)  # 30
    planted_csat = sum(csat_weights[3:]) / sum(csat_weights)  # 0.80
    assert program["nps_responses"] > 1000
    assert program["nps_ci_low"] <= planted_nps <= program["nps_ci_high"]
    assert program["csat_ci_low"] <= planted_csat <= program["csat_ci_high"]
    realised = truth["realised"]["surveys"]
    assert program["nps"] == pytest.approx(realised["nps"], abs=1e-3)
    assert program["csat"] == pytest.approx(realised["csat_top2_share"], abs=1e-6)
