"""Survey answers: after connected calls (by phone or SMS) and after orders (email or web)."""

from __future__ import annotations

import numpy as np

from listenloop.generator.clock import DAY
from listenloop.generator.customers import numbered
from listenloop.generator.notes import SURVEY_COMMENTS
from listenloop.generator.params import SurveyParams

CHANNELS = np.array(["call", "sms", "email", "web"], dtype=object)


def _scores(weights: list[float], low: int, n: int, rng: np.random.Generator) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return low + rng.choice(w.size, n, p=w / w.sum())


def simulate_surveys(
    call_customer: np.ndarray,
    call_ids: np.ndarray,
    call_ended: np.ndarray,
    call_connected: np.ndarray,
    order_customer: np.ndarray,
    order_ids: np.ndarray,
    order_created: np.ndarray,
    order_voided: np.ndarray,
    end: int,
    p: SurveyParams,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Survey rows sorted by submitted time; a score a survey did not ask is -1 (empty)."""
    calls = np.flatnonzero(call_connected & (rng.random(call_ids.size) < p.after_call_rate))
    orders = np.flatnonzero(~order_voided & (rng.random(order_ids.size) < p.after_order_rate))
    nc, no = calls.size, orders.size
    n = nc + no
    submitted = np.concatenate(
        [
            call_ended[calls] + rng.integers(300, 2 * DAY, nc),
            order_created[orders] + rng.integers(3 * DAY, 14 * DAY, no),
        ]
    )
    from_call = np.arange(n) < nc
    channel = np.where(from_call, CHANNELS[rng.integers(0, 2, n)], CHANNELS[rng.integers(2, 4, n)])
    nps = _scores(p.nps_weights, 0, n, rng)
    csat = _scores(p.csat_weights, 1, n, rng)
    ces = _scores(p.ces_weights, 1, n, rng)
    # Call surveys always ask CSAT; order surveys always ask NPS; the rest is asked sometimes.
    nps = np.where(from_call & (rng.random(n) >= 0.5), -1, nps)
    csat = np.where(~from_call & (rng.random(n) >= 0.6), -1, csat)
    ces = np.where(rng.random(n) >= np.where(from_call, 0.7, 0.3), -1, ces)
    band = np.where(
        from_call, (csat >= 3).astype(int) + (csat >= 5), (nps >= 7).astype(int) + (nps >= 9)
    )
    comment = np.full(n, None, dtype=object)
    wants = rng.random(n) < p.comment_share
    for b, texts in enumerate(SURVEY_COMMENTS):
        rows = wants & (band == b)
        comment[rows] = np.asarray(texts, dtype=object)[rng.integers(0, len(texts), rows.sum())]
    keep = submitted < end
    order = np.argsort(submitted[keep], kind="stable")

    def kept(a: np.ndarray) -> np.ndarray:
        return a[keep][order]

    return {
        "survey_id": numbered("S", int(keep.sum()), 8),
        "customer": kept(np.concatenate([call_customer[calls], order_customer[orders]])),
        "call_id": kept(np.concatenate([call_ids[calls], np.full(no, None, dtype=object)])),
        "order_id": kept(np.concatenate([np.full(nc, None, dtype=object), order_ids[orders]])),
        "channel": kept(channel),
        "submitted": kept(submitted),
        "nps": kept(nps),
        "csat": kept(csat),
        "ces": kept(ces),
        "comment": kept(comment),
    }
