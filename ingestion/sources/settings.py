"""Resolving a source's settings from dlt's providers, with an error that says what to set.

dlt's own error lists every provider it tried; this one names the missing keys
(`sources.<source>.<key>`) and their environment variables, and carries nothing resolved (a
value could be a secret).
"""

from __future__ import annotations

from typing import TypeVar

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs import BaseConfiguration

TSpec = TypeVar("TSpec", bound=BaseConfiguration)


def resolve_source_settings(
    spec_instance: TSpec, source_name: str, error_cls: type[Exception]
) -> TSpec:
    """`spec_instance` filled from secrets.toml, config.toml and env under sources.<source_name>.

    A missing required setting raises `error_cls` (the connector's own error) naming each
    missing key and its environment variable, never a value.
    """
    try:
        return resolve_configuration(spec_instance, sections=("sources", source_name))
    except ConfigFieldMissingException as exc:
        keys = ", ".join(f"sources.{source_name}.{field}" for field in exc.fields)
        env = ", ".join(f"SOURCES__{source_name.upper()}__{field.upper()}" for field in exc.fields)
        raise error_cls(
            f"{source_name}: missing setting {keys}; set it in .dlt/secrets.toml or "
            f".dlt/config.toml, or in the environment as {env}"
        ) from None
