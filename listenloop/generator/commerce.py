"""The store: shopping sessions, carts, checkouts, orders, refunds and the money on them.

Each customer shops in sessions at least `session_gap_min_days` apart. That gap is longer than
an abandoned cart's 1 + 7 day recovery window, so whether a cart was recovered is decided only by
the recovery the call simulation plants, never by an unrelated later purchase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from listenloop.generator.catalog import PRODUCT_WEIGHTS, PRODUCTS, price_table_cents
from listenloop.generator.clock import DAY, HOUR, NULL_TS
from listenloop.generator.customers import Customers, numbered
from listenloop.generator.notes import REFUND_REASONS, pick
from listenloop.generator.params import CommerceParams
from listenloop.generator.phones import COUNTRIES

CHANNELS = ("web", "app", "phone")
WEB, APP, PHONE = range(3)
# Where an order came from, so the lifetime-value lift only scales the customer's own buying.
FROM_SESSION, FROM_RECOVERY, FROM_CALL = range(3)
PRICES = price_table_cents(COUNTRIES)


def country_index(codes: np.ndarray) -> np.ndarray:
    """Positions in phones.COUNTRIES of ISO codes, the row index of the price table."""
    known = np.asarray(COUNTRIES)
    order = np.argsort(known)
    return order[np.searchsorted(known[order], codes)]


def group_cumsum(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Running sum that restarts at every True in group_start (rows grouped contiguously)."""
    total = np.cumsum(values)
    starts = np.flatnonzero(group_start)
    offset = np.repeat(total[starts] - values[starts], np.diff(np.append(starts, values.size)))
    return total - offset


@dataclass
class CartBook:
    """Every basket anyone filled, abandoned or bought; lines are appended in draws."""

    country: list[np.ndarray] = field(default_factory=list)
    discounted: list[np.ndarray] = field(default_factory=list)
    line_cart: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    quantity: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def draw(self, country_idx: np.ndarray, p: CommerceParams, rng: np.random.Generator):
        """New carts for customers from these countries; returns their cart ids."""
        n = country_idx.size
        ids = np.arange(self.count, self.count + n)
        lines = np.minimum(1 + rng.poisson(p.extra_lines_mean, n), 5)
        qw = np.asarray(p.quantity_weights, dtype=float)
        self.country.append(country_idx)
        self.discounted.append(rng.random(n) < p.discount_share)
        self.line_cart.append(np.repeat(ids, lines))
        self.product.append(rng.choice(len(PRODUCTS), lines.sum(), p=PRODUCT_WEIGHTS))
        self.quantity.append(1 + rng.choice(qw.size, lines.sum(), p=qw / qw.sum()))
        self.count += n
        return ids

    def first_product(self) -> np.ndarray:
        """The first product of each cart: what a customer talks about on the phone."""
        cart = np.concatenate(self.line_cart)
        first = np.ones(cart.size, dtype=bool)
        first[1:] = cart[1:] != cart[:-1]
        return np.concatenate(self.product)[first]


@dataclass
class Checkouts:
    customer: np.ndarray
    cart: np.ndarray
    created: np.ndarray
    updated: np.ndarray  # last cart activity
    completed: np.ndarray  # NULL_TS while open
    guest: np.ndarray  # no customer_id on the checkout
    email_on: np.ndarray
    phone_on: np.ndarray
    two_versions: np.ndarray  # completed directly but delivered open first, then completed
    ids: np.ndarray

    @property
    def abandoned_at_first(self) -> np.ndarray:
        """Not completed within the hour: every checkout that was open at the 1-hour mark."""
        return (self.completed == NULL_TS) | (self.completed > self.updated + HOUR)


@dataclass
class OrderBook:
    """Orders in the order they were added; ids are numbered per batch, by time in the batch."""

    customer: list[np.ndarray] = field(default_factory=list)
    cart: list[np.ndarray] = field(default_factory=list)
    checkout: list[np.ndarray] = field(default_factory=list)
    created: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    source: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, customer, cart, checkout, created, channel, source: int) -> np.ndarray:
        order = np.argsort(created, kind="stable")
        self.customer.append(customer[order])
        self.cart.append(cart[order])
        self.checkout.append(checkout[order])
        self.created.append(created[order])
        self.channel.append(np.broadcast_to(channel, created.shape)[order])
        self.source.append(np.full(created.size, source, dtype=np.int8))
        self.ids.append(numbered("O", created.size, 8, first=self.count + 1))
        self.count += created.size
        return np.arange(self.count - created.size, self.count)

    def column(self, name: str) -> np.ndarray:
        return np.concatenate(getattr(self, name))


def simulate_sessions(
    customers: Customers,
    carts: CartBook,
    orders: OrderBook,
    end: int,
    p: CommerceParams,
    rng: np.random.Generator,
) -> Checkouts:
    """Every customer's shopping sessions: checkouts (most abandoned) and phone orders."""
    n_sessions = 1 + rng.poisson(p.extra_sessions_mean, customers.size)
    cust = np.repeat(np.arange(customers.size), n_sessions)
    first = np.ones(cust.size, dtype=bool)
    first[1:] = cust[1:] != cust[:-1]
    gap_days = p.session_gap_min_days + rng.exponential(p.session_gap_mean_extra_days, cust.size)
    gap = np.where(first, 0, (gap_days * DAY).astype(np.int64))
    at = customers.created[cust] + group_cumsum(gap, first)
    keep = at < end - 2 * HOUR
    cust, at = cust[keep], at[keep]
    country_idx = country_index(customers.country)
    cart = carts.draw(country_idx[cust], p, rng)

    by_phone = rng.random(cust.size) < p.phone_order_share
    orders.add(
        cust[by_phone],
        cart[by_phone],
        np.full(by_phone.sum(), -1),
        at[by_phone],
        PHONE,
        FROM_SESSION,
    )

    cust, cart, at = cust[~by_phone], cart[~by_phone], at[~by_phone]
    n = cust.size
    order = np.argsort(at, kind="stable")  # checkout ids follow creation time
    cust, cart, at = cust[order], cart[order], at[order]
    updated = at + rng.integers(60, 30 * 60, n)
    done = rng.random(n) < p.checkout_completion_rate
    completed = np.where(done, updated + rng.integers(60, 20 * 60, n), NULL_TS)
    has_phone = customers.nsn[cust] != None  # noqa: E711
    guest = rng.random(n) < p.guest_checkout_share
    email_on = np.where(guest, (rng.random(n) < 0.85) | ~has_phone, rng.random(n) < 0.9)
    phone_on = has_phone & ((rng.random(n) < p.checkout_phone_share) | (guest & ~email_on))
    checkouts = Checkouts(
        customer=cust,
        cart=cart,
        created=at,
        updated=updated,
        completed=completed,
        guest=guest,
        email_on=email_on,
        phone_on=phone_on,
        two_versions=done & (rng.random(n) < p.completed_two_versions_share),
        ids=numbered("K", n, 8),
    )
    channel = np.where(rng.random(done.sum()) < p.app_share, APP, WEB)
    orders.add(cust[done], cart[done], np.flatnonzero(done), completed[done], channel, FROM_SESSION)
    return checkouts


@dataclass(frozen=True)
class Settlement:
    """What happened to each order's payment, and the refunds."""

    pending: np.ndarray  # first recorded as pending
    resolved_at: np.ndarray  # when pending became paid or voided (NULL_TS if never)
    voided: np.ndarray
    refund_order: np.ndarray  # order index per refund
    refund_at: np.ndarray
    refund_full: np.ndarray
    refund_reason: np.ndarray
    refund_ids: np.ndarray


def settle_orders(
    created: np.ndarray, end: int, p: CommerceParams, rng: np.random.Generator
) -> Settlement:
    """Payment outcomes; only orders paid straight away are refunded, so no refund predates
    the payment it returns."""
    n = created.size
    pending = rng.random(n) < p.pending_share
    voided = pending & (rng.random(n) < p.voided_share_of_pending)
    resolve = created + np.where(
        voided, rng.integers(2 * HOUR, DAY, n), rng.integers(DAY, 3 * DAY, n)
    )
    resolved_at = np.where(pending & (resolve < end), resolve, NULL_TS)
    refunded = ~pending & (rng.random(n) < p.refund_rate)
    refund_at = created + rng.integers(2 * DAY, 21 * DAY, n)
    refunded &= refund_at < end
    rows = np.flatnonzero(refunded)
    at = refund_at[rows]
    order = np.argsort(at, kind="stable")
    rows, at = rows[order], at[order]
    return Settlement(
        pending=pending,
        resolved_at=resolved_at,
        voided=voided & (resolved_at != NULL_TS),
        refund_order=rows,
        refund_at=at,
        refund_full=rng.random(rows.size) >= p.partial_refund_share,
        refund_reason=pick(REFUND_REASONS, rows.size, rng),
        refund_ids=numbered("R", rows.size, 8),
    )


@dataclass(frozen=True)
class CartMoney:
    subtotal: np.ndarray
    discount: np.ndarray
    shipping: np.ndarray
    tax: np.ndarray
    total: np.ndarray
    items: np.ndarray
    line_unit: np.ndarray  # cents per line
    first_line_unit: np.ndarray  # per cart: what a partial refund returns


def price_carts(carts: CartBook, quantity: np.ndarray, p: CommerceParams) -> CartMoney:
    """Cents per cart: lines at shelf price, 10% codes, free shipping above a threshold, tax."""
    country = np.concatenate(carts.country)
    line_cart = np.concatenate(carts.line_cart)
    unit = PRICES[country[line_cart], np.concatenate(carts.product)]
    subtotal = np.bincount(line_cart, weights=unit * quantity, minlength=carts.count).astype(
        np.int64
    )
    items = np.bincount(line_cart, weights=quantity, minlength=carts.count).astype(np.int64)
    discount = np.where(np.concatenate(carts.discounted), np.round(subtotal * 0.10), 0).astype(
        np.int64
    )
    shipping = np.where(subtotal >= p.free_shipping_from * 100, 0, round(p.shipping_fee * 100))
    rates = np.array([p.tax_rates.get(c, 0.0) for c in COUNTRIES])
    tax = np.round((subtotal - discount) * rates[country]).astype(np.int64)
    first = np.ones(line_cart.size, dtype=bool)
    first[1:] = line_cart[1:] != line_cart[:-1]
    return CartMoney(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping.astype(np.int64),
        tax=tax,
        total=subtotal - discount + shipping + tax,
        items=items,
        line_unit=unit,
        first_line_unit=unit[first],
    )
