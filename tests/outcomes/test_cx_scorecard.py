"""A real `dbt build` of mart_cx_scorecard over hand-written raw feeds, checked by hand.

The program timezone is America/New_York (EST, UTC-5, until 2026-03-08 02:00 local; EDT, UTC-4,
after), so several rows (fixtures/scorecard/*.csv) sit just past midnight UTC but on the
previous local day. The as-of date D is Wednesday 2026-03-11: observed_until = 2026-03-11 00:00
EDT = 04:00 UTC. Checked rows:
- week 2026-03-02 (Mon 2 - Sun 8 March, complete; customer windows end 2026-03-09),
- month 2026-02 (complete; windows end 2026-03-01),
- month 2026-03 (open; observed up to D, so its windows end 2026-03-11).
Boundary rows: S08/O06 (UTC 9 March, local 8 March: in week 2 March), S15/O11 (UTC 2 March,
local 1 March: week 23 February, month March), S09/I08 (UTC 1 March, local 28 February: month
February), S13/O10 (local 31 January: not February), S17/I12 (one moment before observed_until:
counted), S18/O12/OR18 (at or after observed_until: not counted).

Customers (order days local; "active" = an order in the 365 days before a window end, churned =
active but no order in the last 180 days):
- C01 2025-02-15, 2026-02-10            C02 2025-04-01, 2025-06-01 (lapsed)
- C03 2025-03-05, 2026-03-04            C04 2026-03-03, 2026-03-05 (new in week 2 March)
- C05 2026-02-20, 2026-03-10            C06 2025-03-09 (OR11 at 13:00 EDT)
- C07 2025-03-08 (OR12 at 03:00 UTC on the 9th = 22:00 EST on the 8th)
- C08 2025-12-01; OR14 2026-02-15 voided the next day: not counted
- C09 2026-02-25, 2026-02-26; OR15 voided only on 2026-03-12, after D: still counted
- C10 2026-03-10; OR18 after observed_until: not counted
- C11 2025-10-01, 2025-11-15, 2026-01-20   C13 2025-09-05   C14 two orders on 2026-02-12
- C15 2025-02-20   C16 only a voided order   OR22 a guest order without customer: ignored
The first day of data is C01's 2025-02-15, so weeks run from Monday 2025-02-10.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.outcomes.build import build_marts
from tests.warehouse import records

FIXTURES = Path(__file__).parent / "fixtures" / "scorecard"
AS_OF = date(2026, 3, 11)
DBT_VARS = {
    "as_of_date": AS_OF.isoformat(),
    "program_timezone": "America/New_York",
    # 5 rather than 30 so the fixture's rows land on both sides of it (and on it: 5 is enough)
    "low_sample_threshold": 5,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_marts(
        tmp_path_factory.mktemp("scorecard_build"),
        FIXTURES,
        "+mart_cx_scorecard",
        DBT_VARS,
    )


def scorecard_row(warehouse: Path, grain: str, period_start: date) -> dict[str, object]:
    rows = records(
        warehouse,
        "select * from marts.mart_cx_scorecard where period_grain = ? and period_start = ?",
        [grain, period_start],
    )
    assert len(rows) == 1, rows
    return rows[0]


def near(value: float, tolerance: float = 1e-4) -> object:
    return pytest.approx(value, abs=tolerance)


# t975 in the mart is a series approximation of Student's t: 0.0038 low at 3 degrees of freedom
# (February's CES), below 0.001 from 4 on; expected bounds below use the exact t
T_TOLERANCE = 5e-3


def test_periods_run_from_the_first_day_of_data_to_the_as_of_date(built: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        rows = con.execute(
            "select period_grain, count(*), min(period_start), max(period_start), "
            "sum(case when is_complete_period then 0 else 1 end), max(window_end_date) "
            "from marts.mart_cx_scorecard group by period_grain order by period_grain"
        ).fetchall()
    assert rows == [
        # the program to date: from the first order (2025-02-15 17:00 UTC = 12:00 EST) to D
        ("all", 1, date(2025, 2, 15), date(2025, 2, 15), 0, AS_OF),
        # February 2025 .. March 2026 = 14 months; only March (ends 1 April > D) is open
        ("month", 14, date(2025, 2, 1), date(2026, 3, 1), 1, AS_OF),
        # Monday 2025-02-10 .. Monday 2026-03-09: 392 days / 7 + 1 = 57 weeks; the last is open
        ("week", 57, date(2025, 2, 10), date(2026, 3, 9), 1, AS_OF),
    ]


def test_complete_week(built: Path) -> None:
    row = scorecard_row(built, "week", date(2026, 3, 2))
    assert row == {
        "period_grain": "week",
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 3, 9),
        "is_complete_period": True,
        "window_end_date": date(2026, 3, 9),
        # NPS: S01 10, S02 9, S03 8, S04 7, S05 6, S06 0, S08 10 (S07 has no NPS; the detractor
        # S15 is local 1 March) -> 7 answers, promoters S01 S02 S08 = 3, detractors S05 S06 = 2
        "nps_responses": 7,
        "promoters": 3,
        "detractors": 2,
        "promoter_share": near(3 / 7),
        "detractor_share": near(2 / 7),
        "nps": near(100 * (3 - 2) / 7),  # 14.2857
        # 100 * (1/7 -+ 1.96 * sqrt((3/7 + 2/7 - (1/7)^2) / 7)) = 14.2857 -+ 61.7079
        "nps_ci_low": near(-47.4221),
        "nps_ci_high": near(75.9936),
        # CSAT: 5 4 4 3 2 1 5 4 -> 4 or 5: S01 S02 S03 S07 S08 = 5 of 8
        "csat_responses": 8,
        "csat_satisfied": 5,
        "csat": near(5 / 8),
        # Wilson (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), p = 0.625, n = 8
        "csat_ci_low": near(0.305742),
        "csat_ci_high": near(0.863156),
        # CES: 1 2 3 5 7 2 1 -> mean 21 / 7 = 3; squared deviations 4+1+0+4+16+1+4 = 30,
        # variance 30 / 6 = 5; 3 -+ t975(6) 2.4469 * sqrt(5 / 7) = 3 -+ 2.0680
        "ces_responses": 7,
        "ces_mean": near(3.0),
        "ces_mean_ci_low": near(0.9320, T_TOLERANCE),
        "ces_mean_ci_high": near(5.0680, T_TOLERANCE),
        "low_sample_surveys": False,  # 7, 8 and 7 answers, none below 5
        # AHT over connected calls with timings: I01 300, I02 150, I03 550, I05 250 + 50 (hold
        # unknown), O01 150, O02 400 (I04 has none) -> 1850 / 6
        "handle_time_calls": 6,
        "avg_handle_seconds": near(1850 / 6),  # 308.33
        # FCR: connected inbound I01 yes, I02 yes, I03 no, I04 yes (I05 unknown; outbound O01's
        # "yes" does not count) -> 3 / 4
        "first_contact_resolution_calls": 4,
        "first_contact_resolutions": 3,
        "first_contact_resolution_rate": near(0.75),
        "first_contact_resolution_rate_ci_low": near(0.300642),
        "first_contact_resolution_rate_ci_high": near(0.954413),
        # inbound I01-I07 offered, I06 I07 abandoned -> 2 / 7
        "inbound_offered_calls": 7,
        "inbound_abandoned_calls": 2,
        "abandoned_rate": near(2 / 7),
        "abandoned_rate_ci_low": near(0.082219),
        "abandoned_rate_ci_high": near(0.641066),
        # outbound O01-O06 (O06 is 22:00 local on the 8th), connected O01 O02 -> 2 / 6
        "outbound_attempts": 6,
        "outbound_connects": 2,
        "outbound_connect_rate": near(2 / 6),
        "outbound_connect_rate_ci_low": near(0.096771),
        "outbound_connect_rate_ci_high": near(0.700007),
        "low_sample_calls": True,  # 4 FCR calls < 5
        # orders in [2025-03-09, 2026-03-09): C01 1, C02 2, C03 1 (2026-03-04; 2025-03-05 is
        # too old), C04 2, C05 1, C06 1 (2025-03-09, the first day in), C08 1 (OR14 voided),
        # C09 2, C11 3, C13 1, C14 2; C07's 2025-03-08 is one day out -> 11 buying, repeat C02
        # C04 C09 C11 C14 = 5
        "buying_customers": 11,
        "repeat_customers": 5,
        "repeat_purchase_rate": near(5 / 11),
        "repeat_purchase_rate_ci_low": near(0.212713),
        "repeat_purchase_rate_ci_high": near(0.719908),
        # at start, orders in [2025-03-02, 2026-03-02): C01 C02 C03 C05 C06 C07 C08 C09 C11 C13
        # C14 = 11; new: C04 (C16's only order is voided) -> (11 - 1) / 11
        "customers_at_start": 11,
        "customers_at_end": 11,
        "new_customers": 1,
        "retention_rate": near(10 / 11),
        # no order in [2025-09-10, 2026-03-09): C02 (June), C06 (March), C13 (2025-09-05)
        "churn_base": 11,
        "churned_customers": 3,
        "churn_rate": near(3 / 11),
        "churn_rate_ci_low": near(0.097461),
        "churn_rate_ci_high": near(0.565645),
        "low_sample_customers": False,
    }


def test_complete_month(built: Path) -> None:
    row = scorecard_row(built, "month", date(2026, 2, 1))
    assert row == {
        "period_grain": "month",
        "period_start": date(2026, 2, 1),
        "period_end": date(2026, 3, 1),
        "is_complete_period": True,
        "window_end_date": date(2026, 3, 1),
        # S12 5, S11 10, S10 9, S14 10, S09 3 (local 28 Feb; S13 is local 31 Jan) -> promoters
        # S10 S11 S14 = 3, detractors S09 S12 = 2 of 5
        "nps_responses": 5,
        "promoters": 3,
        "detractors": 2,
        "promoter_share": near(0.6),
        "detractor_share": near(0.4),
        "nps": near(20.0),  # 100 * (3 - 2) / 5
        # 100 * (0.2 -+ 1.96 * sqrt((1 - 0.04) / 5)) = 20 -+ 85.88; the top is clipped at 100
        "nps_ci_low": near(-65.8813),
        "nps_ci_high": near(100.0),
        # CSAT S12 3, S11 4, S10 5, S14 5, S09 2 -> 3 of 5
        "csat_responses": 5,
        "csat_satisfied": 3,
        "csat": near(0.6),
        "csat_ci_low": near(0.230724),
        "csat_ci_high": near(0.882379),
        # CES S12 4, S11 1, S10 2, S09 6 (S14 none) -> 13 / 4 = 3.25; squared deviations
        # 0.5625 + 5.0625 + 1.5625 + 7.5625 = 14.75, variance 14.75 / 3;
        # 3.25 -+ t975(3) 3.1824 * sqrt(4.9167 / 4) = 3.25 -+ 3.5283
        "ces_responses": 4,
        "ces_mean": near(3.25),
        "ces_mean_ci_low": near(-0.2783, T_TOLERANCE),
        "ces_mean_ci_high": near(6.7783, T_TOLERANCE),
        "low_sample_surveys": True,  # 4 CES answers < 5
        # I09 300, I10 120, O07 240 -> 660 / 3
        "handle_time_calls": 3,
        "avg_handle_seconds": near(220.0),
        # I09 no, I10 yes
        "first_contact_resolution_calls": 2,
        "first_contact_resolutions": 1,
        "first_contact_resolution_rate": near(0.5),
        "first_contact_resolution_rate_ci_low": near(0.094531),
        "first_contact_resolution_rate_ci_high": near(0.905469),
        # I09 I10 and I08 (23:30 local on the 28th, abandoned) -> 1 / 3
        "inbound_offered_calls": 3,
        "inbound_abandoned_calls": 1,
        "abandoned_rate": near(1 / 3),
        "abandoned_rate_ci_low": near(0.061492),
        "abandoned_rate_ci_high": near(0.792340),
        # O07 connected, O08 wrong number, O09 failed (O10 is local 31 Jan) -> 1 / 3
        "outbound_attempts": 3,
        "outbound_connects": 1,
        "outbound_connect_rate": near(1 / 3),
        "outbound_connect_rate_ci_low": near(0.061492),
        "outbound_connect_rate_ci_high": near(0.792340),
        "low_sample_calls": True,
        # orders in [2025-03-01, 2026-03-01): C01 1 (2026-02-10), C02 2, C03 1 (2025-03-05),
        # C05 1, C06 1, C07 1, C08 1 (OR14 voided on the 16th), C09 2 (OR15's void comes after
        # D), C11 3, C13 1, C14 2 (same day) -> 11 buying; repeat C02 C09 C11 C14 = 4
        "buying_customers": 11,
        "repeat_customers": 4,
        "repeat_purchase_rate": near(4 / 11),
        "repeat_purchase_rate_ci_low": near(0.151665),
        "repeat_purchase_rate_ci_high": near(0.646199),
        # at start, orders in [2025-02-01, 2026-02-01): C01 C02 C03 C06 C07 C08 C11 C13 C15 = 9;
        # new in February: C05 C09 C14 -> (11 - 3) / 9 (C15 lapsed)
        "customers_at_start": 9,
        "customers_at_end": 11,
        "new_customers": 3,
        "retention_rate": near(8 / 9),
        # no order in [2025-09-02, 2026-03-01): C02 C03 C06 C07 (C13's 2025-09-05 is inside)
        "churn_base": 11,
        "churned_customers": 4,
        "churn_rate": near(4 / 11),
        "churn_rate_ci_low": near(0.151665),
        "churn_rate_ci_high": near(0.646199),
        "low_sample_customers": False,  # 11 and 9
    }


def test_open_month_counts_up_to_observed_until(built: Path) -> None:
    row = scorecard_row(built, "month", date(2026, 3, 1))
    assert row == {
        "period_grain": "month",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 4, 1),
        "is_complete_period": False,
        "window_end_date": AS_OF,
        # the week's S01-S08, plus S15 (local 1 March), S16, and S17 one second before
        # observed_until; S18 (at it) and S19 do not count. NPS 10 answers: promoters S01 S02
        # S08 S16 = 4, detractors S15 S05 S06 S17 = 4
        "nps_responses": 10,
        "promoters": 4,
        "detractors": 4,
        "promoter_share": near(0.4),
        "detractor_share": near(0.4),
        "nps": near(0.0),
        # 100 * (0 -+ 1.96 * sqrt((0.8 - 0) / 10)) = 0 -+ 55.44
        "nps_ci_low": near(-55.4362),
        "nps_ci_high": near(55.4362),
        # S15 2, then the week's 5 4 4 3 2 1 5 4, S16 4, S17 2 -> 6 of 11
        "csat_responses": 11,
        "csat_satisfied": 6,
        "csat": near(6 / 11),
        "csat_ci_low": near(0.280092),
        "csat_ci_high": near(0.787287),
        # 6, then 1 2 3 5 7 2 1, 2, 5 -> 34 / 10 = 3.4; squared deviations sum 42.4, variance
        # 42.4 / 9; 3.4 -+ t975(9) 2.2622 * sqrt(4.7111 / 10) = 3.4 -+ 1.5527
        "ces_responses": 10,
        "ces_mean": near(3.4),
        "ces_mean_ci_low": near(1.8473, T_TOLERANCE),
        "ces_mean_ci_high": near(4.9527, T_TOLERANCE),
        "low_sample_surveys": False,
        # the week's 1850 over 6, plus O11 90 (local 1 March) and I11 700 -> 2640 / 8
        "handle_time_calls": 8,
        "avg_handle_seconds": near(330.0),
        # the week's 3 of 4, plus I11 yes -> 4 / 5
        "first_contact_resolution_calls": 5,
        "first_contact_resolutions": 4,
        "first_contact_resolution_rate": near(0.8),
        "first_contact_resolution_rate_ci_low": near(0.375535),
        "first_contact_resolution_rate_ci_high": near(0.963776),
        # the week's 2 of 7, plus I11 and I12 (abandoned 30 minutes before observed_until)
        "inbound_offered_calls": 9,
        "inbound_abandoned_calls": 3,
        "abandoned_rate": near(3 / 9),
        "abandoned_rate_ci_low": near(0.120584),
        "abandoned_rate_ci_high": near(0.645798),
        # the week's 2 of 6, plus O11 connected; O12 starts at observed_until
        "outbound_attempts": 7,
        "outbound_connects": 3,
        "outbound_connect_rate": near(3 / 7),
        "outbound_connect_rate_ci_low": near(0.158220),
        "outbound_connect_rate_ci_high": near(0.749542),
        "low_sample_calls": False,  # 8, 5, 9 and 7
        # windows end at D: orders in [2025-03-11, 2026-03-11): C01 1, C02 2, C03 1, C04 2,
        # C05 2 (2026-03-10), C08 1, C09 2, C10 1 (OR18 too late), C11 3, C13 1, C14 2; C06 and
        # C07 dropped out -> 11 buying, repeat C02 C04 C05 C09 C11 C14 = 6
        "buying_customers": 11,
        "repeat_customers": 6,
        "repeat_purchase_rate": near(6 / 11),
        "repeat_purchase_rate_ci_low": near(0.280092),
        "repeat_purchase_rate_ci_high": near(0.787287),
        # at start, orders in [2025-03-01, 2026-03-01): February's 11; new C04 C10 -> (11 - 2) / 11
        "customers_at_start": 11,
        "customers_at_end": 11,
        "new_customers": 2,
        "retention_rate": near(9 / 11),
        # no order in [2025-09-12, 2026-03-11): C02, C13
        "churn_base": 11,
        "churned_customers": 2,
        "churn_rate": near(2 / 11),
        "churn_rate_ci_low": near(0.051368),
        "churn_rate_ci_high": near(0.476981),
        "low_sample_customers": False,
    }


def test_quiet_periods_keep_their_row(built: Path) -> None:
    # May 2025: no surveys or calls. Orders in [2024-06-01, 2025-06-01): C01 (Feb), C15 (Feb),
    # C03 (Mar 5), C07 (Mar 8), C06 (Mar 9), C02 (Apr 1; its June order is the next day out);
    # all of them also in [2024-05-01, 2025-05-01); all ordered after 2024-12-03 (June 1 - 180)
    row = scorecard_row(built, "month", date(2025, 5, 1))
    assert {name: row[name] for name in ("nps_responses", "csat_responses", "ces_responses")} == {
        "nps_responses": 0,
        "csat_responses": 0,
        "ces_responses": 0,
    }
    assert row["nps"] is None and row["csat"] is None and row["ces_mean"] is None
    assert row["avg_handle_seconds"] is None and row["outbound_connect_rate"] is None
    assert (row["outbound_attempts"], row["low_sample_surveys"], row["low_sample_calls"]) == (
        0,
        True,
        True,
    )
    assert (
        row["buying_customers"],
        row["customers_at_start"],
        row["new_customers"],
        row["churned_customers"],
        row["retention_rate"],
        row["low_sample_customers"],
    ) == (6, 6, 0, 0, 1.0, False)
    # the first month: nobody was active before it, so retention is undefined and flagged
    first = scorecard_row(built, "month", date(2025, 2, 1))
    assert (
        first["customers_at_start"],
        first["new_customers"],  # C01 and C15
        first["retention_rate"],
        first["low_sample_customers"],
    ) == (0, 2, None, True)
