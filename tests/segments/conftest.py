from pathlib import Path

import pytest

from tests.segments.lists import build_fixture_lists


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's lists built once per module (tests that change it work on a copy)."""
    return build_fixture_lists(tmp_path_factory.mktemp("segments_build"))
