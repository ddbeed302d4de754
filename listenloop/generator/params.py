"""The generator's parameters: defaults.yaml, with a user YAML merged over it.

Each section is a frozen dataclass so a typo in a user's YAML fails loudly (unknown key) instead
of silently planting the default. The YAML is the documentation: every key is commented there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


@dataclass(frozen=True)
class CustomerParams:
    phone_missing_share: float
    refuses_phone_contact_share: float
    consent_unknown_share: float
    country_weights: dict[str, float]
    phone_style_weights: dict[str, float]


@dataclass(frozen=True)
class CommerceParams:
    extra_sessions_mean: float
    session_gap_min_days: float
    session_gap_mean_extra_days: float
    phone_order_share: float
    checkout_completion_rate: float
    completed_two_versions_share: float
    guest_checkout_share: float
    checkout_phone_share: float
    app_share: float
    extra_lines_mean: float
    quantity_weights: list[float]
    pending_share: float
    voided_share_of_pending: float
    refund_rate: float
    partial_refund_share: float
    discount_share: float
    free_shipping_from: float
    shipping_fee: float
    tax_rates: dict[str, float]


@dataclass(frozen=True)
class CallParams:
    open_hour_utc: int
    close_hour_utc: int
    max_attempts: int
    connect_rate: float
    segment_connect_multiplier: dict[str, float]
    hour_connect_multiplier: dict[int, float]
    unconnected_disposition_weights: dict[str, float]
    recovery_window_days: int
    cart_recovery_connected: float
    cart_recovery_baseline: float
    recovered_on_call_share: float
    recovery_completes_checkout_share: float
    outcome_weights: dict[str, dict[str, float]]
    ltv_lift_addressed: float
    ltv_window_days: int
    price_tag_share: float
    second_tag_share: float
    tag_weights: dict[str, dict[str, float]]
    talk_median_seconds: float
    talk_sigma: float
    hold_share: float
    hold_max_seconds: int
    wrap_min_seconds: int
    wrap_max_seconds: int
    agents: int


@dataclass(frozen=True)
class InboundParams:
    calls_per_order: float
    calls_per_customer: float
    queue_abandon_share: float
    resolved_first_contact_share: float
    escalated_share_of_unresolved: float


@dataclass(frozen=True)
class SurveyParams:
    after_call_rate: float
    after_order_rate: float
    nps_weights: list[float]
    csat_weights: list[float]
    ces_weights: list[float]
    comment_share: float


@dataclass(frozen=True)
class TimestampParams:
    style_weights: dict[str, float]
    offsets_minutes: list[int]


@dataclass(frozen=True)
class FaultParams:
    duplicate: float
    late_update: float
    missing_key: float
    unparsable_timestamp: float
    negative_quantity: float
    unknown_disposition: float
    messy_phone: float


@dataclass(frozen=True)
class Params:
    start_date: dt.date
    holdout_share: float
    customers: CustomerParams
    commerce: CommerceParams
    calls: CallParams
    inbound: InboundParams
    surveys: SurveyParams
    timestamps: TimestampParams
    faults: FaultParams

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, for truth.json."""
        out = dataclasses.asdict(self)
        out["start_date"] = self.start_date.isoformat()
        hours = out["calls"]["hour_connect_multiplier"]
        out["calls"]["hour_connect_multiplier"] = {str(h): v for h, v in hours.items()}
        return out


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    """Deep-merge override into base; a key base does not know is a user error."""
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ValueError(f"unknown generator parameter {where}{key!r}")
        if isinstance(base[key], dict) and isinstance(value, dict) and not _is_weight_map(key):
            merged[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            merged[key] = value
    return merged


def _is_weight_map(key: str) -> bool:
    # Weight maps are replaced whole: a user giving {US: 1.0} means "only US", not "US plus
    # the default mix".
    return key.endswith("_weights") or key.endswith("_multiplier") or key == "tax_rates"


def _section(cls: type, values: dict[str, Any], name: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    missing = names - values.keys()
    if missing:
        raise ValueError(f"generator parameters: {name} is missing {sorted(missing)}")
    return cls(**values)


def load_params(params_file: Path | None = None) -> Params:
    """defaults.yaml, with params_file (if given) merged over it key by key."""
    raw = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    if params_file is not None:
        user = yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {}
        if not isinstance(user, dict):
            raise ValueError(f"{params_file}: expected a YAML mapping of parameters")
        raw = _merge(raw, user, "")
    calls = dict(raw["calls"])
    calls["hour_connect_multiplier"] = {
        int(h): float(m) for h, m in calls["hour_connect_multiplier"].items()
    }
    start = raw["start_date"]
    return Params(
        start_date=start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start)),
        holdout_share=float(raw["holdout_share"]),
        customers=_section(CustomerParams, raw["customers"], "customers"),
        commerce=_section(CommerceParams, raw["commerce"], "commerce"),
        calls=_section(CallParams, calls, "calls"),
        inbound=_section(InboundParams, raw["inbound"], "inbound"),
        surveys=_section(SurveyParams, raw["surveys"], "surveys"),
        timestamps=_section(TimestampParams, raw["timestamps"], "timestamps"),
        faults=_section(FaultParams, raw["faults"], "faults"),
    )
