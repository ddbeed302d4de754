"""The `listenloop` command: generate demo feeds, run the pipeline, open the UI."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from ingestion.contract import SEGMENTS
from listenloop.settings import PROJECT_ROOT, Settings, SettingsError

DEMO_CUSTOMERS = 20_000
DEMO_DAYS = 120
DEMO_SEED = 42


def _generate(args: argparse.Namespace) -> int:
    from listenloop.generator import generate

    truth = generate(Path(args.out), args.customers, args.days, args.seed, args.params)
    lines = sum(feed["lines_written"] for feed in truth["rows"].values())
    print(f"Wrote {lines:,} rows of demo feeds to {args.out}")
    return 0


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-21") from exc


def _run(args: argparse.Namespace) -> int:
    from orchestration.pipeline_run import format_report, run_pipeline

    settings = Settings.from_env(
        feeds_dir=args.feeds, warehouse=args.warehouse, as_of_date=args.as_of_date
    )
    try:
        report = run_pipeline(settings)
    except ValueError as exc:
        print(f"listenloop run: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0 if report.ok else 1


def _calllist(args: argparse.Namespace) -> int:
    from listenloop.calllist import CallListMissing, export_call_list, format_summary

    settings = Settings.from_env(warehouse=args.warehouse)
    try:
        summary = export_call_list(
            settings.warehouse, date.fromisoformat(args.date), args.out, args.segment, args.format
        )
    except CallListMissing as exc:
        print(f"listenloop calllist: {exc}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return 0


def _publish(args: argparse.Namespace) -> int:
    import duckdb

    from listenloop.serving import pii_policy, publish
    from listenloop.serving_postgres import PostgresPublishError, publish_to_postgres

    settings = Settings.from_env(warehouse=args.warehouse, serving_dir=args.serving_dir)
    postgres_url = args.postgres or settings.serving_postgres_url
    try:
        policy = pii_policy(settings.serving_emails, settings.serving_phones)
        report = publish(settings.warehouse, settings.serving_dir, policy)
        print(
            f"Published {len(report.rows)} tables to {report.serving_file} and {report.parquet_dir}"
        )
        for table, columns in sorted(report.withheld.items()):
            print(f"  withheld from {table} (PII policy): {', '.join(columns)}")
        if postgres_url:
            copied = publish_to_postgres(report.serving_file, postgres_url, args.schema)
            print(f"Copied {len(copied.rows)} tables into PostgreSQL schema {copied.schema}")
    except (ValueError, duckdb.Error, PostgresPublishError) as exc:
        print(f"listenloop publish: {exc}", file=sys.stderr)
        return 2
    return 0


def _demo(args: argparse.Namespace) -> int:
    from listenloop.generator import generate
    from orchestration.pipeline_run import format_report, run_pipeline

    feeds = Path(Settings.from_env().feeds_dir)
    truth_file = feeds / "truth.json"
    if not truth_file.exists():
        print(f"Generating {DEMO_CUSTOMERS:,} customers over {DEMO_DAYS} days into {feeds} ...")
        generate(feeds, DEMO_CUSTOMERS, DEMO_DAYS, DEMO_SEED, None)
    # The demo's calendar is its data's: daily partitions from the first day of data, and the
    # list of the day after the last one.
    generated = json.loads(truth_file.read_text(encoding="utf-8"))["generator"]
    settings = Settings.from_env(
        as_of_date=generated["end_date"], first_list_date=generated["start_date"]
    )
    report = run_pipeline(settings)
    print(format_report(report))
    return 0 if report.ok else 1


def _ui(args: argparse.Namespace) -> int:
    from orchestration.instance import prepare_dagster_home

    settings = Settings.from_env()
    settings.export_env()
    prepare_dagster_home(settings)
    bin_dir = Path(sys.executable).parent
    # dagster dev re-parses the dbt project on start; it looks for dbt on PATH.
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    argv = [str(bin_dir / "dagster"), "dev", "-h", args.host, "-p", str(args.port)]
    argv += ["-m", "orchestration.definitions"]
    os.chdir(PROJECT_ROOT)
    os.execv(argv[0], argv)
    return 0  # unreachable: execv replaces the process


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listenloop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write deterministic demo feeds and truth.json")
    gen.add_argument("--out", required=True, help="feeds folder to write")
    gen.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    gen.add_argument("--days", type=int, default=DEMO_DAYS)
    gen.add_argument("--seed", type=int, default=DEMO_SEED)
    gen.add_argument("--params", type=Path, default=None, help="YAML overriding defaults.yaml")
    gen.set_defaults(func=_generate)

    run = sub.add_parser("run", help="materialize the whole asset graph over a feeds folder")
    run.add_argument("--feeds", default=None, help="feeds folder or URL [LISTENLOOP_FEEDS_DIR]")
    run.add_argument("--warehouse", default=None, help="DuckDB file [LISTENLOOP_WAREHOUSE]")
    run.add_argument(
        "--as-of-date",
        type=_iso_date,
        default=None,
        help="the call-list day, YYYY-MM-DD; default today [LISTENLOOP_AS_OF_DATE]",
    )
    run.set_defaults(func=_run)

    calllist = sub.add_parser("calllist", help="export a day's treatment call list")
    calllist.add_argument("--date", required=True, type=_iso_date, help="the list date D")
    calllist.add_argument("--segment", choices=SEGMENTS, default=None)
    calllist.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    calllist.add_argument("--out", required=True, type=Path, help="file to write")
    calllist.add_argument("--warehouse", default=None, help="DuckDB file [LISTENLOOP_WAREHOUSE]")
    calllist.set_defaults(func=_calllist)

    pub = sub.add_parser(
        "publish", help="publish the marts and the call list to the serving copy BI tools read"
    )
    pub.add_argument("--warehouse", default=None, help="DuckDB file [LISTENLOOP_WAREHOUSE]")
    pub.add_argument(
        "--serving-dir", default=None, help="where serving.duckdb goes [LISTENLOOP_SERVING_DIR]"
    )
    pub.add_argument(
        "--postgres",
        default=None,
        metavar="URL",
        help="also copy into PostgreSQL, in one transaction [LISTENLOOP_SERVING_POSTGRES_URL]; "
        "prefer the variable: a URL on the command line shows in the process list",
    )
    pub.add_argument("--schema", default="listenloop", help="the PostgreSQL schema")
    pub.set_defaults(func=_publish)

    demo = sub.add_parser("demo", help="generate the default demo feeds and run everything")
    demo.set_defaults(func=_demo)

    ui = sub.add_parser("ui", help="start the Dagster UI and daemon over the same definitions")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"listenloop: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
