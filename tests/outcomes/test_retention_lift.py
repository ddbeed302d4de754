"""mart_retention_lift on a hand-built fixture (fixtures/retention/*.csv), built for as-of date
2026-07-15 (observed_until 07-15 00:00 UTC) with the lists starting 2026-01-01 and
low_sample_threshold 3, so both values of low_sample occur.

The story (every window in UTC, calling hours 09:00-20:00):
- first_purchase: F01-F08 place their first order 01-05 10:00 -> window opens 01-06 10:00
  (listed 01-06, month 2026-01); repeat window to 04-06 10:00, LTV window to 07-05 10:00, both
  over. F01-F05 are treatment, F06-F08 holdout. Calls on 01-06: F01 and F02 issue_resolved
  (addressed), F03 not_interested, F04 no answer, F05 never called.
  Later orders: F01 02-01 100, 05-01 50, 07-20 500 (after observed_until); F02 03-01 80,
  07-10 40 (after its LTV window); F03 06-01 60; F04 03-10 200 voided; F05 01-20 40;
  F06 02-15 70; F08 07-01 30; F07 nothing.
- one_time_buyer: whoever has not ordered again 30 days after 01-05 is listed on 02-04
  (window opens 02-04 00:00, month 2026-02): F02, F03, F04, F06, F07, F08, same order ids.
  Repeat window to 05-05, LTV window to 08-03 (still open: 161 days observed). Holdout: F03,
  F07. A call on 02-05 addresses F02 (order_placed); F04 does not answer.
- returner: R01-R05 each got 30.00 back on 01-10 12:00 for a 2025-09-01 order (long enough
  ago to be neither a first purchase nor a one-time buyer on the lists) -> window opens
  01-11 12:00 (month 2026-01), repeat to 04-11 12:00, LTV to 07-10 12:00. R01-R03 treatment,
  R04-R05 holdout; R01 addressed (issue_resolved), R02 escalated. Later: R01 02-10 120;
  R03 03-20 50, 10.00 of it refunded 04-01 10:00 (net 40); R05 02-20 60. R03's refund is a new
  returner trigger in the holdout: window opens 04-02 10:00 (month 2026-04), repeat window over
  (07-01 10:00), LTV window open: 103 days 14 h observed -> 103 days.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from listenloop.holdout import is_holdout
from tests.outcomes.build import build_marts
from tests.outcomes.intervals import T975, Z, log_interval, newcombe, t975, wilson
from tests.warehouse import query

FIXTURES = Path(__file__).parent / "fixtures" / "retention"
JAN, FEB, APR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 4, 1)
ALL = None  # the all-months rows
REPEAT, LTV, CHURN = "repeat_purchase_rate_90d", "ltv_180d", "churn_rate_180d"
ITT, ADDRESSED = "treatment_vs_holdout", "addressed_vs_holdout"

COLUMNS = (
    "group_members, coalesce(group_events, group_net_revenue), group_value, holdout_members, "
    "coalesce(holdout_events, holdout_net_revenue), holdout_value, absolute_lift, "
    "relative_lift, low_sample, is_window_complete, follow_up_days"
)


def same_row(actual: tuple, expected: tuple) -> bool:
    """Equal, with floats compared to 1e-12 (pytest.approx cannot hold a None)."""
    return len(actual) == len(expected) and all(
        a == pytest.approx(e, rel=1e-12, abs=1e-12) if isinstance(e, float) else a == e
        for a, e in zip(actual, expected, strict=True)
    )


def centre_and_half(interval: tuple[float, float]) -> tuple[float, float]:
    return (interval[0] + interval[1]) / 2, (interval[1] - interval[0]) / 2


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_marts(
        tmp_path_factory.mktemp("retention_lift"),
        FIXTURES,
        "+mart_retention_lift",
        {
            "as_of_date": "2026-07-15",
            "call_list_start_date": "2026-01-01",
            "low_sample_threshold": 3,
        },
    )


def mart(warehouse: Path, columns: str) -> dict[tuple, tuple]:
    """(segment, assignment_month, metric, comparison) -> the requested columns."""
    rows = query(
        warehouse,
        f"select segment, assignment_month, metric, comparison, {columns} "
        "from marts.mart_retention_lift",
    )
    return {row[:4]: row[4:] for row in rows}


# (treatment ids, holdout ids) per segment, as (customer, trigger)
ARMS = {
    "first_purchase": (
        [("F01", "O0100"), ("F02", "O0201"), ("F03", "O0306"), ("F04", "O0400"), ("F05", "O0500")],
        [("F06", "O0628"), ("F07", "O07118"), ("F08", "O0818")],
    ),
    "one_time_buyer": (
        [("F02", "O0201"), ("F04", "O0400"), ("F06", "O0628"), ("F08", "O0818")],
        [("F03", "O0306"), ("F07", "O07118")],
    ),
    "returner": (
        [("R01", "RF01100"), ("R02", "RF02100"), ("R03", "RF03100")],
        [("R04", "RF04105"), ("R05", "RF05110"), ("R03", "RF03210")],
    ),
}


def test_fixture_triggers_land_in_the_intended_arms() -> None:
    for segment, (treatment, holdout) in ARMS.items():
        assert not any(is_holdout(c, segment, t) for c, t in treatment), segment
        assert all(is_holdout(c, segment, t) for c, t in holdout), segment


def test_assignments_are_the_story(built: Path) -> None:
    rows = query(
        built,
        "select segment, customer_id, trigger_id, arm, assignment_month, is_addressed "
        "from intermediate.int_outcomes__assignment_results",
    )
    expected = set()
    addressed = {("first_purchase", "F01"), ("first_purchase", "F02")}
    addressed |= {("one_time_buyer", "F02"), ("returner", "R01")}
    months = {"first_purchase": JAN, "one_time_buyer": FEB, "returner": JAN}
    for segment, (treatment, holdout) in ARMS.items():
        for arm, members in (("treatment", treatment), ("holdout", holdout)):
            for customer, trigger in members:
                month = APR if trigger == "RF03210" else months[segment]
                is_addressed = (segment, customer) in addressed and arm == "treatment"
                expected.add((segment, customer, trigger, arm, month, is_addressed))
    assert set(rows) == expected
    assert len(rows) == 20


# Every row of the mart, worked out from the story. Columns: group members, group events
# (rates) or net revenue (ltv), group value, holdout members, holdout events or net revenue,
# holdout value, absolute lift, relative lift, low_sample, is_window_complete, follow_up_days.
FIRST_PURCHASE = {
    # repeat within 90 d: F01 02-01, F02 03-01, F05 01-20 of 5 | F06 02-15 of 3
    (REPEAT, ITT): (5, 3, 3 / 5, 3, 1, 1 / 3, 3 / 5 - 1 / 3, 0.6 / (1 / 3) - 1, False, True, 90),
    # net revenue to 07-05 10:00: F01 100 + 50 = 150 (07-20 is after observed_until), F02 80
    # (07-10 is after the window), F03 60, F04 0 (the 200 was voided), F05 40 -> 330 / 5 = 66;
    # holdout F06 70, F07 0, F08 30 -> 100 / 3
    (LTV, ITT): (5, 330, 66, 3, 100, 100 / 3, 66 - 100 / 3, 66 / (100 / 3) - 1, False, True, 180),
    # no order within 180 d: F04 of 5 | F07 of 3
    (CHURN, ITT): (5, 1, 1 / 5, 3, 1, 1 / 3, 1 / 5 - 1 / 3, 0.2 / (1 / 3) - 1, False, True, 180),
    # addressed F01 and F02: both repeat, 150 + 80 = 230, neither churned
    (REPEAT, ADDRESSED): (2, 2, 1.0, 3, 1, 1 / 3, 1 - 1 / 3, 1 / (1 / 3) - 1, True, True, 90),
    # 115 - 100 / 3 = 245 / 3; 115 / (100 / 3) = 3.45
    (LTV, ADDRESSED): (2, 230, 115, 3, 100, 100 / 3, 245 / 3, 3.45 - 1, True, True, 180),
    (CHURN, ADDRESSED): (2, 0, 0.0, 3, 1, 1 / 3, -1 / 3, -1.0, True, True, 180),
}
ONE_TIME_BUYER = {
    # from 02-04: repeat by 05-05 F02 03-01, F06 02-15 of F02 F04 F06 F08 | none of F03 F07
    (REPEAT, ITT): (4, 2, 0.5, 2, 0, 0.0, 0.5, None, True, True, 90),
    # to date (07-15, 161 of 180 days): F02 80 + 40 = 120, F04 0, F06 70, F08 30 -> 220 / 4;
    # holdout F03 60, F07 0 -> 60 / 2
    (LTV, ITT): (4, 220, 55, 2, 60, 30, 25, 55 / 30 - 1, True, False, 161),
    # no 180-day window is over: nobody counts yet
    (CHURN, ITT): (0, 0, None, 0, 0, None, None, None, True, False, 161),
    (REPEAT, ADDRESSED): (1, 1, 1.0, 2, 0, 0.0, 1.0, None, True, True, 90),
    (LTV, ADDRESSED): (1, 120, 120, 2, 60, 30, 90, 120 / 30 - 1, True, False, 161),
    (CHURN, ADDRESSED): (0, 0, None, 0, 0, None, None, None, True, False, 161),
}
RETURNER_JAN = {
    # repeat by 04-11 12:00: R01 02-10, R03 03-20 of 3 | R05 02-20 of 2
    (REPEAT, ITT): (3, 2, 2 / 3, 2, 1, 0.5, 2 / 3 - 0.5, (2 / 3) / 0.5 - 1, True, True, 90),
    # R01 120, R02 0, R03 50 - 10 refunded 04-01 = 40 -> 160 / 3 (the 30.00 refunds that
    # triggered the calls predate the windows); holdout R04 0, R05 60 -> 30
    (LTV, ITT): (3, 160, 160 / 3, 2, 60, 30, 160 / 3 - 30, (160 / 3) / 30 - 1, True, True, 180),
    (CHURN, ITT): (3, 1, 1 / 3, 2, 1, 0.5, 1 / 3 - 0.5, (1 / 3) / 0.5 - 1, True, True, 180),
    (REPEAT, ADDRESSED): (1, 1, 1.0, 2, 1, 0.5, 0.5, 1 / 0.5 - 1, True, True, 90),
    (LTV, ADDRESSED): (1, 120, 120, 2, 60, 30, 90, 120 / 30 - 1, True, True, 180),
    (CHURN, ADDRESSED): (1, 0, 0.0, 2, 1, 0.5, -0.5, -1.0, True, True, 180),
}
# R03's April refund: a holdout-only month; its repeat window (to 07-01 10:00) is over
RETURNER_APR = {
    (metric, comparison): row
    for comparison in (ITT, ADDRESSED)
    for metric, row in (
        (REPEAT, (0, 0, None, 1, 0, 0.0, None, None, True, True, 90)),
        (LTV, (0, 0, None, 1, 0, 0.0, None, None, True, False, 103)),
        (CHURN, (0, 0, None, 0, 0, None, None, None, True, False, 103)),
    )
}
# all months: the January treatment against the holdout of January and April (R04, R05, R03')
RETURNER_ALL = {
    (REPEAT, ITT): (3, 2, 2 / 3, 3, 1, 1 / 3, 1 / 3, (2 / 3) / (1 / 3) - 1, False, True, 90),
    # holdout (0 + 60 + 0) / 3 = 20; R03' is still open, 103 days observed
    (LTV, ITT): (3, 160, 160 / 3, 3, 60, 20, 160 / 3 - 20, (160 / 3) / 20 - 1, False, False, 103),
    # R03' is left out of the churn rate: R04 of R04, R05
    (CHURN, ITT): (3, 1, 1 / 3, 2, 1, 0.5, 1 / 3 - 0.5, (1 / 3) / 0.5 - 1, True, False, 103),
    (REPEAT, ADDRESSED): (1, 1, 1.0, 3, 1, 1 / 3, 2 / 3, 1 / (1 / 3) - 1, True, True, 90),
    (LTV, ADDRESSED): (1, 120, 120, 3, 60, 20, 100, 120 / 20 - 1, True, False, 103),
    (CHURN, ADDRESSED): (1, 0, 0.0, 2, 1, 0.5, -0.5, -1.0, True, False, 103),
}
EMPTY = (0, 0, None, 0, 0, None, None, None, True, False, None)


def expected_rows() -> dict[tuple, tuple]:
    blocks = {
        # a segment with one month has all-months rows equal to that month's
        ("first_purchase", JAN): FIRST_PURCHASE,
        ("first_purchase", ALL): FIRST_PURCHASE,
        ("one_time_buyer", FEB): ONE_TIME_BUYER,
        ("one_time_buyer", ALL): ONE_TIME_BUYER,
        ("returner", JAN): RETURNER_JAN,
        ("returner", APR): RETURNER_APR,
        ("returner", ALL): RETURNER_ALL,
    }
    expected = {}
    for segment in ARMS:
        for month in (JAN, FEB, APR, ALL):
            for metric in (REPEAT, LTV, CHURN):
                for comparison in (ITT, ADDRESSED):
                    block = blocks.get((segment, month))
                    row = block[(metric, comparison)] if block else EMPTY
                    expected[(segment, month, metric, comparison)] = row
    return expected


def test_every_cell_of_the_grid_has_its_hand_computed_row(built: Path) -> None:
    actual = mart(built, COLUMNS)
    expected = expected_rows()
    # 3 months + all months, x 3 segments x 3 metrics x 2 comparisons
    assert len(actual) == 72
    assert actual.keys() == expected.keys()
    for key, row in expected.items():
        assert same_row(actual[key], row), (key, actual[key], row)


def test_labels_and_the_measure_columns_by_metric(built: Path) -> None:
    rows = query(
        built,
        "select distinct metric, comparison, is_causal, window_days, period_grain = 'all', "
        "assignment_month is null, group_events is null, group_net_revenue is null, "
        "observed_until from marts.mart_retention_lift",
    )
    until = datetime(2026, 7, 15)
    expected = set()
    for comparison, causal in ((ITT, True), (ADDRESSED, False)):
        for all_months in (True, False):
            for metric, days in ((REPEAT, 90), (LTV, 180), (CHURN, 180)):
                is_ltv = metric == LTV
                labels = (metric, comparison, causal, days, all_months, all_months)
                expected.add((*labels, is_ltv, not is_ltv, until))
    assert set(rows) == expected


def test_wilson_and_newcombe_intervals_of_a_rate(built: Path) -> None:
    columns = (
        "group_value_ci_low, group_value_ci_high, holdout_value_ci_low, holdout_value_ci_high, "
        "absolute_lift_ci_low, absolute_lift_ci_high, relative_lift_ci_low, relative_lift_ci_high"
    )
    row = mart(built, columns)[("first_purchase", JAN, REPEAT, ITT)]
    # repeat purchase: 3 of 5 treated vs 1 of 3 held out
    katz_se = math.sqrt(1 / 3 - 1 / 5 + 1 / 1 - 1 / 3)
    assert row == pytest.approx(
        (
            *wilson(3, 5),
            *wilson(1, 3),
            *newcombe(3, 5, 1, 3),
            *log_interval(0.6 / (1 / 3), katz_se),
        ),
        rel=1e-9,
    )
    # hand check of the Wilson centre for 3 / 5: (0.6 + z^2 / 10) / (1 + z^2 / 5)
    assert sum(row[:2]) / 2 == pytest.approx((0.6 + Z * Z / 10) / (1 + Z * Z / 5), rel=1e-12)


def test_welch_and_t_intervals_of_ltv(built: Path) -> None:
    columns = (
        "group_value_ci_low, group_value_ci_high, absolute_lift_ci_low, absolute_lift_ci_high, "
        "relative_lift_ci_low, relative_lift_ci_high"
    )
    row = mart(built, columns)[("first_purchase", JAN, LTV, ITT)]
    # treatment 150, 80, 60, 0, 40: mean 66, squared deviations 84^2 + 14^2 + 6^2 + 66^2 + 26^2
    # = 12320, variance 12320 / 4 = 3080; holdout 70, 0, 30: mean 100 / 3, variance
    # (70^2 + 30^2 - 3 * (100 / 3)^2) / 2 = 3700 / 3
    var_t, var_h = 3080, 3700 / 3
    se_t2, se_h2 = var_t / 5, var_h / 3  # 616 and 411.11
    # Welch-Satterthwaite: 1027.11^2 / (616^2 / 4 + 411.11^2 / 2) = 5.8814
    df = (se_t2 + se_h2) ** 2 / (se_t2**2 / 4 + se_h2**2 / 2)
    assert df == pytest.approx(5.8814, abs=1e-4)
    centre, half = centre_and_half(row[2:4])
    assert centre == pytest.approx(66 - 100 / 3, rel=1e-12)
    assert half == pytest.approx(t975(df) * math.sqrt(se_t2 + se_h2), rel=1e-3)  # 2.459 * 32.05
    # the treatment mean: 66 -/+ t(4) * sqrt(3080 / 5)
    centre, half = centre_and_half(row[0:2])
    assert centre == pytest.approx(66, rel=1e-12)
    assert half == pytest.approx(T975[4] * math.sqrt(616), rel=1e-3)
    # relative lift, delta method:
    # var(ln ratio) = 3080 / (5 * 66^2) + (3700 / 3) / (3 * (100 / 3)^2)
    delta_se = math.sqrt(3080 / (5 * 66**2) + (3700 / 3) / (3 * (100 / 3) ** 2))
    assert row[4:] == pytest.approx(log_interval(66 / (100 / 3), delta_se), rel=1e-9)


def test_undefined_intervals_are_empty(built: Path) -> None:
    columns = (
        "group_value_ci_low, absolute_lift_ci_low, relative_lift_ci_low, relative_lift_ci_high"
    )
    rows = mart(built, columns)
    # one addressed one-time buyer: no variance, so no t or Welch interval; the holdout's
    # mean 30 is positive but the group's variance is unknown, so no ratio interval either
    assert rows[("one_time_buyer", FEB, LTV, ADDRESSED)] == (None, None, None, None)
    # nobody in the one-time-buyer holdout repeated: no risk ratio, but Newcombe is defined
    group_low, diff_low, rel_low, rel_high = rows[("one_time_buyer", FEB, REPEAT, ITT)]
    assert (rel_low, rel_high) == (None, None)
    assert group_low == pytest.approx(wilson(2, 4)[0], rel=1e-9)
    assert diff_low == pytest.approx(newcombe(2, 4, 0, 2)[0], rel=1e-9)
