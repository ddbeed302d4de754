"""The call team: who gets phoned, when, whether they pick up, and what they say.

Outbound calling follows the program's rules (24-48 h after a trigger, callable customers only,
a deterministic holdout via listenloop.holdout.is_holdout, up to `max_attempts` tries until
connected). Inbound calls are customers ringing in; the unresolved ones feed the
service_followup segment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingestion.contract import CONCERN_TAGS
from listenloop.generator.clock import DAY, HOUR, NULL_TS, calling_time_to_wall
from listenloop.generator.customers import Customers, numbered
from listenloop.generator.notes import concern_notes
from listenloop.generator.params import CallParams, InboundParams
from listenloop.holdout import is_holdout

ADDRESSED = ("issue_resolved", "order_placed")
LOG_COLUMNS = (
    "customer",
    "direction",
    "agent",
    "campaign",
    "started",
    "answered",
    "ended",
    "disposition",
    "talk",
    "hold",
    "wrap",
    "outcome",
    "tag1",
    "tag2",
    "notes",
    "resolved",
    "ids",
)


@dataclass
class CallLog:
    """Every call, inbound and outbound, as parallel column chunks."""

    chunks: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {c: [] for c in LOG_COLUMNS}
    )

    def add(self, **columns: np.ndarray) -> None:
        n = len(columns["started"])
        for name in LOG_COLUMNS:
            value = columns[name]
            self.chunks[name].append(
                value if isinstance(value, np.ndarray) else np.full(n, value, dtype=object)
            )

    def column(self, name: str) -> np.ndarray:
        return np.concatenate(self.chunks[name])


@dataclass(frozen=True)
class SegmentRun:
    """One outbound segment's triggers and what calling them did: the truth for the marts."""

    segment: str
    customer: np.ndarray
    trigger_ids: np.ndarray
    window_start: np.ndarray
    eligible: np.ndarray
    holdout: np.ndarray
    called: np.ndarray  # eligible, not holdout, and dialled at least once
    connected: np.ndarray
    outcome: np.ndarray  # None unless connected
    connect_end: np.ndarray  # ended_at of the connected attempt, NULL_TS otherwise
    attempts: int
    connects: int
    expected_connects: float  # sum of the per-attempt connect probabilities actually used
    attempt_hours: np.ndarray
    attempt_connected: np.ndarray


def sample_tags(group: str, n: int, rng: np.random.Generator, p: CallParams):
    """1-2 distinct concern tags per connected call; price is exactly `price_tag_share` of
    mentions in expectation: a two-tag call includes price with twice the one-tag chance."""
    weights = p.tag_weights[group]
    names = np.asarray(list(weights), dtype=object)
    w = np.array([weights[t] for t in names], dtype=float)
    if "price" in weights or set(names) - set(CONCERN_TAGS):
        raise ValueError(f"tag_weights.{group}: only non-price tags from the contract vocabulary")
    w = w / w.sum()
    two = rng.random(n) < p.second_tag_share
    price = rng.random(n) < np.where(two, 2, 1) * p.price_tag_share
    # Gumbel top-2 draws two distinct non-price tags in proportion to their weights.
    keys = np.log(w) + rng.gumbel(size=(n, w.size))
    top = np.argsort(-keys, axis=1)[:, :2]
    first, second = names[top[:, 0]], names[top[:, 1]]
    tag1 = np.where(price, "price", first)
    tag2 = np.where(two, np.where(price, first, second), None)
    swap = two & (rng.random(n) < 0.5)
    tag1, tag2 = np.where(swap, tag2, tag1), np.where(swap, tag1, tag2)
    return tag1.astype(object), tag2.astype(object)


def converse(group: str, nouns: np.ndarray, rng: np.random.Generator, p: CallParams):
    """What a connected call records: concern tags and the customer's words for each."""
    n = nouns.size
    tag1, tag2 = sample_tags(group, n, rng, p)
    notes = concern_notes(tag1, nouns, rng)
    has2 = tag2 != None  # noqa: E711
    notes[has2] = notes[has2] + " " + concern_notes(tag2[has2], nouns[has2], rng)
    return tag1, tag2, notes


def handle_times(n: int, rng: np.random.Generator, p: CallParams):
    """Talk, hold and wrap seconds of connected calls: a few minutes in all."""
    talk = np.clip(rng.lognormal(np.log(p.talk_median_seconds), p.talk_sigma, n), 30, 3600)
    hold = np.where(rng.random(n) < p.hold_share, rng.integers(10, p.hold_max_seconds + 1, n), 0)
    wrap = rng.integers(p.wrap_min_seconds, p.wrap_max_seconds + 1, n)
    return talk.astype(np.int64), hold.astype(np.int64), wrap.astype(np.int64)


def weighted_pick(weights: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    names = list(weights)
    w = np.array([weights[k] for k in names], dtype=float)
    return np.asarray(names, dtype=object)[rng.choice(len(names), n, p=w / w.sum())]


def dial(
    segment: str,
    customer: np.ndarray,
    trigger_ids: np.ndarray,
    window_start: np.ndarray,
    customers: Customers,
    holdout_share: float,
    end: int,
    p: CallParams,
    rng: np.random.Generator,
    anonymous: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Place the attempts for one segment's triggers; returns per-trigger and per-attempt arrays.

    Attempts sit in the 24 h after the window start, inside calling hours, 2-3 calling hours
    apart, and stop at the first connect. `anonymous` marks triggers the call list cannot tie
    to a customer (a guest checkout without an email): the list hashes them with an empty
    customer id, so the holdout must too, or "holdout" guests would be called.
    """
    n = customer.size
    eligible = customers.callable[customer] & (window_start < end)
    holdout = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(eligible)
    hashed_ids = customers.ids[customer[rows]].astype(object)
    if anonymous is not None:
        hashed_ids[anonymous[rows]] = ""
    holdout[rows] = [
        is_holdout(c, segment, t, holdout_share)
        for c, t in zip(hashed_ids, trigger_ids[rows], strict=True)
    ]
    called = eligible & ~holdout
    open_len = (p.close_hour_utc - p.open_hour_utc) * HOUR
    position = rng.uniform(0, open_len, n)
    connected = np.zeros(n, dtype=bool)
    hour_mult = np.zeros(24)
    for hour, mult in p.hour_connect_multiplier.items():
        hour_mult[hour] = mult
    base = p.connect_rate * p.segment_connect_multiplier[segment]
    attempts: dict[str, list[np.ndarray]] = {"trigger": [], "started": [], "ok": [], "prob": []}
    for attempt in range(p.max_attempts):
        if attempt:
            position = position + rng.uniform(2 * HOUR, 3 * HOUR, n)
        started = calling_time_to_wall(window_start, position, p.open_hour_utc, p.close_hour_utc)
        started = started.astype(np.int64)
        live = called & ~connected & (position < open_len) & (started < end)
        prob = np.clip(base * hour_mult[(started % DAY) // HOUR], 0, 0.95)
        ok = live & (rng.random(n) < prob)
        idx = np.flatnonzero(live)
        attempts["trigger"].append(idx)
        attempts["started"].append(started[idx])
        attempts["ok"].append(ok[idx])
        attempts["prob"].append(prob[idx])
        connected |= ok
    out = {k: np.concatenate(v) for k, v in attempts.items()}
    out.update(eligible=eligible, holdout=holdout, called=called, connected=connected)
    return out


def log_outbound(
    log: CallLog,
    segment: str,
    customer: np.ndarray,
    trigger_ids: np.ndarray,
    window_start: np.ndarray,
    dialled: dict[str, np.ndarray],
    outcome_for: Callable[[np.ndarray], np.ndarray],
    nouns: np.ndarray,
    p: CallParams,
    rng: np.random.Generator,
) -> SegmentRun:
    """Turn dialled attempts into call rows; outcome_for(trigger positions) gives the outcomes
    of the connected triggers."""
    trig, started, ok = dialled["trigger"], dialled["started"], dialled["ok"]
    m = trig.size
    ring = np.where(ok, rng.integers(5, 26, m), rng.integers(15, 46, m))
    answered = np.where(ok, started + ring, NULL_TS)
    talk, hold, wrap = handle_times(m, rng, p)
    talk, hold = np.where(ok, talk, 0), np.where(ok, hold, 0)
    wrap = np.where(ok, wrap, rng.integers(5, 31, m))
    ended = started + ring + talk + hold
    connect_end = np.full(customer.size, NULL_TS, dtype=np.int64)
    connect_end[trig[ok]] = ended[ok]
    outcome = np.full(customer.size, None, dtype=object)
    outcome[trig[ok]] = outcome_for(trig[ok])
    call_outcome = np.full(m, "none", dtype=object)
    call_outcome[ok] = outcome[trig[ok]]
    tag1 = np.full(m, None, dtype=object)
    tag2, notes = tag1.copy(), tag1.copy()
    tag1[ok], tag2[ok], notes[ok] = converse(segment, nouns[trig[ok]], rng, p)
    disposition = weighted_pick(p.unconnected_disposition_weights, m, rng)
    disposition[ok] = "connected"
    resolved = np.where(
        ok, np.isin(call_outcome, ("escalated", "callback_requested"), invert=True), -1
    ).astype(np.int8)
    log.add(
        customer=customer[trig],
        direction="outbound",
        agent=rng.integers(0, p.agents, m),
        campaign=segment,
        started=started,
        answered=answered,
        ended=ended,
        disposition=disposition,
        talk=talk,
        hold=hold,
        wrap=wrap,
        outcome=call_outcome,
        tag1=tag1,
        tag2=tag2,
        notes=notes,
        resolved=resolved,
        ids=None,
    )
    hours = (started % DAY) // HOUR
    return SegmentRun(
        segment=segment,
        customer=customer,
        trigger_ids=trigger_ids,
        window_start=window_start,
        eligible=dialled["eligible"],
        holdout=dialled["holdout"],
        called=np.isin(np.arange(customer.size), trig),
        connected=dialled["connected"],
        outcome=outcome,
        connect_end=connect_end,
        attempts=int(m),
        connects=int(ok.sum()),
        expected_connects=float(dialled["prob"].sum()),
        attempt_hours=hours,
        attempt_connected=ok,
    )


@dataclass(frozen=True)
class Inbound:
    customer: np.ndarray
    ended: np.ndarray
    ids: np.ndarray
    needs_followup: np.ndarray
    nouns: np.ndarray


def simulate_inbound(
    log: CallLog,
    customers: Customers,
    order_customer: np.ndarray,
    order_created: np.ndarray,
    order_noun: np.ndarray,
    product_noun: np.ndarray,
    end: int,
    calls: CallParams,
    p: InboundParams,
    rng: np.random.Generator,
) -> Inbound:
    """Customers ringing in after an order, or before buying; some hang up in the queue."""
    after_order = rng.random(order_customer.size) < p.calls_per_order
    before = rng.random(customers.size) < p.calls_per_customer
    customer = np.concatenate([order_customer[after_order], np.flatnonzero(before)])
    base = np.concatenate(
        [
            order_created[after_order] + rng.integers(DAY, 10 * DAY, after_order.sum()),
            customers.created[before] + rng.integers(0, 5 * DAY, before.sum()),
        ]
    )
    nouns = np.concatenate(
        [order_noun[after_order], product_noun[rng.integers(0, product_noun.size, before.sum())]]
    )
    open_len = (calls.close_hour_utc - calls.open_hour_utc) * HOUR
    started = base - base % DAY + calls.open_hour_utc * HOUR + rng.integers(0, open_len, base.size)
    keep = started < end
    order = np.argsort(started[keep], kind="stable")
    customer, started, nouns = customer[keep][order], started[keep][order], nouns[keep][order]
    n = customer.size
    gave_up = rng.random(n) < p.queue_abandon_share
    ok = ~gave_up
    wait = rng.integers(10, 181, n)
    answered = np.where(ok, started + wait, NULL_TS)
    talk, hold, wrap = handle_times(n, rng, calls)
    talk, hold, wrap = np.where(ok, talk, 0), np.where(ok, hold, 0), np.where(ok, wrap, 0)
    ended = np.where(ok, started + wait + talk + hold, started + rng.integers(30, 301, n))
    first_time = ok & (rng.random(n) < p.resolved_first_contact_share)
    escalated = ok & ~first_time & (rng.random(n) < p.escalated_share_of_unresolved)
    outcome = np.select(
        [gave_up, first_time, escalated],
        ["none", "issue_resolved", "escalated"],
        "callback_requested",
    ).astype(object)
    tag1 = np.full(n, None, dtype=object)
    tag2, notes = tag1.copy(), tag1.copy()
    tag1[ok], tag2[ok], notes[ok] = converse("inbound", nouns[ok], rng, calls)
    ids = numbered("IC", n, 8)
    log.add(
        customer=customer,
        direction="inbound",
        agent=np.where(ok, rng.integers(0, calls.agents, n), -1),
        campaign=None,
        started=started,
        answered=answered,
        ended=ended,
        disposition=np.where(ok, "connected", "abandoned").astype(object),
        talk=talk,
        hold=hold,
        wrap=wrap,
        outcome=outcome,
        tag1=tag1,
        tag2=tag2,
        notes=notes,
        resolved=np.where(ok, first_time, -1).astype(np.int8),
        ids=ids,
    )
    return Inbound(customer, ended, ids, ok & ~first_time, nouns)
