"""Concern themes and customer phrases on a hand-built fixture.

fixtures/concerns/README.md lists every call and order; every expected number below is worked
out by hand from it. The build runs for as-of date 2026-03-20 with low_sample_threshold 8 and
phrases_per_tag 5. Connected calls before 03-20 00:00, per month and segment:
  Feb  cart_abandoner  CF01
  Mar  cart_abandoner  CM01 CM02 CM03 CM04 CM10 CM11 CM12 CM13   (CM05 no answer, CM09 too late)
  Mar  first_purchase  CM06
  Mar  inbound         CM07 CM08
  Mar  no_campaign     CM14
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.outcomes.build import build_marts
from tests.outcomes.intervals import wilson
from tests.warehouse import query, records

FIXTURES = Path(__file__).parent / "fixtures" / "concerns"
FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)
TAGS = 11  # rows per month x segment: the whole concern_tags vocabulary


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_marts(
        tmp_path_factory.mktemp("concern_themes"),
        FIXTURES,
        "+mart_concern_themes +mart_customer_phrases",
        {"as_of_date": "2026-03-20", "low_sample_threshold": 8, "phrases_per_tag": 5},
    )


def theme(warehouse: Path, month: date | None, segment: str, tag: str) -> dict:
    """The row of one month, or of every month pooled (period_grain 'all') when month is None."""
    rows = records(
        warehouse,
        "select * from marts.mart_concern_themes "
        "where month is not distinct from ? and segment = ? and concern_tag = ?",
        [month, segment, tag],
    )
    assert len(rows) == 1, (month, segment, tag, rows)
    return rows[0]


def assert_shares(row: dict, x_conv: int, n_conv: int, x_ment: int, n_ment: int) -> None:
    """The counts exactly, the shares and their Wilson intervals to 1e-12."""
    assert (
        row["conversations_mentioning"],
        row["conversations"],
        row["mentions"],
        row["segment_mentions"],
    ) == (x_conv, n_conv, x_ment, n_ment)
    assert row["share_of_conversations"] == pytest.approx(x_conv / n_conv, abs=1e-12)
    low, high = wilson(x_conv, n_conv)
    assert row["share_of_conversations_ci_low"] == pytest.approx(low, abs=1e-12)
    assert row["share_of_conversations_ci_high"] == pytest.approx(high, abs=1e-12)
    assert row["share_of_mentions"] == pytest.approx(x_ment / n_ment, abs=1e-12)
    low, high = wilson(x_ment, n_ment)
    assert row["share_of_mentions_ci_low"] == pytest.approx(low, abs=1e-12)
    assert row["share_of_mentions_ci_high"] == pytest.approx(high, abs=1e-12)


def test_every_tag_for_every_month_and_segment(built: Path) -> None:
    rows = query(
        built,
        "select month, segment, count(*), min(conversations), max(conversations), "
        "min(segment_mentions), max(segment_mentions), bool_and(is_complete_month), "
        "bool_and(low_sample) from marts.mart_concern_themes where period_grain = 'month' "
        "group by month, segment "
        "order by month, segment",
    )
    # segment_mentions: CM01 2 + CM02 1 + CM03 2 + CM10..CM13 4 = 9 (cart, March);
    # CM06 sizing_fit + 2 x other = 3; CM07 + CM08 = 2; CM14 = 1; all March 9 + 3 + 2 + 1 = 15.
    # February closed before 2026-03-20, March did not; low_sample: conversations or
    # segment_mentions below 8, so only cart_abandoner (8, 9) and all (12, 15) in March pass
    assert rows == [
        (FEB, "all", TAGS, 1, 1, 1, 1, True, True),
        (FEB, "cart_abandoner", TAGS, 1, 1, 1, 1, True, True),
        (MAR, "all", TAGS, 12, 12, 15, 15, False, False),
        (MAR, "cart_abandoner", TAGS, 8, 8, 9, 9, False, False),
        (MAR, "first_purchase", TAGS, 1, 1, 3, 3, False, True),
        (MAR, "inbound", TAGS, 2, 2, 2, 2, False, True),
        (MAR, "no_campaign", TAGS, 1, 1, 1, 1, False, True),
    ]


def test_price_shares_with_wilson_intervals(built: Path) -> None:
    # March cart_abandoner: price on CM01, CM02, CM10, CM11, CM12, CM13 = 6 of 8 conversations
    # (CM03 and CM04 have none) and 6 of 9 mentions; CM05 (no answer) and CM09 (03-20) never count
    assert_shares(theme(built, MAR, "cart_abandoner", "price"), 6, 8, 6, 9)
    # every segment: + CM07 (inbound) -> 7 of 12 conversations, 7 of 15 mentions
    assert_shares(theme(built, MAR, "all", "price"), 7, 12, 7, 15)
    assert_shares(theme(built, MAR, "inbound", "price"), 1, 2, 1, 2)
    assert_shares(theme(built, FEB, "all", "price"), 1, 1, 1, 1)
    # every month pooled: February's 1 of 1 plus March
    assert_shares(theme(built, None, "all", "price"), 1 + 7, 1 + 12, 1 + 7, 1 + 15)
    assert_shares(theme(built, None, "cart_abandoner", "price"), 1 + 6, 1 + 8, 1 + 6, 1 + 9)
    assert theme(built, None, "all", "price")["is_complete_month"] is None
    # the worked example of the docs: 6 / 9 -> [0.354, 0.879]
    low, high = wilson(6, 9)
    assert (round(low, 3), round(high, 3)) == (0.354, 0.879)


def test_two_unknown_tags_are_two_other_mentions_in_one_conversation(built: Path) -> None:
    # CM06: made_up and another_unknown both read 'other'; with sizing_fit, 3 mentions
    assert_shares(theme(built, MAR, "first_purchase", "other"), 1, 1, 2, 3)
    assert_shares(theme(built, MAR, "first_purchase", "sizing_fit"), 1, 1, 1, 3)


def test_a_tag_nobody_raised_reads_zero_with_its_interval(built: Path) -> None:
    row = theme(built, MAR, "cart_abandoner", "sizing_fit")
    assert_shares(row, 0, 8, 0, 9)
    assert row["share_of_conversations_ci_high"] > 0.3  # 0 of 8 does not rule out 30%
    assert (row["top_products"], row["verbatim_1"]) == (None, None)


def test_top_products_around_the_calls(built: Path) -> None:
    rows = query(
        built,
        "select month, segment, concern_tag, top_products from marts.mart_concern_themes "
        "where period_grain = 'month' and top_products is not null "
        "order by month, segment, concern_tag",
    )
    assert rows == [
        # CF01 02-10: O1 (Trail Jacket 1, Wool Socks 3) and O2 (Trail Jacket 5, 82 days before)
        (FEB, "all", "price", "Trail Jacket (6), Wool Socks (3)"),
        (FEB, "cart_abandoner", "price", "Trail Jacket (6), Wool Socks (3)"),
        # March price: O1 once although both CM01 and CM13 reach it (Trail Jacket 1, Wool
        # Socks 3); O3 (Trail Jacket 2, Rain Hat 1); O6 (Rain Hat 1, Camp Mug 2); O7 (Tent 1).
        # Out: O2 (102 days before CM01), O4 (exactly 7 days after CM02), O5 (voided), O8
        # (after observed_until). Trail Jacket 3 and Wool Socks 3 tie (alphabetical), then
        # Camp Mug 2 beats Rain Hat 2 alphabetically; Tent 1 is fourth
        (MAR, "all", "price", "Trail Jacket (3), Wool Socks (3), Camp Mug (2)"),
        # shipping_cost: CM01 -> O1; CM08 (C02, 03-08 10:00) -> O3 and O4:
        # Wool Socks 3 + 10 = 13, Trail Jacket 1 + 2 = 3, Rain Hat 1
        (MAR, "all", "shipping_cost", "Wool Socks (13), Trail Jacket (3), Rain Hat (1)"),
        (MAR, "cart_abandoner", "price", "Trail Jacket (3), Wool Socks (3), Camp Mug (2)"),
        (MAR, "cart_abandoner", "shipping_cost", "Wool Socks (3), Trail Jacket (1)"),
        (MAR, "inbound", "shipping_cost", "Wool Socks (10), Trail Jacket (2), Rain Hat (1)"),
    ]


def test_three_newest_verbatims(built: Path) -> None:
    rows = query(
        built,
        "select segment, verbatim_1, verbatim_1_date, verbatim_1_call_id, "
        "verbatim_2, verbatim_2_date, verbatim_2_call_id, "
        "verbatim_3, verbatim_3_date, verbatim_3_call_id from marts.mart_concern_themes "
        "where month = ? and concern_tag = 'price' and verbatim_1 is not null order by segment",
        [MAR],
    )
    # cart_abandoner: CM12 (03-15) is the newest but has no note; CM13 (03-09); CM10 and CM02
    # both at 03-03 11:00, higher call id first; CM01 and CM11 are older than the top 3
    cm13 = ("Still thinking about the trail jacket price.", date(2026, 3, 9), "CM13")
    cm10 = ("Too expensive, sorry.", date(2026, 3, 3), "CM10")
    cm02 = ("Found the trail jacket cheaper elsewhere, honestly.", date(2026, 3, 3), "CM02")
    cm07 = (
        "Price match request: found the hiking boots cheaper elsewhere.",
        date(2026, 3, 7),
        "CM07",
    )
    assert rows == [
        ("all", *cm13, *cm07, *cm10),
        ("cart_abandoner", *cm13, *cm10, *cm02),
        ("inbound", *cm07, None, None, None, None, None, None),
    ]


def test_phrases_per_tag_and_length(built: Path) -> None:
    rows = query(
        built,
        "select concern_tag, words, phrase_rank, phrase, mentions, conversations, "
        "tag_conversations from marts.mart_customer_phrases "
        "order by concern_tag, words, phrase_rank",
    )
    # Tokens (stop words *, phrase breaks |), per connected call before 03-20 with a note:
    #   CF01 the* trail jacket is* too* expensive for* me* |
    #   CM01 shipping costs too* much | the* trail jacket price is* too* high |
    #   CM02 found the* trail jacket cheaper elsewhere | honestly |
    #   CM03 delivery took way too* long | the* parcel's tracking never updated |
    #   CM06 the* hiking boots size chart is* confusing | hiking boots run small |
    #   CM07 price match request | found the* hiking boots cheaper elsewhere |
    #   CM08 shipping costs went up* again* | i'd* rather wait |  (typographic ' in the note)
    #   CM10 too* expensive | sorry |      CM11 price is* too* high for* me* |
    #   CM13 still thinking about* the* trail jacket price |
    #   CM14 delivery date kept changing | couldn't* plan around it* all-day waiting |
    # Ties rank alphabetically; the top 5 per tag and length stay.
    price = "price", 7  # CF01 CM01 CM02 CM07 CM10 CM11 CM13 (CM12 has no note)
    shipping = "shipping_cost", 2  # CM01 CM08
    delivery = "delivery_time", 2  # CM03 CM14
    returns = "return_policy", 1  # CM03
    sizing = "sizing_fit", 1  # CM06
    other = "other", 1  # CM06, once although it carries two unknown tags
    expected = [
        (delivery, 2, "all-day waiting", 1, 1),  # 'all' alone is a stop word, 'all-day' is not
        (delivery, 2, "date kept", 1, 1),
        (delivery, 2, "delivery date", 1, 1),
        (delivery, 2, "delivery took", 1, 1),
        (delivery, 2, "kept changing", 1, 1),  # cut: never updated, parcel's tracking, ...
        (delivery, 3, "date kept changing", 1, 1),
        (delivery, 3, "delivery date kept", 1, 1),
        (delivery, 3, "delivery took way", 1, 1),
        (delivery, 3, "parcel's tracking never", 1, 1),
        (delivery, 3, "tracking never updated", 1, 1),
        (other, 2, "hiking boots", 2, 1),  # twice in CM06
        (other, 2, "boots run", 1, 1),
        (other, 2, "boots size", 1, 1),
        (other, 2, "run small", 1, 1),
        (other, 2, "size chart", 1, 1),
        (other, 3, "boots run small", 1, 1),
        (other, 3, "boots size chart", 1, 1),
        (other, 3, "hiking boots run", 1, 1),
        (other, 3, "hiking boots size", 1, 1),
        # CF01, CM01, CM02, CM13 | CM01, CM13 | CM02, CM07; then the first two of the 1s
        (price, 2, "trail jacket", 4, 4),  # 5 if CM05 (no answer) or CM09 (03-20) counted
        (price, 2, "cheaper elsewhere", 2, 2),
        (price, 2, "jacket price", 2, 2),
        (price, 2, "boots cheaper", 1, 1),
        (price, 2, "hiking boots", 1, 1),  # cut: jacket cheaper, match request, ...
        (price, 3, "trail jacket price", 2, 2),  # CM01, CM13
        (price, 3, "boots cheaper elsewhere", 1, 1),
        (price, 3, "hiking boots cheaper", 1, 1),
        (price, 3, "jacket cheaper elsewhere", 1, 1),
        (price, 3, "price match request", 1, 1),  # cut: trail jacket cheaper
        (returns, 2, "delivery took", 1, 1),
        (returns, 2, "never updated", 1, 1),
        (returns, 2, "parcel's tracking", 1, 1),
        (returns, 2, "took way", 1, 1),
        (returns, 2, "tracking never", 1, 1),
        (returns, 3, "delivery took way", 1, 1),
        (returns, 3, "parcel's tracking never", 1, 1),
        (returns, 3, "tracking never updated", 1, 1),
        (shipping, 2, "shipping costs", 2, 2),  # CM01, CM08
        (shipping, 2, "costs went", 1, 1),
        (shipping, 2, "jacket price", 1, 1),  # CM01's note counts for both its tags
        (shipping, 2, "rather wait", 1, 1),
        (shipping, 2, "trail jacket", 1, 1),
        (shipping, 3, "shipping costs went", 1, 1),
        (shipping, 3, "trail jacket price", 1, 1),
        (sizing, 2, "hiking boots", 2, 1),
        (sizing, 2, "boots run", 1, 1),
        (sizing, 2, "boots size", 1, 1),
        (sizing, 2, "run small", 1, 1),
        (sizing, 2, "size chart", 1, 1),
        (sizing, 3, "boots run small", 1, 1),
        (sizing, 3, "boots size chart", 1, 1),
        (sizing, 3, "hiking boots run", 1, 1),
        (sizing, 3, "hiking boots size", 1, 1),
    ]
    ranked: list[tuple] = []
    for (tag, tag_conversations), words, phrase, mentions, conversations in expected:
        rank = sum(1 for r in ranked if r[0] == tag and r[1] == words) + 1
        ranked.append((tag, words, rank, phrase, mentions, conversations, tag_conversations))
    assert rows == ranked
