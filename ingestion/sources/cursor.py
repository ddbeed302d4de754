"""An `updated_at` cursor with a lag window, kept in the dlt resource state.

The state is committed in the same load package as the rows, so a run killed mid-load leaves
the cursor where the last complete load put it, and the next run fetches those records again.
The raw tables merge on the contract's key (with `updated_at` for versioned feeds), so a record
fetched twice lands once: that is what makes a resumed load exactly-once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dlt

STATE_KEY = "updated_at_cursor"


class UpdatedAtCursor:
    """The newest `updated_at` a resource has landed, and where its next fetch starts.

    Use inside a resource while it extracts: `since` is the cursor minus `lag` (None on a first
    run: fetch everything). Call `saw()` with each record's `updated_at`; the new high-water mark
    is written to the state as it goes, and it is only committed with the load.
    """

    def __init__(self, lag: timedelta) -> None:
        self._state = dlt.current.resource_state()
        self.lag = lag
        stored = self._state.get(STATE_KEY)
        self.high_water: datetime | None = datetime.fromisoformat(stored) if stored else None

    @property
    def since(self) -> datetime | None:
        """Fetch records updated at or after this instant (UTC); None fetches everything."""
        return self.high_water - self.lag if self.high_water else None

    def saw(self, updated_at: datetime | str | None) -> None:
        if updated_at is None:
            return
        value = as_utc(updated_at)
        if self.high_water is None or value > self.high_water:
            self.high_water = value
            self._state[STATE_KEY] = value.isoformat()


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from an ISO-8601 text (a trailing Z allowed) or a datetime.

    A naive value is taken as UTC, the contract's meaning for a timestamp without offset.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_utc(value: datetime | str | None) -> str | None:
    """The contract's timestamp text: ISO-8601 in UTC with a Z, None for no value.

    A naive value means UTC (RFC 2822 "-0000" parses to one), never the machine's zone.
    """
    if value is None or value == "":
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")
