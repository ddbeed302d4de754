"""Servers some tests need (PostgreSQL, MariaDB): what to do when one does not answer."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_SERVICES_VAR = "LISTENLOOP_REQUIRE_SERVICES"


def service_unavailable(reason: str) -> NoReturn:
    """Skips the test, or fails it where the servers are promised (LISTENLOOP_REQUIRE_SERVICES=1).

    CI sets the variable, so a server that went missing there cannot pass as a skipped test.
    """
    if os.environ.get(REQUIRE_SERVICES_VAR) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_VAR}=1 requires it)", pytrace=False)
    pytest.skip(reason)
