"""The five outbound segments: what triggers each call and what a connected call changes.

They run in an order that never lets a later effect rewrite an earlier trigger: cart calls (and
the recovery orders they cause), then first purchases, then one-time buyers (who must still have
one order), then returners (refunds are settled once every order exists), then service
follow-ups. Segments after one-time buyers may not place orders, so settlement stays final.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listenloop.generator.calls import (
    ADDRESSED,
    CallLog,
    Inbound,
    SegmentRun,
    dial,
    log_outbound,
    weighted_pick,
)
from listenloop.generator.catalog import PRODUCT_NOUNS
from listenloop.generator.clock import DAY, NULL_TS
from listenloop.generator.commerce import (
    APP,
    FROM_CALL,
    FROM_RECOVERY,
    PHONE,
    WEB,
    CartBook,
    Checkouts,
    OrderBook,
    Settlement,
    country_index,
)
from listenloop.generator.customers import Customers
from listenloop.generator.params import Params

ONE_TIME_AFTER_DAYS = 30
# The call list's recall range for one-time buyers ends here (dbt seg_one_time_buyers).
ONE_TIME_UNTIL_DAYS = 90


@dataclass
class World:
    """The simulation so far, shared by the segment runs."""

    customers: Customers
    carts: CartBook
    orders: OrderBook
    log: CallLog
    params: Params
    end: int
    rng: np.random.Generator

    def cart_nouns(self, cart: np.ndarray) -> np.ndarray:
        return PRODUCT_NOUNS[self.carts.first_product()[cart]]

    def new_carts(self, customer: np.ndarray) -> np.ndarray:
        country = country_index(self.customers.country[customer])
        return self.carts.draw(country, self.params.commerce, self.rng)


def check_outcome_weights(params: Params) -> None:
    """order_placed only where the order it adds is created before anything depends on it."""
    weights = params.calls.outcome_weights
    for segment in ("cart_abandoner", "returner", "service_followup"):
        if weights[segment].get("order_placed"):
            raise ValueError(
                f"outcome_weights.{segment}: order_placed is not a free outcome here "
                "(cart abandoners place orders through recovery; returner and service calls "
                "come after orders are settled)"
            )


def run_segment(
    world: World,
    segment: str,
    customer: np.ndarray,
    trigger_ids: np.ndarray,
    window_start: np.ndarray,
    nouns: np.ndarray,
) -> SegmentRun:
    """Dial a segment other than cart abandoners: connected calls get outcomes by the
    segment's weights, and an order_placed outcome adds a phone order at the call's end."""
    p = world.params

    def weighted(trigger: np.ndarray) -> np.ndarray:
        return weighted_pick(p.calls.outcome_weights[segment], trigger.size, world.rng)

    dialled = dial(
        segment,
        customer,
        trigger_ids,
        window_start,
        world.customers,
        p.holdout_share,
        world.end,
        p.calls,
        world.rng,
    )
    run = log_outbound(
        world.log,
        segment,
        customer,
        trigger_ids,
        window_start,
        dialled,
        weighted,
        nouns,
        p.calls,
        world.rng,
    )
    placed = np.flatnonzero((run.outcome == "order_placed") & (run.connect_end < world.end))
    if placed.size:
        cust = customer[placed]
        world.orders.add(
            cust,
            world.new_carts(cust),
            np.full(placed.size, -1),
            run.connect_end[placed],
            PHONE,
            FROM_CALL,
        )
    return run


def call_cart_abandoners(world: World, checkouts: Checkouts) -> SegmentRun:
    """Abandoners are called 24-48 h after their last cart activity; connected ones recover at
    `cart_recovery_connected`, everyone else at the baseline, within the recovery window."""
    p, rng = world.params.calls, world.rng
    trig = np.flatnonzero(checkouts.completed == NULL_TS)
    customer = checkouts.customer[trig]
    ws = checkouts.updated[trig] + DAY
    n = trig.size
    dialled = dial(
        "cart_abandoner",
        customer,
        checkouts.ids[trig],
        ws,
        world.customers,
        world.params.holdout_share,
        world.end,
        p,
        rng,
        anonymous=checkouts.guest[trig] & ~checkouts.email_on[trig],
    )
    connected = dialled["connected"]
    recovered = rng.random(n) < np.where(
        connected, p.cart_recovery_connected, p.cart_recovery_baseline
    )
    on_call = connected & recovered & (rng.random(n) < p.recovered_on_call_share)
    not_recovered = weighted_pick(p.outcome_weights["cart_abandoner"], n, rng)

    def outcome_for(idx: np.ndarray) -> np.ndarray:
        return np.where(
            recovered[idx],
            np.where(on_call[idx], "order_placed", "will_buy_later"),
            not_recovered[idx],
        ).astype(object)

    run = log_outbound(
        world.log,
        "cart_abandoner",
        customer,
        checkouts.ids[trig],
        ws,
        dialled,
        outcome_for,
        world.cart_nouns(checkouts.cart[trig]),
        p,
        rng,
    )
    window_end = ws + p.recovery_window_days * DAY
    self_from = np.where(connected, run.connect_end, ws + DAY)
    later_at = self_from + (rng.random(n) * (window_end - self_from)).astype(np.int64)
    order_at = np.where(on_call, run.connect_end, later_at)
    completes = on_call | (rng.random(n) < p.recovery_completes_checkout_share)
    keep = recovered & (order_at < world.end)

    done = keep & completes
    checkouts.completed[trig[done]] = order_at[done]
    channel = np.where(
        on_call, PHONE, np.where(rng.random(n) < world.params.commerce.app_share, APP, WEB)
    )
    world.orders.add(
        customer[done],
        checkouts.cart[trig[done]],
        trig[done],
        order_at[done],
        channel[done],
        FROM_RECOVERY,
    )
    fresh = keep & ~completes
    world.orders.add(
        customer[fresh],
        world.new_carts(customer[fresh]),
        np.full(fresh.sum(), -1),
        order_at[fresh],
        channel[fresh],
        FROM_RECOVERY,
    )
    return run


def first_and_second_orders(world: World):
    """Per customer with orders: first order index and the second order's time (or never)."""
    customer = world.orders.column("customer")
    created = world.orders.column("created")
    order = np.lexsort((created, customer))
    cust_sorted = customer[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = cust_sorted[1:] != cust_sorted[:-1]
    firsts = order[first]
    has_second = np.append(~first[1:], False)[first]
    second_at = np.full(firsts.size, np.iinfo(np.int64).max)
    second_at[has_second] = created[order[np.flatnonzero(first)[has_second] + 1]]
    return firsts, second_at


def call_first_purchases(world: World) -> SegmentRun:
    """Recent first-time buyers, 24-48 h after their first order."""
    firsts, _ = first_and_second_orders(world)
    return run_segment(
        world,
        "first_purchase",
        world.orders.column("customer")[firsts],
        world.orders.column("ids")[firsts],
        world.orders.column("created")[firsts] + DAY,
        world.cart_nouns(world.orders.column("cart")[firsts]),
    )


def call_one_time_buyers(world: World) -> SegmentRun:
    """Customers whose only order is 30 days old: the list picks them up on day 30."""
    firsts, second_at = first_and_second_orders(world)
    ws = world.orders.column("created")[firsts] + ONE_TIME_AFTER_DAYS * DAY
    only = second_at > ws
    firsts, ws = firsts[only], ws[only]
    return run_segment(
        world,
        "one_time_buyer",
        world.orders.column("customer")[firsts],
        world.orders.column("ids")[firsts],
        ws,
        world.cart_nouns(world.orders.column("cart")[firsts]),
    )


def call_returners(world: World, settlement: Settlement) -> SegmentRun:
    """Customers who got money back, 24-48 h after the refund."""
    order = settlement.refund_order
    return run_segment(
        world,
        "returner",
        world.orders.column("customer")[order],
        settlement.refund_ids,
        settlement.refund_at + DAY,
        world.cart_nouns(world.orders.column("cart")[order]),
    )


def call_service_followups(world: World, inbound: Inbound) -> SegmentRun:
    """Inbound callers not sorted out on the first call, called back 24-48 h later."""
    rows = np.flatnonzero(inbound.needs_followup)
    return run_segment(
        world,
        "service_followup",
        inbound.customer[rows],
        inbound.ids[rows],
        inbound.ended[rows] + DAY,
        inbound.nouns[rows],
    )


def apply_ltv_lift(world: World, runs: list[SegmentRun]) -> np.ndarray:
    """Line quantities after the lift: once an outbound call addressed a customer's concern,
    each line of their orders created after that call (within the LTV window) gains
    Binomial(q, lift) units, so they spend (1 + lift) times what they would have. An order
    placed on the addressing call itself is not after it, so it is not lifted."""
    p = world.params.calls
    addressed_at = np.full(world.customers.size, np.iinfo(np.int64).max)
    for run in runs:
        hit = np.isin(run.outcome, ADDRESSED)
        np.minimum.at(addressed_at, run.customer[hit], run.connect_end[hit])
    customer = world.orders.column("customer")
    created = world.orders.column("created")
    since = addressed_at[customer]
    lifted = (created > since) & (created - since <= p.ltv_window_days * DAY)
    cart_lifted = np.zeros(world.carts.count, dtype=bool)
    cart_lifted[world.orders.column("cart")[lifted]] = True
    quantity = np.concatenate(world.carts.quantity)
    rows = np.flatnonzero(cart_lifted[np.concatenate(world.carts.line_cart)])
    quantity[rows] += world.rng.binomial(quantity[rows], p.ltv_lift_addressed)
    return quantity
