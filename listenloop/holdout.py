"""The holdout rule. The dbt macro `holdout_bucket` mirrors it in SQL; a test proves they agree."""

from __future__ import annotations

import hashlib

DEFAULT_HOLDOUT_SHARE = 0.10


def holdout_bucket(customer_id: str, segment: str, trigger_id: str) -> float:
    """A stable number in [0, 1) for one (customer, segment, trigger)."""
    key = f"{customer_id}|{segment}|{trigger_id}".encode()
    return int(hashlib.sha256(key).hexdigest()[:8], 16) / 2**32


def is_holdout(
    customer_id: str, segment: str, trigger_id: str, share: float = DEFAULT_HOLDOUT_SHARE
) -> bool:
    """True when this trigger's customer is kept out of calling, as the control group."""
    return holdout_bucket(customer_id, segment, trigger_id) < share
