"""truth.json: what the generator planted and what the simulation realised, for tests to compare.

Keys (stable; every number is exact for the files written, rates are rounded to 6 places):

- ``generator``: seed, customers, days, start_date, end_date (exclusive), truth_version.
- ``params``: the merged parameters (defaults.yaml + --params), as planted.
- ``files``: per feed, how many daily files of each format (csv, jsonl, parquet).
- ``rows``: per feed, ``clean_rows`` (rows before faults: one per record version),
  ``records`` (distinct primary keys), ``lines_written`` (records in all files, faults included)
  and ``expected_raw_rows`` (rows ingestion should keep in ``raw.<feed>``: one per
  (key, updated_at) for versioned feeds, so clean rows plus late updates; one per key otherwise).
- ``faults``: per feed, the exact count of each injected fault kind (duplicate, late_update,
  missing_key, unparsable_timestamp, negative_quantity, unknown_disposition, messy_phone);
  ``faults_total`` and ``fault_share_of_lines`` (all kinds but messy_phone, over lines written).
- ``expected_quarantine``: per feed, per reason kind (missing_key, unparsable_timestamp,
  negative_value, unknown_enum_value): the rows ``raw.quarantine`` must hold.
- ``call_list_candidates``: per segment, the triggers that are a call-list candidate (the dbt
  ``seg_*`` models, before suppression) on at least one list date up to ``as_of_date`` (the day
  after the data), with the dbt defaults: program timezone UTC, calling hours 09:00-20:00,
  abandonment after 60 minutes. A list date D sees only what existed before D 00:00. A trigger
  segment is a candidate on D when its window [trigger + 24 h, trigger + 48 h) overlaps D's
  calling hours: cart_abandoner (checkout not completed within 60 minutes of its last cart
  activity; trigger = that moment), first_purchase (the customer's first order not voided as
  of D), returner (a refund), service_followup (an inbound call not resolved first time;
  trigger = its end). one_time_buyer: the customer's only order not voided as of D, placed
  30 to 90 days before D.
- ``realised``: figures from the simulation, with these definitions:
  - ``customers``: total, without_phone, refuses_phone_contact, callable, by_country.
  - ``checkouts``: total, abandoned (not completed within 1 h of the open version's
    updated_at), abandonment_rate, completed_later (abandoned, then completed by a recovery).
  - ``orders``: total, by_channel, by_final_status, by_source (session, recovery, call);
    ``refunds``: total, full, partial.
  - ``segments``: per segment: triggers (window start before the data end), eligible (callable),
    holdout (eligible and is_holdout), called (eligible, not holdout, >= 1 attempt),
    attempts, connects, connect_rate (connects / attempts), expected_connect_rate (mean planted
    probability over the attempts made), connected_triggers, outcomes (connected triggers by
    outcome), addressed (outcome issue_resolved or order_placed).
  - ``connect``: attempts, connects, connect_rate, expected_connect_rate over all outbound
    attempts; by_hour_utc: attempts and connects per started_at hour.
  - ``cart_recovery``: window_days; arms connected, called_not_connected, holdout and
    not_callable, each with triggers, recovered, rate. Recovered = the customer has an order
    created in [window start, window start + window_days), window start = the abandoned
    version's updated_at + 24 h. Only triggers whose whole window lies inside the data count.
  - ``concern_tags``: mentions (tags on all calls), by_tag, price_share.
  - ``ltv``: window_days, and per outbound segment: addressed and holdout groups (eligible
    triggers; addressed = connected with outcome issue_resolved or order_placed) with triggers
    and mean_net_revenue, and lift = addressed mean / holdout mean - 1. Net revenue (order
    currency units) = totals of the customer's non-voided orders created in
    [window start, window start + window_days) minus their refunds in that span, cut at the
    data end.
  - ``inbound``: total, abandoned, connected, resolved_first_contact, escalated,
    followup_triggers.
  - ``handle_time``: mean talk, hold and wrap seconds of connected calls.
  - ``surveys``: responses, nps (promoters - detractors, in points), promoter_share,
    detractor_share, csat_top2_share (4-5 among CSAT answers), ces_mean.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np

from ingestion.contract import CONCERN_TAGS, FEEDS_BY_NAME, SEGMENTS
from listenloop.generator.calls import ADDRESSED
from listenloop.generator.clock import DAY, HOUR, NULL_TS
from listenloop.generator.commerce import CHANNELS
from listenloop.generator.customers import CONSENT_FALSE
from listenloop.generator.faults import QUARANTINE_REASON
from listenloop.generator.params import Params
from listenloop.generator.segments import ONE_TIME_AFTER_DAYS, ONE_TIME_UNTIL_DAYS
from listenloop.generator.simulate import Simulation

TRUTH_VERSION = 1
# The call lists' default calling hours (dbt vars calling_hours_start/end) in the default UTC.
CALLING_HOURS_UTC = (9, 20)
SOURCES = ("session", "recovery", "call")


def _rate(num: float, den: float) -> float | None:
    return round(float(num) / float(den), 6) if den else None


def _counts(values: np.ndarray) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(Counter(values.tolist()).items())}


class Ledger:
    """Each customer's net revenue events in time order, to sum any [from, to) span fast."""

    def __init__(self, sim: Simulation) -> None:
        o, s, m = sim.orders, sim.settlement, sim.money
        kept = ~s.voided
        refund_cust = o["customer"][s.refund_order]
        refund_amt = np.where(
            s.refund_full,
            m.total[o["cart"][s.refund_order]],
            m.first_line_unit[o["cart"][s.refund_order]],
        )
        customer = np.concatenate([o["customer"][kept], refund_cust])
        at = np.concatenate([o["created"][kept], s.refund_at]) - sim.start
        amount = np.concatenate([m.total[o["cart"][kept]], -refund_amt])
        self.key = customer.astype(np.int64) << 32 | at
        order = np.argsort(self.key, kind="stable")
        self.key = self.key[order]
        self.cum = np.concatenate([[0], np.cumsum(amount[order])])
        self.start = sim.start

    def between(self, customer: np.ndarray, since: np.ndarray, until: np.ndarray) -> np.ndarray:
        base = customer.astype(np.int64) << 32
        lo = np.searchsorted(self.key, base | (since - self.start), side="left")
        hi = np.searchsorted(self.key, base | (until - self.start), side="left")
        return (self.cum[hi] - self.cum[lo]) / 100


def _segments(sim: Simulation) -> dict:
    out = {}
    for seg in SEGMENTS:
        run = sim.runs[seg]
        due = run.window_start < sim.end
        connected = run.connected
        out[seg] = {
            "triggers": int(due.sum()),
            "eligible": int(run.eligible.sum()),
            "holdout": int(run.holdout.sum()),
            "called": int(run.called.sum()),
            "attempts": run.attempts,
            "connects": run.connects,
            "connect_rate": _rate(run.connects, run.attempts),
            "expected_connect_rate": _rate(run.expected_connects, run.attempts),
            "connected_triggers": int(connected.sum()),
            "outcomes": _counts(run.outcome[connected]),
            "addressed": int(np.isin(run.outcome, ADDRESSED).sum()),
        }
    return out


def _list_candidates(sim: Simulation, params: Params) -> dict:
    hours_start, hours_end = CALLING_HOURS_UTC
    as_of = sim.end  # list dates run up to the day after the data

    def windows_due(trigger_at: np.ndarray) -> np.ndarray:
        # a 24 h window overlaps some day's calling hours up to as_of iff it opens before as_of's
        # hours end: the nights between calling hours are shorter than a window
        return trigger_at + DAY < as_of + hours_end * HOUR

    k, o, s = sim.checkouts, sim.orders, sim.settlement
    abandoned = k.abandoned_at_first
    voided_at = np.where(s.voided, s.resolved_at, np.iinfo(np.int64).max)
    order_day = (o["created"] - sim.start) // DAY
    by_time = np.lexsort((o["ids"], o["created"]))
    first_purchase = np.zeros(o["ids"].size, dtype=bool)
    one_time = np.zeros(o["ids"].size, dtype=bool)
    for day in range((as_of - sim.start) // DAY + 1):
        cutoff = sim.start + day * DAY
        alive = (o["created"] < cutoff) & (voided_at >= cutoff)
        # the first alive order per customer, in time order
        alive_sorted = by_time[alive[by_time]]
        _, first_pos = np.unique(o["customer"][alive_sorted], return_index=True)
        first = alive_sorted[first_pos]
        opens = o["created"][first] + DAY
        overlaps = (opens < cutoff + hours_end * HOUR) & (opens + DAY > cutoff + hours_start * HOUR)
        first_purchase[first[overlaps]] = True
        alive_count = np.bincount(o["customer"][alive], minlength=sim.customers.size)
        since = day - order_day
        in_range = (since >= ONE_TIME_AFTER_DAYS) & (since <= ONE_TIME_UNTIL_DAYS)
        one_time |= alive & in_range & (alive_count[o["customer"]] == 1)
    inbound = sim.inbound
    return {
        "as_of_date": (
            params.start_date + dt.timedelta(days=(as_of - sim.start) // DAY)
        ).isoformat(),
        "timezone": "UTC",
        "calling_hours": [f"{hours_start:02d}:00", f"{hours_end:02d}:00"],
        "by_segment": {
            "cart_abandoner": int((abandoned & windows_due(k.updated + HOUR)).sum()),
            "first_purchase": int(first_purchase.sum()),
            "returner": int(windows_due(s.refund_at).sum()),
            "service_followup": int((inbound.needs_followup & windows_due(inbound.ended)).sum()),
            "one_time_buyer": int(one_time.sum()),
        },
    }


def _connect(sim: Simulation) -> dict:
    runs = list(sim.runs.values())
    attempts = sum(r.attempts for r in runs)
    connects = sum(r.connects for r in runs)
    hours = np.concatenate([r.attempt_hours for r in runs])
    ok = np.concatenate([r.attempt_connected for r in runs])
    return {
        "attempts": attempts,
        "connects": connects,
        "connect_rate": _rate(connects, attempts),
        "expected_connect_rate": _rate(sum(r.expected_connects for r in runs), attempts),
        "by_hour_utc": {
            str(h): {"attempts": int((hours == h).sum()), "connects": int(ok[hours == h].sum())}
            for h in np.unique(hours).tolist()
        },
    }


def _cart_recovery(sim: Simulation, params: Params) -> dict:
    run = sim.runs["cart_abandoner"]
    window = params.calls.recovery_window_days
    complete = run.window_start + window * DAY <= sim.end
    o = sim.orders
    key = o["customer"].astype(np.int64) << 32 | (o["created"] - sim.start)
    key = np.sort(key)
    base = run.customer.astype(np.int64) << 32
    lo = np.searchsorted(key, base | (run.window_start - sim.start))
    hi = np.searchsorted(key, base | (run.window_start + window * DAY - sim.start))
    recovered = hi > lo
    arms = {
        "connected": run.connected,
        "called_not_connected": run.called & ~run.connected,
        "holdout": run.holdout,
        "not_callable": ~run.eligible,
    }
    out: dict = {"window_days": window}
    for arm, members in arms.items():
        rows = members & complete
        out[arm] = {
            "triggers": int(rows.sum()),
            "recovered": int(recovered[rows].sum()),
            "rate": _rate(int(recovered[rows].sum()), int(rows.sum())),
        }
    return out


def _ltv(sim: Simulation, params: Params) -> dict:
    ledger = Ledger(sim)
    window = params.calls.ltv_window_days * DAY
    out: dict = {"window_days": params.calls.ltv_window_days}
    for seg, run in sim.runs.items():
        addressed = np.isin(run.outcome, ADDRESSED)
        groups = {"addressed": addressed, "holdout": run.holdout & (run.window_start < sim.end)}
        seg_out: dict = {}
        for name, rows in groups.items():
            until = np.minimum(run.window_start[rows] + window, sim.end)
            revenue = ledger.between(run.customer[rows], run.window_start[rows], until)
            seg_out[name] = {
                "triggers": int(rows.sum()),
                "mean_net_revenue": round(float(revenue.mean()), 4) if rows.any() else None,
            }
        a, h = seg_out["addressed"]["mean_net_revenue"], seg_out["holdout"]["mean_net_revenue"]
        seg_out["lift"] = round(a / h - 1, 6) if a is not None and h else None
        out[seg] = seg_out
    return out


def _surveys(sim: Simulation) -> dict:
    s = sim.surveys
    nps = s["nps"][s["nps"] >= 0]
    csat = s["csat"][s["csat"] >= 0]
    ces = s["ces"][s["ces"] >= 0]
    promoters, detractors = _rate((nps >= 9).sum(), nps.size), _rate((nps <= 6).sum(), nps.size)
    return {
        "responses": int(s["survey_id"].size),
        "nps": round(100 * (promoters - detractors), 4) if nps.size else None,
        "promoter_share": promoters,
        "detractor_share": detractors,
        "csat_top2_share": _rate((csat >= 4).sum(), csat.size),
        "ces_mean": _rate(float(ces.sum()), ces.size),
    }


def _realised(sim: Simulation, params: Params) -> dict:
    c, k, o, s, calls = sim.customers, sim.checkouts, sim.orders, sim.settlement, sim.calls
    abandoned = k.abandoned_at_first
    final_status = np.where(
        s.pending,
        np.where(s.voided, "voided", np.where(s.resolved_at != NULL_TS, "paid", "pending")),
        "paid",
    ).astype(object)
    final_status[s.refund_order] = np.where(s.refund_full, "refunded", "partially_refunded")
    tags = np.concatenate([calls["tag1"], calls["tag2"]])
    tags = tags[tags != None]  # noqa: E711
    connected = calls["disposition"] == "connected"
    inbound = calls["direction"] == "inbound"
    return {
        "customers": {
            "total": c.size,
            "without_phone": int((c.nsn == None).sum()),  # noqa: E711
            "refuses_phone_contact": int((c.consent == CONSENT_FALSE).sum()),
            "callable": int(c.callable.sum()),
            "by_country": _counts(c.country),
        },
        "checkouts": {
            "total": int(k.ids.size),
            "abandoned": int(abandoned.sum()),
            "abandonment_rate": _rate(int(abandoned.sum()), k.ids.size),
            "completed_later": int((k.completed > k.updated + HOUR).sum()),
        },
        "orders": {
            "total": int(o["ids"].size),
            "by_channel": _counts(np.asarray(CHANNELS, dtype=object)[o["channel"]]),
            "by_final_status": _counts(final_status),
            "by_source": _counts(np.asarray(SOURCES, dtype=object)[o["source"]]),
        },
        "refunds": {
            "total": int(s.refund_ids.size),
            "full": int(s.refund_full.sum()),
            "partial": int((~s.refund_full).sum()),
        },
        "segments": _segments(sim),
        "connect": _connect(sim),
        "cart_recovery": _cart_recovery(sim, params),
        "concern_tags": {
            "mentions": int(tags.size),
            "by_tag": {t: int((tags == t).sum()) for t in CONCERN_TAGS},
            "price_share": _rate(int((tags == "price").sum()), tags.size),
        },
        "ltv": _ltv(sim, params),
        "inbound": {
            "total": int(inbound.sum()),
            "abandoned": int((inbound & (calls["disposition"] == "abandoned")).sum()),
            "connected": int((inbound & connected).sum()),
            "resolved_first_contact": int((inbound & (calls["resolved"] == 1)).sum()),
            "escalated": int((inbound & (calls["outcome"] == "escalated")).sum()),
            "followup_triggers": int(sim.inbound.needs_followup.sum()),
        },
        "handle_time": {
            name: _rate(float(calls[name][connected].sum()), int(connected.sum()))
            for name in ("talk", "hold", "wrap")
        },
        "surveys": _surveys(sim),
    }


def build_truth(
    sim: Simulation,
    params: Params,
    seed: int,
    customers: int,
    days: int,
    clean: dict[str, tuple[int, int]],
    written: dict[str, int],
    faults: dict[str, dict[str, int]],
    files: dict[str, dict[str, int]],
) -> dict:
    """clean: per feed (clean rows, distinct keys); written: lines per feed after faults."""
    rows = {}
    for feed, (clean_rows, records) in clean.items():
        versioned = FEEDS_BY_NAME[feed].version_column is not None
        rows[feed] = {
            "clean_rows": clean_rows,
            "records": records,
            "lines_written": written[feed],
            "expected_raw_rows": clean_rows + faults[feed].get("late_update", 0)
            if versioned
            else records,
        }
    quarantine = {
        feed: {reason: kinds.get(kind, 0) for kind, reason in QUARANTINE_REASON.items()}
        for feed, kinds in faults.items()
    }
    total = sum(v for kinds in faults.values() for k, v in kinds.items() if k != "messy_phone")
    end_date = params.start_date + dt.timedelta(days=days)
    return {
        "generator": {
            "truth_version": TRUTH_VERSION,
            "seed": seed,
            "customers": customers,
            "days": days,
            "start_date": params.start_date.isoformat(),
            "end_date": end_date.isoformat(),
        },
        "params": params.to_dict(),
        "files": files,
        "rows": rows,
        "faults": faults,
        "faults_total": total,
        "fault_share_of_lines": _rate(total, sum(written.values())),
        "expected_quarantine": quarantine,
        "call_list_candidates": _list_candidates(sim, params),
        "realised": _realised(sim, params),
    }
