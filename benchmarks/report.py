"""The benchmark's report: one JSON document, and the markdown table made from it."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.counts import ROWS_COUNTED
from benchmarks.feeds import Scale
from benchmarks.measure import Measurement
from benchmarks.nightly import NightlyResult
from benchmarks.report_nightly import nightly_markdown, nightly_section
from benchmarks.stages import STAGES, RunResult
from listenloop.settings import Settings

PACKAGES = ("duckdb", "dlt", "dbt-core", "dbt-duckdb")


def machine_info() -> dict[str, Any]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    settings = Settings.from_env()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in PACKAGES},
        # The machine may be shared: its load when the run ended (1, 5 and 15 minutes).
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "duckdb_temp_dir": settings.duckdb_temp_dir,
    }


def build_report(
    scale: Scale,
    feeds: Path,
    generation: Measurement | None,
    result: RunResult,
    nightly: NightlyResult,
) -> dict[str, Any]:
    stages = []
    for name in STAGES:
        listenloop = result.listenloop[name].measurement
        baseline = result.baseline[name].measurement
        rows = result.rows["listenloop"][name]
        stages.append(
            {
                "stage": name,
                "seconds": round(listenloop.seconds, 3),
                "rows": rows,
                "rows_per_second": round(rows / listenloop.seconds),
                "peak_mb": round(listenloop.peak_mb, 1),
                "baseline_seconds": round(baseline.seconds, 3),
                "baseline_rows": result.rows["baseline"][name],
                "baseline_peak_mb": round(baseline.peak_mb, 1),
                "ratio": round(listenloop.seconds / baseline.seconds, 2),
                "rows_counted": ROWS_COUNTED[name],
                "command": result.listenloop[name].command,
                "baseline_command": result.baseline[name].command,
            }
        )
    return {
        "scale": {"customers": scale.customers, "days": scale.days, "seed": scale.seed},
        "feeds": {
            "path": str(feeds),
            "generated": generation is not None,
            "generate_seconds": round(generation.seconds, 3) if generation else None,
            "generate_peak_mb": round(generation.peak_mb, 1) if generation else None,
        },
        "machine": machine_info(),
        "stages": stages,
        "checks": result.checks,
        "nightly": nightly_section(nightly, result),
    }


def to_markdown(report: dict[str, Any]) -> str:
    scale, machine, feeds = report["scale"], report["machine"], report["feeds"]
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    made = f"generated in {feeds['generate_seconds']:.1f} s" if feeds["generated"] else "reused"
    lines = [
        f"## ListenLoop benchmark: {scale['customers']:,} customers, {scale['days']} days,"
        f" seed {scale['seed']}",
        "",
        f"Machine: {machine['cores']} cores, {machine['memory_gib']} GiB RAM,"
        f" {machine['platform']}, Python {machine['python']}; {versions}."
        f" Load average at the end: {' / '.join(map(str, machine['load_average']))}."
        f" DuckDB memory limit: {machine['duckdb_memory_limit'] or 'default'},"
        f" temp directory: {machine['duckdb_temp_dir'] or 'default'}.",
        f"Feeds: `{feeds['path']}` ({made}).",
        "",
        "| stage | seconds | rows | rows/s | peak MB | baseline seconds | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s['stage']} | {s['seconds']:.1f} | {s['rows']:,} | {s['rows_per_second']:,}"
        f" | {s['peak_mb']:,.0f} | {s['baseline_seconds']:.1f} | {s['ratio']:.1f}x |"
        for s in report["stages"]
    ]
    checks = report["checks"]
    lines += [
        "",
        "Each stage runs in a process of its own: seconds are its wall time, peak MB its maximum"
        " resident memory. The baseline does the same work in plain DuckDB (its own readers;"
        " the SQL dbt compiled, run as CREATE statements; the compiled tests as queries);"
        " ratio = ListenLoop seconds / baseline seconds.",
        "",
        *(
            f"- rows, {s['stage']}: {s['rows_counted']} (baseline: {s['baseline_rows']:,})"
            for s in report["stages"]
        ),
        f"- checks: ListenLoop ran {checks['listenloop']['tests']} data tests"
        f" ({checks['listenloop']['tests_returning_rows']} returned rows, i.e. warned or failed);"
        f" the baseline ran {checks['baseline']['tests']}"
        f" ({checks['baseline']['tests_returning_rows']} returned rows).",
        *nightly_markdown(report["nightly"]),
    ]
    return "\n".join(lines) + "\n"
