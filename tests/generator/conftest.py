"""One small generated run shared by the generator tests (a few hundred customers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from listenloop.generator import generate

SMALL = {"customers": 400, "days": 45, "seed": 11}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("feeds")
    return out, generate(out, **SMALL)
