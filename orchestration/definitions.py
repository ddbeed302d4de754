"""The Dagster code location: a thin entry point over `orchestration.defs`."""

from listenloop.settings import Settings
from orchestration.defs import build_definitions

defs = build_definitions(Settings.from_env())
