"""`make bench`: generate (or reuse) feeds at a scale, time every stage, write the report.

    python -m benchmarks.run [--customers 100000] [--days 120] [--seed 42] [--out bench/out]

Times the full rebuild from empty (and the same work in plain DuckDB), then the nightly run after
one new day (benchmarks.nightly); both build up to the day after the last day of data. Writes
<out>/bench-<customers>.md and .json and prints the markdown. Feeds are kept under <out>/feeds/
and reused by later runs at the same scale and seed; each run's warehouses, dbt artifacts and
stage logs are under <out>/run-<scale>/, replaced by the next run at that scale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.feeds import Scale, end_date, ensure_feeds
from benchmarks.nightly import run_nightly
from benchmarks.report import build_report, to_markdown
from benchmarks.stages import RunPaths, run_baseline_and_count, run_full
from listenloop.cli import DEMO_DAYS, DEMO_SEED
from listenloop.settings import PROJECT_ROOT

DEFAULT_CUSTOMERS = 100_000
DEFAULT_OUT = PROJECT_ROOT / "bench" / "out"


def report_paths(out_dir: Path, scale: Scale) -> tuple[Path, Path]:
    """The markdown and JSON report files for `scale`."""
    stem = out_dir / f"bench-{scale.customers}"
    return stem.with_suffix(".md"), stem.with_suffix(".json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--days", type=int, default=DEMO_DAYS)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    scale = Scale(args.customers, args.days, args.seed)
    out_dir = args.out.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    feeds, generation = ensure_feeds(out_dir, scale)
    paths = RunPaths(out_dir / f"run-{scale.label}")
    as_of_date = end_date(feeds)
    listenloop = run_full(feeds, paths, as_of_date.isoformat())
    # The nightly path needs only the full rebuild: its figures come before the baseline's.
    nightly = run_nightly(feeds, paths, as_of_date)
    result = run_baseline_and_count(feeds, paths, listenloop)
    report = build_report(scale, feeds, generation, result, nightly)
    markdown = to_markdown(report)
    markdown_file, json_file = report_paths(out_dir, scale)
    markdown_file.write_text(markdown, encoding="utf-8")
    json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
