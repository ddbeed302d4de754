"""The report's nightly section: the nightly run after one new day against the full rebuild."""

from __future__ import annotations

from typing import Any

from benchmarks.measure import Measurement
from benchmarks.nightly import NightlyResult
from benchmarks.stages import STAGES, RunResult

NIGHTLY_HEADER = (
    "| stage | nightly seconds | nightly peak MB | full seconds | full peak MB | nightly/full |"
)


def nightly_section(nightly: NightlyResult, full: RunResult) -> dict[str, Any]:
    stages = [
        _stage(name, nightly.nightly[name].measurement, full.listenloop[name].measurement)
        for name in STAGES
    ]
    total = {key: round(sum(s[key] for s in stages), 3) for key in ("seconds", "full_seconds")}
    differing = [t["relation"] for t in nightly.tables if not t["same_rows"]]
    return {
        "new_day": nightly.new_day.isoformat(),
        "as_of_date": nightly.as_of_date.isoformat(),
        "dbt_vars": nightly.dbt_vars,
        "files": nightly.files,
        "parse_seconds": round(nightly.parse.seconds, 3),
        "setup": [
            {"stage": name, **_figures(timed.measurement)} for name, timed in nightly.setup.items()
        ],
        "stages": stages,
        "total": {**total, "ratio": round(total["seconds"] / total["full_seconds"], 3)},
        "checks": nightly.checks,
        "tables_compared": len(nightly.tables),
        "tables_differing": differing,
        "tables": nightly.tables,
        "commands": {name: timed.command for name, timed in nightly.nightly.items()},
    }


def _figures(measurement: Measurement) -> dict[str, float]:
    return {"seconds": round(measurement.seconds, 3), "peak_mb": round(measurement.peak_mb, 1)}


def _stage(name: str, nightly: Measurement, full: Measurement) -> dict[str, Any]:
    return {
        "stage": name,
        **_figures(nightly),
        "full_seconds": round(full.seconds, 3),
        "full_peak_mb": round(full.peak_mb, 1),
        "ratio": round(nightly.seconds / full.seconds, 3),
    }


def nightly_markdown(section: dict[str, Any]) -> list[str]:
    total, checks, files = section["total"], section["checks"], section["files"]
    setup = ", ".join(
        f"{s['stage']} {s['seconds']:.1f} s (peak {s['peak_mb']:,.0f} MB)" for s in section["setup"]
    )
    differing = ", ".join(section["tables_differing"]) or "none"
    return [
        "",
        f"### Nightly run after one new day ({section['new_day']}) against the full rebuild",
        "",
        NIGHTLY_HEADER,
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {s['stage']} | {s['seconds']:.1f} | {s['peak_mb']:,.0f} | {s['full_seconds']:.1f}"
            f" | {s['full_peak_mb']:,.0f} | {s['ratio']:.2f} |"
            for s in section["stages"]
        ),
        f"| total | {total['seconds']:.1f} | | {total['full_seconds']:.1f} | |"
        f" {total['ratio']:.2f} |",
        "",
        f"Setup (not in the ratio): the {files['before']:,} files of the days before, ingested"
        f" and built with list date {section['new_day']}: {setup}. The nightly run then receives"
        f" the {files['new']} files of {section['new_day']} and builds up to list date"
        f" {section['as_of_date']} with the nightly schedule's vars `{section['dbt_vars']}`"
        f" (dbt parse with those vars beforehand, untimed as for the full rebuild:"
        f" {section['parse_seconds']:.1f} s).",
        f"- checks: the nightly run ran {checks['tests']} data tests"
        f" ({checks['tests_returning_rows']} returned rows).",
        f"- same warehouse: {section['tables_compared']} tables compared with the full rebuild"
        " (raw feed tables by row count, model tables by row count and a fingerprint of their"
        f" rows); differing: {differing}.",
    ]
