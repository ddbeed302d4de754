"""Deterministic demo data for ListenLoop: a store, its call program, and the known answers.

`generate(out_dir, customers, days, seed)` writes every feed of ingestion.contract as daily
files under out_dir (CSV, JSONL and Parquet in rotation) plus out_dir/truth.json, the planted
parameters and realised figures (keys documented in listenloop.generator.truth). The same
arguments always produce byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingestion.contract import FEEDS
from listenloop.generator.faults import inject_faults
from listenloop.generator.params import Params, load_params
from listenloop.generator.simulate import simulate
from listenloop.generator.tables import BUILDERS
from listenloop.generator.truth import build_truth
from listenloop.generator.writer import write_feed

__all__ = ["Params", "generate", "load_params"]


def generate(
    out_dir: Path, customers: int, days: int, seed: int, params_file: Path | None = None
) -> dict:
    """Write the feeds and truth.json into out_dir; returns the truth dict."""
    if customers < 1 or days < 1:
        raise ValueError("generate needs at least one customer and one day")
    params = load_params(params_file)
    out_dir = Path(out_dir)
    # Independent streams: formatting and faults never shift what the simulation drew.
    sim_rng, format_rng, fault_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    sim = simulate(customers, days, params, sim_rng)
    clean, written, faults, files = {}, {}, {}, {}
    # One feed at a time, so only one feed's table is ever in memory next to the simulation.
    for feed in FEEDS:
        table = BUILDERS[feed.name](sim, params, format_rng)
        keys = table[feed.primary_key].unique()
        clean[feed.name] = (table.num_rows, len(keys))
        table, faults[feed.name] = inject_faults(
            feed.name, table, days, sim.start, params, fault_rng
        )
        written[feed.name] = table.num_rows
        files[feed.name] = write_feed(out_dir, feed.name, table, params.start_date, days)
    truth = build_truth(sim, params, seed, customers, days, clean, written, faults, files)
    (out_dir / "truth.json").write_text(
        json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return truth
