"""The simulation as one Arrow table per feed, in the contract's columns and wire forms.

Values are typed the way the files carry them: text and timestamps as strings (a timestamp's
offset style varies per row), money as 2-place decimal strings, integers and booleans native,
concern tags as lists. Hidden "__" columns carry what the fault injector needs (file day, the
phone's digits and country, whether a row is a record's newest version); the writer drops them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.contract import FEEDS_BY_NAME, Kind
from listenloop.generator.catalog import CURRENCY, PRODUCTS
from listenloop.generator.clock import DAY, HOUR, NULL_TS, format_timestamps
from listenloop.generator.customers import numbered
from listenloop.generator.params import Params
from listenloop.generator.phones import render, zero_padded
from listenloop.generator.simulate import Simulation

DAY_COL = "__day"
COUNTRY_COL = "__country"
NSN_COL = "__nsn"
UPDATED_COL = "__updated"
LATE_OK_COL = "__late_ok"  # the newest version of a record that a late update may follow
INTERNATIONAL = np.array(["e164", "international"], dtype=object)


def money_text(cents: np.ndarray) -> np.ndarray:
    whole = (cents // 100).astype(str)
    frac = zero_padded(cents % 100, 2)
    return np.strings.add(np.strings.add(whole, "."), frac).astype(object)


def tag_lists(tag1: np.ndarray, tag2: np.ndarray) -> pa.Array:
    """list<string> per row, null where the call recorded no tags."""
    pair = np.stack([tag1, tag2], axis=1)
    present = pair != None  # noqa: E711
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    values = pa.array(pair[present], type=pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~present[:, 0]))


def to_table(
    feed: str, values: dict, stamp: int, rng: np.random.Generator, params: Params
) -> pa.Table:
    """Contract columns in order from simulation arrays; `stamp` decides each row's file day."""
    arrays = {}
    for col in FEEDS_BY_NAME[feed].columns:
        v = values[col.name]
        if col.kind is Kind.TIMESTAMP:
            arrays[col.name] = format_timestamps(v, rng, params.timestamps)
        elif col.kind is Kind.MONEY:
            arrays[col.name] = pa.array(money_text(v), pa.string())
        elif col.kind is Kind.INTEGER:
            arrays[col.name] = pa.array(v, pa.int64(), mask=v < 0)
        elif col.kind is Kind.BOOLEAN:
            arrays[col.name] = pa.array(v == 1, pa.bool_(), mask=v < 0)
        elif col.kind is Kind.TAG_LIST:
            arrays[col.name] = tag_lists(*v)
        else:
            arrays[col.name] = pa.array(v, pa.string())
    arrays[DAY_COL] = pa.array((values[stamp] - values["__start"]) // DAY, pa.int64())
    for hidden in (COUNTRY_COL, NSN_COL, UPDATED_COL, LATE_OK_COL):
        if hidden in values:
            arrays[hidden] = pa.array(values[hidden])
    return pa.table(arrays)


def typed_phones(country: np.ndarray, nsn: np.ndarray, layout: np.ndarray) -> np.ndarray:
    out = np.full(nsn.size, None, dtype=object)
    has = nsn != None  # noqa: E711
    out[has] = render(country[has], nsn[has], layout[has])
    return out


def _sorted(table: pa.Table, by: str) -> pa.Table:
    return table.take(pa.array(np.argsort(table[by].to_numpy(), kind="stable")))


def customers(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    c = sim.customers
    consent = c.consent.astype(np.int8)
    values = {
        "customer_id": c.ids,
        "email": c.email,
        "phone": typed_phones(c.country, c.nsn, c.phone_layout),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "country": c.country.astype(object),
        "created_at": c.created,
        "updated_at": c.created,
        "accepts_phone_contact": consent,
        "__start": sim.start,
        COUNTRY_COL: c.country.astype(object),
        NSN_COL: c.nsn,
        UPDATED_COL: c.created,
        LATE_OK_COL: np.ones(c.size, dtype=bool),
    }
    return to_table("customers", values, "created_at", rng, params)


def orders(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    """Version history: created (paid or pending), pending resolved, refunded."""
    o, s = sim.orders, sim.settlement
    n = o["ids"].size
    idx_all = np.arange(n)
    resolved = np.flatnonzero(s.resolved_at != NULL_TS)
    refunded = s.refund_order
    partial = ~s.refund_full
    version_order = np.concatenate([idx_all, resolved, refunded])
    updated = np.concatenate([o["created"], s.resolved_at[resolved], s.refund_at])
    status = np.concatenate(
        [
            np.where(s.pending, "pending", "paid"),
            np.where(s.voided[resolved], "voided", "paid"),
            np.where(partial, "partially_refunded", "refunded"),
        ]
    ).astype(object)
    rank = np.concatenate([np.zeros(n), np.ones(resolved.size), np.full(refunded.size, 2)])
    best = np.full(n, -1.0)
    np.maximum.at(best, version_order, rank)
    newest = rank == best[version_order]
    cart = o["cart"]
    money = {
        k: getattr(sim.money, k)[cart] for k in ("subtotal", "discount", "shipping", "tax", "total")
    }
    country = sim.customers.country[o["customer"]]
    checkout = np.where(o["checkout"] >= 0, sim.checkouts.ids[np.maximum(o["checkout"], 0)], None)
    values = {
        "order_id": o["ids"][version_order],
        "customer_id": sim.customers.ids[o["customer"]][version_order],
        "checkout_id": checkout[version_order],
        "created_at": o["created"][version_order],
        "updated_at": updated,
        "currency": np.array([CURRENCY[c] for c in country], dtype=object)[version_order],
        **{k: v[version_order] for k, v in money.items()},
        "financial_status": status,
        "channel": np.array(["web", "app", "phone"], dtype=object)[o["channel"]][version_order],
        "__start": sim.start,
        UPDATED_COL: updated,
        LATE_OK_COL: newest,
    }
    return _sorted(to_table("orders", values, "updated_at", rng, params), UPDATED_COL)


def order_lines(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    """The lines of every order's cart, numbered in order creation order."""
    o = sim.orders
    line_cart = np.concatenate(sim.carts.line_cart)
    product = np.concatenate(sim.carts.product)
    first_line = np.searchsorted(line_cart, np.arange(sim.carts.count))
    n_lines = np.bincount(line_cart, minlength=sim.carts.count)
    by_time = np.argsort(o["created"], kind="stable")
    cart = o["cart"][by_time]
    counts = n_lines[cart]
    order_of_line = np.repeat(by_time, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    line = np.repeat(first_line[cart], counts) + within
    prod = product[line]
    catalog = np.array(PRODUCTS, dtype=object)
    values = {
        "line_id": numbered("L", line.size, 9),
        "order_id": o["ids"][order_of_line],
        "product_id": catalog[prod, 0],
        "sku": catalog[prod, 1],
        "title": catalog[prod, 2],
        "category": catalog[prod, 3],
        "quantity": sim.quantity[line],
        "unit_price": sim.money.line_unit[line],
        "__start": sim.start,
        "__created": o["created"][order_of_line],
    }
    return to_table("order_lines", values, "__created", rng, params)


def refunds(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    s = sim.settlement
    cart = sim.orders["cart"][s.refund_order]
    amount = np.where(s.refund_full, sim.money.total[cart], sim.money.first_line_unit[cart])
    values = {
        "refund_id": s.refund_ids,
        "order_id": sim.orders["ids"][s.refund_order],
        "created_at": s.refund_at,
        "amount": amount,
        "reason": s.refund_reason,
        "__start": sim.start,
    }
    return to_table("refunds", values, "created_at", rng, params)


def checkouts(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    """An open version for every checkout (unless completed at once in a single delivery),
    and a completed version for every completed one."""
    k = sim.checkouts
    done = k.completed != NULL_TS
    single = done & (k.completed <= k.updated + HOUR) & ~k.two_versions
    open_rows = np.flatnonzero(~single)
    done_rows = np.flatnonzero(done)
    rows = np.concatenate([open_rows, done_rows])
    is_done = np.arange(rows.size) >= open_rows.size
    updated = np.where(is_done, k.completed[rows], k.updated[rows])
    cust = k.customer[rows]
    c = sim.customers
    layout = INTERNATIONAL[rng.integers(0, 2, rows.size)]
    nsn = np.where(k.phone_on[rows], c.nsn[cust], None)
    money = sim.money
    values = {
        "checkout_id": k.ids[rows],
        "customer_id": np.where(k.guest[rows], None, c.ids[cust]),
        "email": np.where(k.email_on[rows], c.email[cust], None),
        "phone": typed_phones(c.country[cust], nsn, layout),
        "created_at": k.created[rows],
        "updated_at": updated,
        "completed_at": np.where(is_done, updated, NULL_TS),
        "total": money.total[k.cart[rows]],
        "currency": np.array([CURRENCY[x] for x in c.country[cust]], dtype=object),
        "items_count": money.items[k.cart[rows]],
        "__start": sim.start,
        COUNTRY_COL: c.country[cust].astype(object),
        NSN_COL: nsn,
        UPDATED_COL: updated,
        LATE_OK_COL: is_done,
    }
    return _sorted(to_table("checkouts", values, "updated_at", rng, params), UPDATED_COL)


def calls(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    k, c = sim.calls, sim.customers
    cust = k["customer"]
    nsn = c.nsn[cust]
    # An abandoned inbound call from a number we don't know can't be matched to a customer.
    unknown = (k["disposition"] == "abandoned") & (nsn == None)  # noqa: E711
    agent = k["agent"].astype(np.int64)
    agent_id = np.where(
        agent >= 0, np.strings.add("A", zero_padded(agent + 1, 3)).astype(object), None
    )
    values = {
        "call_id": k["ids"],
        "customer_id": np.where(unknown, None, c.ids[cust]),
        "phone": typed_phones(c.country[cust], nsn, INTERNATIONAL[rng.integers(0, 2, cust.size)]),
        "direction": k["direction"],
        "agent_id": agent_id,
        "campaign": k["campaign"],
        "started_at": k["started"].astype(np.int64),
        "answered_at": k["answered"].astype(np.int64),
        "ended_at": k["ended"].astype(np.int64),
        "disposition": k["disposition"],
        "talk_seconds": k["talk"].astype(np.int64),
        "hold_seconds": k["hold"].astype(np.int64),
        "wrap_seconds": k["wrap"].astype(np.int64),
        "outcome": k["outcome"],
        "concern_tags": (k["tag1"], k["tag2"]),
        "notes": k["notes"],
        "resolved_first_contact": k["resolved"].astype(np.int8),
        "__start": sim.start,
        COUNTRY_COL: c.country[cust].astype(object),
        NSN_COL: nsn,
    }
    return to_table("calls", values, "started_at", rng, params)


def surveys(sim: Simulation, params: Params, rng: np.random.Generator) -> pa.Table:
    s = sim.surveys
    values = {
        "survey_id": s["survey_id"],
        "customer_id": sim.customers.ids[s["customer"]],
        "call_id": s["call_id"],
        "order_id": s["order_id"],
        "channel": s["channel"],
        "submitted_at": s["submitted"],
        "nps": s["nps"],
        "csat": s["csat"],
        "ces": s["ces"],
        "comment": s["comment"],
        "__start": sim.start,
    }
    return to_table("surveys", values, "submitted_at", rng, params)


# One builder per feed, named as the feed; each returns its rows in file-day order.
BUILDERS = {
    b.__name__: b for b in (customers, orders, order_lines, refunds, checkouts, calls, surveys)
}
