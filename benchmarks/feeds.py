"""Demo feeds at the benchmark's scale: generated once per (customers, days, seed), then reused."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks.measure import Measurement, run_measured

LISTENLOOP_CLI = Path(sys.executable).with_name("listenloop")


@dataclass(frozen=True)
class Scale:
    customers: int
    days: int
    seed: int

    @property
    def label(self) -> str:
        return f"c{self.customers}-d{self.days}-s{self.seed}"


def feeds_dir(out_dir: Path, scale: Scale) -> Path:
    return out_dir / "feeds" / scale.label


def has_feeds(path: Path, scale: Scale) -> bool:
    """True when `path` holds a finished generation at `scale` (truth.json is written last)."""
    truth = path / "truth.json"
    if not truth.exists():
        return False
    generator = json.loads(truth.read_text(encoding="utf-8")).get("generator", {})
    wanted = {"customers": scale.customers, "days": scale.days, "seed": scale.seed}
    return {key: generator.get(key) for key in wanted} == wanted


def ensure_feeds(out_dir: Path, scale: Scale) -> tuple[Path, Measurement | None]:
    """The feeds folder for `scale`, and the generation's measurement (None when reused)."""
    path = feeds_dir(out_dir, scale)
    if has_feeds(path, scale):
        return path, None
    # Whatever is there is an interrupted generation: start from an empty folder.
    shutil.rmtree(path, ignore_errors=True)
    argv = [str(LISTENLOOP_CLI), "generate", "--out", str(path)]
    argv += ["--customers", str(scale.customers), "--days", str(scale.days)]
    argv += ["--seed", str(scale.seed)]
    return path, run_measured(argv, out_dir / "logs" / f"generate-{scale.label}.log")


def end_date(path: Path) -> date:
    """The day after the last day of data (truth.json's end_date): the list date a build of
    every delivered day is built up to, as the known-answer tests do."""
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    return date.fromisoformat(truth["generator"]["end_date"])
