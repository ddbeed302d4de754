"""Parameters: defaults.yaml with a user YAML merged over it, typos rejected."""

from __future__ import annotations

import datetime as dt

import pytest

from listenloop.generator import load_params


def test_defaults_carry_the_article_figures():
    p = load_params()
    assert p.start_date == dt.date(2026, 7, 1)
    assert p.holdout_share == 0.10
    assert p.calls.connect_rate == 0.35
    assert p.calls.cart_recovery_connected == 0.55
    assert p.calls.price_tag_share == 0.11
    assert p.calls.ltv_lift_addressed == 0.27
    assert p.commerce.checkout_completion_rate == 0.12
    hours = p.calls.hour_connect_multiplier
    assert sum(hours.values()) / len(hours) == pytest.approx(1.0)


def test_user_yaml_overrides_keys_and_replaces_weight_maps_whole(tmp_path):
    user = tmp_path / "params.yaml"
    user.write_text(
        "start_date: 2026-01-05\ncalls:\n  connect_rate: 0.5\n"
        "customers:\n  country_weights: {GB: 1.0}\n"
    )
    p = load_params(user)
    assert p.start_date == dt.date(2026, 1, 5)
    assert p.calls.connect_rate == 0.5
    assert p.calls.max_attempts == 3
    assert p.customers.country_weights == {"GB": 1.0}


def test_an_unknown_key_is_an_error_naming_it(tmp_path):
    user = tmp_path / "params.yaml"
    user.write_text("calls:\n  conect_rate: 0.5\n")
    with pytest.raises(ValueError, match=r"calls\.'conect_rate'"):
        load_params(user)
