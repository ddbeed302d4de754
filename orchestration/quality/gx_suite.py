"""Run a great-expectations 1.x suite over DataFrames and report it as one Dagster check result.

dagster-ge only supports GX below 1.0, hence this thin wrapper over GX's current API: an
ephemeral context, one pandas batch per DataFrame, and each expectation's success and observed
value in the check's metadata. Importing GX takes seconds, so only check bodies import this.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core import ExpectationValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations import Expectation

ERROR = dg.AssetCheckSeverity.ERROR
WARN = dg.AssetCheckSeverity.WARN
SAMPLE_SIZE = 5  # offending values listed per expectation, where listing them is safe
_BOUNDS = ("min_value", "max_value")


@dataclass(frozen=True, eq=False)
class Rule:
    """One expectation: what GX checks, on which of the suite's frames, and how bad a failure is."""

    label: str
    expectation: Expectation
    frame: str
    severity: dg.AssetCheckSeverity
    facts: Mapping[str, Any] = field(default_factory=dict)  # what its bounds were derived from
    show_values: bool = False  # list offending values: never for phones, emails or names


@dataclass(frozen=True)
class Skipped:
    """An expectation that cannot be judged today (too little history, a weekend); it passes."""

    label: str
    severity: dg.AssetCheckSeverity
    reason: str


# What a suite validates: its named frames, and the rules that say which frame each checks.
Suite = tuple[dict[str, pd.DataFrame], list[Rule | Skipped]]


def run_suite(
    check: dg.AssetCheckKey, frames: Mapping[str, pd.DataFrame], rules: Sequence[Rule | Skipped]
) -> dg.AssetCheckResult:
    results = _validate(frames, [r for r in rules if isinstance(r, Rule)])
    entries = {
        rule.label: _skipped_entry(rule) if isinstance(rule, Skipped) else _entry(rule, results)
        for rule in rules
    }
    failed = [r for r in rules if entries[r.label].get("success") is False]
    # A failure is as bad as its worst expectation; a pass carries the suite's worst, so that
    # a passing blocking suite still reads as blocking.
    severity = ERROR if any(r.severity == ERROR for r in failed or rules) else WARN
    return dg.AssetCheckResult(
        asset_key=check.asset_key,
        check_name=check.name,
        passed=not failed,
        severity=severity,
        description=_describe(rules, failed),
        metadata={label: dg.MetadataValue.json(entry) for label, entry in entries.items()},
    )


def _validate(
    frames: Mapping[str, pd.DataFrame], rules: Sequence[Rule]
) -> dict[str, ExpectationValidationResult]:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keeps run logs readable
    source = context.data_sources.add_pandas("warehouse")
    results: dict[str, ExpectationValidationResult] = {}
    for name, data in frames.items():
        on_frame = [r for r in rules if r.frame == name]
        if not on_frame:
            continue
        # GX returns results in its own order: the label in meta ties each back to its rule.
        expectations = [r.expectation.copy(update={"meta": {"label": r.label}}) for r in on_frame]
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe(name)
            .get_batch(batch_parameters={"dataframe": data})
        )
        suite = gx.ExpectationSuite(name=name, expectations=expectations)
        validation = batch.validate(suite, result_format="SUMMARY")
        results.update({r.expectation_config.meta["label"]: r for r in validation.results})
    return results


def _entry(rule: Rule, results: Mapping[str, ExpectationValidationResult]) -> dict[str, Any]:
    result = results[rule.label]
    entry: dict[str, Any] = {"success": bool(result.success), "severity": rule.severity.value}
    outcome = result.result
    if result.exception_info.get("raised_exception"):
        entry["error"] = result.exception_info["exception_message"]
    elif "observed_value" in outcome:
        entry["observed_value"] = plain(outcome["observed_value"])
    else:
        # A per-row expectation: what it observed is how many rows break it.
        rows = outcome["element_count"]
        entry["observed_value"] = outcome["unexpected_count"]
        entry["unexpected_share"] = plain(outcome["unexpected_count"] / rows if rows else 0.0)
        entry["rows"] = rows
        if rule.show_values and outcome["unexpected_count"]:
            sample = outcome["partial_unexpected_list"][:SAMPLE_SIZE]
            entry["unexpected_values"] = [plain(v) for v in sample]
    kwargs = rule.expectation.configuration.kwargs
    entry.update({k: plain(kwargs[k]) for k in _BOUNDS if kwargs.get(k) is not None})
    entry.update({k: plain(v) for k, v in rule.facts.items()})
    return entry


def _skipped_entry(rule: Skipped) -> dict[str, Any]:
    return {"skipped": rule.reason, "severity": rule.severity.value}


def _describe(rules: Sequence[Rule | Skipped], failed: Sequence[Rule | Skipped]) -> str:
    judged = sum(isinstance(r, Rule) for r in rules)
    text = f"{judged - len(failed)}/{judged} expectations passed"
    if failed:
        text += "; failed: " + ", ".join(f"{r.label} ({r.severity.value})" for r in failed)
    if judged < len(rules):
        text += f"; {len(rules) - judged} skipped"
    return text + "."


def plain(value: Any) -> Any:
    """A JSON-ready copy of a value GX or pandas observed; floats keep 6 decimals."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, dt.date | dt.datetime):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value
