"""Same arguments, same bytes: the demo and its known answers are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

from listenloop.generator import generate


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_writes_byte_identical_files(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(first, customers=150, days=12, seed=5)
    generate(second, customers=150, days=12, seed=5)
    generate(other, customers=150, days=12, seed=6)
    a, b = _snapshot(first), _snapshot(second)
    truth = json.loads(a["truth.json"])
    assert len(a) == sum(sum(counts.values()) for counts in truth["files"].values()) + 1
    assert a == b
    assert _snapshot(other)["truth.json"] != a["truth.json"]
