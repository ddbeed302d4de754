"""The 95% intervals of docs/metrics.md, written out in Python for the hand-computed expectations
of the outcome-mart tests (the marts compute them in SQL, dbt_project/macros/outcomes)."""

from __future__ import annotations

import math

Z = 1.959963984540054
# Student's t 97.5% quantiles from a t table; the marts' Cornish-Fisher t975 is within 1e-3
# relative of them from 4 degrees of freedom up
T975 = {4: 2.776445, 5: 2.570582, 6: 2.446912, 7: 2.364624}


def t975(df: float) -> float:
    """t table value, interpolated in 1/df between integer rows (error ~2e-4 near df = 5.9)."""
    low, high = math.floor(df), math.ceil(df)
    if low == high:
        return T975[low]
    weight = (1 / df - 1 / low) / (1 / high - 1 / low)
    return T975[low] + weight * (T975[high] - T975[low])


def wilson(x: int, n: int) -> tuple[float, float]:
    """Wilson score interval of x / n."""
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval of x1 / n1 - x2 / n2."""
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    return (
        p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def log_interval(ratio: float, se: float) -> tuple[float, float]:
    """A ratio's interval exp(ln ratio -/+ z se), as a lift (minus 1)."""
    return math.exp(math.log(ratio) - Z * se) - 1, math.exp(math.log(ratio) + Z * se) - 1
