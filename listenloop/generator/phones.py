"""Valid phone numbers per country, and the many ways people type them.

A number is kept as its national significant number (NSN, digits only); a layout such as
"(ddd) ddd-dddd" puts those digits into a typed form, one 'd' per digit, so formatting a million
numbers is a character-matrix copy, not a Python loop. Every layout here parses back to the same
E.164 number with `phonenumbers.parse(text, country)` (a test checks that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NumberingPlan:
    calling_code: str
    prefixes: tuple[str, ...]  # mobile or geographic ranges valid in phonenumbers' metadata
    nsn_length: int
    # Clean layouts by style. "national" needs the customer's country to read, so it is only
    # used where the row carries a country (customers).
    layouts: dict[str, str]
    # Messy layouts: odd but still valid. "+..." ones parse without a country; the others need it.
    messy: tuple[str, ...]


PLANS: dict[str, NumberingPlan] = {
    "US": NumberingPlan(
        "1",
        ("212", "312", "415", "617", "206", "303", "512", "702", "305", "404", "213", "646"),
        10,
        {"e164": "+1dddddddddd", "international": "+1 ddd-ddd-dddd", "national": "(ddd) ddd-dddd"},
        ("ddd.ddd.dddd", "1-ddd-ddd-dddd", "+1 (ddd) ddd dddd", "ddd ddd dddd", "+1.ddd.ddd.dddd"),
    ),
    "CA": NumberingPlan(
        "1",
        ("416", "604", "514", "403", "613", "780", "905", "647"),
        10,
        {"e164": "+1dddddddddd", "international": "+1 ddd-ddd-dddd", "national": "(ddd) ddd-dddd"},
        ("ddd.ddd.dddd", "1-ddd-ddd-dddd", "+1 (ddd) ddd dddd", "ddd ddd dddd"),
    ),
    "GB": NumberingPlan(
        "44",
        ("7400", "7412", "7456", "7507", "7535", "7712", "7723", "7800", "7831", "7912", "7946"),
        10,
        {"e164": "+44dddddddddd", "international": "+44 dddd dddddd", "national": "0dddd dddddd"},
        ("0044 dddd dddddd", "+44 (0)dddd dddddd", "0dddd-ddd-ddd", "+44dddd ddd ddd"),
    ),
    "DE": NumberingPlan(
        "49",
        ("151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177", "179"),
        11,
        {
            "e164": "+49ddddddddddd",
            "international": "+49 ddd dddddddd",
            "national": "0ddd dddddddd",
        },
        ("0049 ddd dddddddd", "+49 (0)ddd dddd dddd", "0ddd/dddddddd", "0ddd-dddd-dddd"),
    ),
    "FR": NumberingPlan(
        "33",
        ("60", "61", "62", "64", "65", "66", "67", "68", "73", "75", "76", "77", "78"),
        9,
        {
            "e164": "+33ddddddddd",
            "international": "+33 d dd dd dd dd",
            "national": "0d dd dd dd dd",
        },
        ("0033 d dd dd dd dd", "0d-dd dd dd dd", "0d.dd.dd.dd.dd", "+33 (0)d dd dd dd dd"),
    ),
    "NL": NumberingPlan(
        "31",
        ("61", "62", "63", "64", "65"),
        9,
        {"e164": "+31ddddddddd", "international": "+31 d dddddddd", "national": "0d dddddddd"},
        ("0031 d dddddddd", "0d-dddddddd", "+31 (0)d dddd dddd", "0d dddd dddd"),
    ),
    "AU": NumberingPlan(
        "61",
        ("400", "401", "402", "403", "404", "405", "406", "407", "408", "409", "410", "412"),
        9,
        {
            "e164": "+61ddddddddd",
            "international": "+61 ddd ddd ddd",
            "national": "0ddd ddd ddd",
        },
        ("0011 61 ddd ddd ddd", "+61 (0)ddd ddd ddd", "0ddd-ddd-ddd", "0d dddd dddd"),
    ),
}

COUNTRIES: tuple[str, ...] = tuple(PLANS)


def draw_nsn(country: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random valid national significant numbers for one country."""
    plan = PLANS[country]
    prefixes = np.asarray(plan.prefixes)
    prefix = prefixes[rng.integers(0, prefixes.size, n)]
    rest_len = plan.nsn_length - len(plan.prefixes[0])
    if country in ("US", "CA"):
        # NANP exchange codes start 2-9 and x11 is reserved; 555 is kept out (fictional range).
        exchange = rng.integers(200, 1000, n)
        exchange = np.where((exchange % 100 == 11) | (exchange == 555), exchange + 1, exchange)
        line = rng.integers(0, 10_000, n)
        return np.strings.add(np.strings.add(prefix, exchange.astype("U3")), zero_padded(line, 4))
    rest = rng.integers(0, 10**rest_len, n)
    return np.strings.add(prefix, zero_padded(rest, rest_len))


def zero_padded(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as fixed-width digit strings ('U<width>')."""
    if values.size == 0:  # np.strings.zfill cannot size an empty result
        return np.empty(0, dtype=f"U{width}")
    return np.strings.zfill(values.astype(f"U{width}"), width)


def apply_layout(nsn: np.ndarray, layout: str) -> np.ndarray:
    """Type every NSN (all the same length) into one layout."""
    n = nsn.size
    length = layout.count("d")
    digits = np.ascontiguousarray(nsn.astype(f"U{length}")).view("U1").reshape(n, length)
    out = np.empty((n, len(layout)), dtype="U1")
    digit_pos = [i for i, ch in enumerate(layout) if ch == "d"]
    out[:, digit_pos] = digits
    for i, ch in enumerate(layout):
        if ch != "d":
            out[:, i] = ch
    return np.ascontiguousarray(out).view(f"U{len(layout)}").ravel()


def render(country: np.ndarray, nsn: np.ndarray, layout_key: np.ndarray) -> np.ndarray:
    """Phones typed per row: layout_key is a clean style name or 'messy:<i>'."""
    out = np.empty(nsn.size, dtype=object)
    for code, plan in PLANS.items():
        in_country = country == code
        if not in_country.any():
            continue
        layouts = dict(plan.layouts) | {f"messy:{i}": m for i, m in enumerate(plan.messy)}
        for key, layout in layouts.items():
            rows = in_country & (layout_key == key)
            if rows.any():
                out[rows] = apply_layout(nsn[rows], layout)
    return out


def messy_keys(country: np.ndarray, rng: np.random.Generator, needs_plus: bool) -> np.ndarray:
    """A messy layout per row; `needs_plus` keeps to layouts readable without a country."""
    keys = np.empty(country.size, dtype=object)
    for code, plan in PLANS.items():
        rows = np.flatnonzero(country == code)
        choices = [
            f"messy:{i}" for i, m in enumerate(plan.messy) if not needs_plus or m.startswith("+")
        ]
        keys[rows] = np.asarray(choices, dtype=object)[rng.integers(0, len(choices), rows.size)]
    return keys
