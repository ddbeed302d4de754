"""The people: who they are, where they live, whether they can be phoned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listenloop.generator.catalog import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from listenloop.generator.clock import HOUR
from listenloop.generator.params import CustomerParams
from listenloop.generator.phones import COUNTRIES, draw_nsn, zero_padded

CONSENT_FALSE, CONSENT_TRUE, CONSENT_UNKNOWN = 0, 1, -1


@dataclass(frozen=True)
class Customers:
    ids: np.ndarray  # "C0000001", in order of creation
    country: np.ndarray  # ISO alpha-2 codes
    created: np.ndarray  # epoch seconds
    nsn: np.ndarray  # national significant number, None when the customer gave no phone
    phone_layout: np.ndarray  # how the customer typed their phone (a phones layout key)
    consent: np.ndarray  # CONSENT_*
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray

    @property
    def size(self) -> int:
        return self.ids.size

    @property
    def callable(self) -> np.ndarray:
        """A usable phone and accepts_phone_contact not false: the call team may dial them."""
        return (self.nsn != None) & (self.consent != CONSENT_FALSE)  # noqa: E711


def numbered(prefix: str, n: int, width: int, first: int = 1) -> np.ndarray:
    """Readable sequential ids: numbered('C', 2, 7) -> ['C0000001', 'C0000002']."""
    return np.strings.add(prefix, zero_padded(np.arange(first, first + n), width)).astype(object)


def simulate_customers(
    n: int, start: int, end: int, p: CustomerParams, rng: np.random.Generator
) -> Customers:
    """n customers created uniformly over the window, numbered in order of creation."""
    created = np.sort(rng.integers(start, end - 2 * HOUR, n))
    codes = list(p.country_weights)
    weights = np.array([p.country_weights[c] for c in codes], dtype=float)
    unknown = sorted(set(codes) - set(COUNTRIES))
    if unknown:
        raise ValueError(f"country_weights: no numbering plan for {unknown}")
    country = np.asarray(codes, dtype="U2")[rng.choice(len(codes), n, p=weights / weights.sum())]

    nsn = np.full(n, None, dtype=object)
    for code in codes:
        rows = np.flatnonzero(country == code)
        nsn[rows] = draw_nsn(code, rows.size, rng)
    nsn[rng.random(n) < p.phone_missing_share] = None
    styles = list(p.phone_style_weights)
    style_w = np.array([p.phone_style_weights[s] for s in styles], dtype=float)
    phone_layout = np.asarray(styles, dtype=object)[
        rng.choice(len(styles), n, p=style_w / style_w.sum())
    ]

    u = rng.random(n)
    consent = np.where(
        u < p.refuses_phone_contact_share,
        CONSENT_FALSE,
        np.where(u < p.refuses_phone_contact_share + p.consent_unknown_share, CONSENT_UNKNOWN, 1),
    ).astype(np.int8)

    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for code in codes:
        rows = np.flatnonzero(country == code)
        firsts = np.asarray(FIRST_NAMES[code], dtype=object)
        lasts = np.asarray(LAST_NAMES[code], dtype=object)
        first[rows] = firsts[rng.integers(0, firsts.size, rows.size)]
        last[rows] = lasts[rng.integers(0, lasts.size, rows.size)]
    ids = numbered("C", n, 7)
    local = np.char.lower(np.strings.replace((first + "." + last).astype(str), " ", "")).astype(
        object
    )
    email = local + np.arange(1, n + 1).astype(str).astype(object) + "@"
    email = email + EMAIL_DOMAINS[rng.integers(0, EMAIL_DOMAINS.size, n)]
    return Customers(ids, country, created, nsn, phone_layout, consent, first, last, email)
