"""One run of the store and its call program, in memory, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listenloop.generator.calls import CallLog, Inbound, SegmentRun, simulate_inbound
from listenloop.generator.catalog import PRODUCT_NOUNS
from listenloop.generator.clock import DAY, epoch_seconds
from listenloop.generator.commerce import (
    CartBook,
    CartMoney,
    Checkouts,
    OrderBook,
    Settlement,
    price_carts,
    settle_orders,
    simulate_sessions,
)
from listenloop.generator.customers import Customers, numbered, simulate_customers
from listenloop.generator.params import Params
from listenloop.generator.segments import (
    World,
    apply_ltv_lift,
    call_cart_abandoners,
    call_first_purchases,
    call_one_time_buyers,
    call_returners,
    call_service_followups,
    check_outcome_weights,
)
from listenloop.generator.surveys import simulate_surveys


@dataclass(frozen=True)
class Simulation:
    start: int
    end: int
    customers: Customers
    checkouts: Checkouts
    orders: dict[str, np.ndarray]
    settlement: Settlement
    carts: CartBook
    quantity: np.ndarray  # per cart line, after the LTV lift
    money: CartMoney
    calls: dict[str, np.ndarray]  # sorted by started, with final call ids
    runs: dict[str, SegmentRun]
    inbound: Inbound
    surveys: dict[str, np.ndarray]


def simulate(customers: int, days: int, params: Params, rng: np.random.Generator) -> Simulation:
    """Everything that happened over `days` days from params.start_date, for `customers` people."""
    check_outcome_weights(params)
    start = epoch_seconds(params.start_date)
    end = start + days * DAY
    people = simulate_customers(customers, start, end, params.customers, rng)
    world = World(people, CartBook(), OrderBook(), CallLog(), params, end, rng)
    checkouts = simulate_sessions(people, world.carts, world.orders, end, params.commerce, rng)
    runs = {"cart_abandoner": call_cart_abandoners(world, checkouts)}
    runs["first_purchase"] = call_first_purchases(world)
    runs["one_time_buyer"] = call_one_time_buyers(world)
    orders = {
        name: world.orders.column(name)
        for name in ("customer", "cart", "checkout", "created", "channel", "source", "ids")
    }
    settlement = settle_orders(orders["created"], end, params.commerce, rng)
    runs["returner"] = call_returners(world, settlement)
    inbound = simulate_inbound(
        world.log,
        people,
        orders["customer"],
        orders["created"],
        world.cart_nouns(orders["cart"]),
        PRODUCT_NOUNS,
        end,
        params.calls,
        params.inbound,
        rng,
    )
    runs["service_followup"] = call_service_followups(world, inbound)
    quantity = apply_ltv_lift(world, list(runs.values()))
    money = price_carts(world.carts, quantity, params.commerce)

    calls = {name: world.log.column(name) for name in world.log.chunks}
    order = np.argsort(calls["started"], kind="stable")
    calls = {name: values[order] for name, values in calls.items()}
    outbound = np.flatnonzero(calls["direction"] == "outbound")
    calls["ids"][outbound] = numbered("OC", outbound.size, 8)

    surveys = simulate_surveys(
        calls["customer"],
        calls["ids"],
        calls["ended"],
        calls["disposition"] == "connected",
        orders["customer"],
        orders["ids"],
        orders["created"],
        settlement.voided,
        end,
        params.surveys,
        rng,
    )
    return Simulation(
        start,
        end,
        people,
        checkouts,
        orders,
        settlement,
        world.carts,
        quantity,
        money,
        calls,
        runs,
        inbound,
        surveys,
    )
