"""The warehouse tables the quality suites read, as Dagster asset keys, and their rate columns.

This module stays light (no great-expectations import) because the definitions load it.
"""

from __future__ import annotations

import json

import dagster as dg

from orchestration.defs.dbt_models import ListenLoopDbtTranslator, dbt_project

MART_SCHEMA = "marts"
CALL_LIST = dg.AssetKey(["segments", "call_list"])
CALL_OUTCOMES = dg.AssetKey(["marts", "mart_call_outcomes_daily"])
CART_RECOVERY = dg.AssetKey(["marts", "mart_cart_recovery"])
# mart_cart_recovery is weekly; the daily recovery rate lives in the table that feeds it.
ASSIGNMENT_RESULTS = dg.AssetKey(["intermediate", "int_outcomes__assignment_results"])

_RATE_WORDS = {"rate", "share"}
_SHARES_NAMED_OTHERWISE = {"csat"}  # satisfied answers / answers, 0 to 1
_BOUND_SUFFIXES = ("_ci_low", "_ci_high")


def is_rate_column(name: str) -> bool:
    """A rate, a share or a bound of one: the naming rule documented in docs/data-quality.md."""
    for suffix in _BOUND_SUFFIXES:
        name = name.removesuffix(suffix)
    return name in _SHARES_NAMED_OTHERWISE or bool(_RATE_WORDS & set(name.split("_")))


def mart_rate_columns() -> dict[dg.AssetKey, tuple[str, ...]]:
    """Every mart with rate columns, from the columns its dbt YAML declares (the manifest)."""
    manifest = json.loads(dbt_project().manifest_path.read_text(encoding="utf-8"))
    translator = ListenLoopDbtTranslator()
    found: dict[dg.AssetKey, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("schema") != MART_SCHEMA:
            continue
        rates = tuple(name for name in node["columns"] if is_rate_column(name))
        if rates:
            found[translator.get_asset_key(node)] = rates
    return dict(sorted(found.items(), key=lambda item: item[0].to_user_string()))
