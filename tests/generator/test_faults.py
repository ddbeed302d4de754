"""Every injected fault is in the files exactly as often as truth.json says."""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
import pytest

from ingestion.contract import DISPOSITIONS, FEEDS, FEEDS_BY_NAME
from listenloop.generator.phones import PLANS
from tests.generator.feeds import instant, read_feed


def _layout_regex(layout: str) -> re.Pattern:
    return re.compile("^" + "".join(r"\d" if ch == "d" else re.escape(ch) for ch in layout) + "$")


CLEAN_LAYOUTS = [_layout_regex(x) for plan in PLANS.values() for x in plan.layouts.values()]


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.name)
def test_fault_counts_match_the_files(small_run, feed):
    root, truth = small_run
    rows = read_feed(root, feed.name)
    faults = truth["faults"][feed.name]
    quarantine = truth["expected_quarantine"][feed.name]
    assert len(rows) == truth["rows"][feed.name]["lines_written"]

    missing = sum(r[feed.primary_key] is None for r in rows)
    assert missing == faults["missing_key"] == quarantine["missing_key"] >= 1
    if feed.dated_by:
        garbled = sum(instant(r[feed.dated_by]) is None for r in rows)
        assert garbled == faults["unparsable_timestamp"] == quarantine["unparsable_timestamp"]
    if feed.name == "order_lines":
        negative = sum(int(r["quantity"]) < 0 for r in rows)
        assert negative == faults["negative_quantity"] == quarantine["negative_value"] >= 1
    if feed.name == "calls":
        unknown = sum(r["disposition"] not in DISPOSITIONS for r in rows)
        assert unknown == faults["unknown_disposition"] == quarantine["unknown_enum_value"] >= 1

    copies = Counter(tuple(v for k, v in r.items() if k != "_file") for r in rows)
    assert sum(n - 1 for n in copies.values()) == faults["duplicate"] >= 1

    valid = [
        r for r in rows if r[feed.primary_key] and (not feed.dated_by or instant(r[feed.dated_by]))
    ]
    if feed.version_column:
        versions = {(r[feed.primary_key], instant(r[feed.version_column])) for r in valid}
        assert len(versions) == truth["rows"][feed.name]["expected_raw_rows"]
        assert faults["late_update"] >= 1
    else:
        assert (
            len({r[feed.primary_key] for r in valid})
            == truth["rows"][feed.name]["expected_raw_rows"]
        )


@pytest.mark.parametrize("feed", ["customers", "checkouts", "calls"])
def test_messy_phones_are_counted_and_still_valid(small_run, feed):
    root, truth = small_run
    rows = read_feed(root, feed)
    country = {r["customer_id"]: r["country"] for r in read_feed(root, "customers")}
    messy = 0
    for r in rows:
        if not r["phone"]:
            continue
        messy += not any(rx.match(r["phone"]) for rx in CLEAN_LAYOUTS)
        region = country.get(r["customer_id"]) if feed == "customers" else None
        number = phonenumbers.parse(r["phone"], region)
        assert phonenumbers.is_valid_number(number), r["phone"]
    assert messy == truth["faults"][feed]["messy_phone"] >= 1


def test_messy_layouts_never_look_clean():
    for plan in PLANS.values():
        for layout in plan.messy:
            example = layout.replace("d", "5")
            assert not any(rx.match(example) for rx in CLEAN_LAYOUTS), layout


def test_quarantine_reasons_cover_every_feed(small_run):
    _, truth = small_run
    assert set(truth["expected_quarantine"]) == set(FEEDS_BY_NAME)
    assert 0.005 < truth["fault_share_of_lines"] < 0.03
