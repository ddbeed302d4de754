"""The two store schemas the store database source reads, and how each maps to the contract.

Per schema flavour and feed there are two halves:

- `query(tables, since)`: the SELECT run in the store's database. It does the joins only the
  database can do (an order's refunds, a line item's meta rows), returns vendor values as they
  are stored, and names its cursor `updated_at`. `since` (the cursor minus the lag) filters on
  the vendor's own columns, so the database can use its indexes.
- `to_contract`: DuckDB SQL over one fetched Arrow batch (`batch`) that turns vendor values into
  contract columns: statuses, signs, booleans, ids as text. Values it does not know pass through
  unchanged, so the contract quarantines them with a reason instead of guessing.

Tables are declared, not reflected: the source reads exactly the columns listed here, and a
store's extra columns or plugins' tables never change what lands. docs/connectors/store-database.md
is the prose version of these mappings; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import Select

CURSOR = "updated_at"

WOOCOMMERCE = "woocommerce"
POSTGRES_STORE = "postgres_store"


@dataclass(frozen=True)
class SchemaOptions:
    """The settings that name the tables."""

    schema: str | None = None  # database schema (PostgreSQL) or database (MySQL); None: default
    table_prefix: str = "wp_"  # WordPress's $table_prefix
    consent_meta_key: str = "phone_contact_consent"  # WooCommerce user meta holding phone consent


@dataclass(frozen=True)
class FeedMapping:
    query: Callable[[Any, datetime | None], Select]
    to_contract: str


@dataclass(frozen=True)
class Flavour:
    name: str
    backends: tuple[str, ...]  # SQLAlchemy backend names the schema lives on
    tables: Callable[[SchemaOptions], Any]
    feeds: dict[str, FeedMapping]


def _changed_since(*columns: sa.ColumnElement[Any], since: datetime | None) -> Any:
    """True for rows whose first non-null column is at or after `since` (all rows without one).

    Spelled as OR of plain comparisons rather than COALESCE so an index on each column serves.
    """
    if since is None:
        return sa.true()
    clauses = []
    for i, column in enumerate(columns):
        earlier_null = [c.is_(None) for c in columns[:i]]
        clauses.append(sa.and_(*earlier_null, column >= since))
    # A row with no date at all is read every run rather than lost; the contract quarantines it.
    clauses.append(sa.and_(*(c.is_(None) for c in columns)))
    return sa.or_(*clauses)


def _later(a: sa.ColumnElement[Any], b: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    # GREATEST returns NULL on MySQL/MariaDB as soon as one argument is NULL; this does not.
    return sa.case((sa.or_(a.is_(None), b > a), b), else_=a).cast(sa.DateTime)


# --- WooCommerce (HPOS tables, MySQL/MariaDB) ---------------------------------------------------


@dataclass(frozen=True)
class WooTables:
    orders: sa.Table
    addresses: sa.Table
    operational: sa.Table
    orders_meta: sa.Table
    items: sa.Table
    itemmeta: sa.Table
    product_lookup: sa.Table
    customer_lookup: sa.Table
    usermeta: sa.Table
    consent_meta_key: str


def woocommerce_tables(options: SchemaOptions) -> WooTables:
    """The subset of WooCommerce's HPOS, order item and lookup tables the source reads."""
    md = sa.MetaData(schema=options.schema)
    p = options.table_prefix
    money = sa.Numeric(26, 8)  # WooCommerce's own column type for amounts
    text = sa.String
    big = sa.BigInteger
    return WooTables(
        orders=sa.Table(
            f"{p}wc_orders",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("status", text),
            sa.Column("currency", text),
            sa.Column("type", text),
            sa.Column("tax_amount", money),
            sa.Column("total_amount", money),
            sa.Column("customer_id", big),
            sa.Column("billing_email", text),
            sa.Column("date_created_gmt", sa.DateTime),
            sa.Column("date_updated_gmt", sa.DateTime),
            sa.Column("parent_order_id", big),
        ),
        addresses=sa.Table(
            f"{p}wc_order_addresses",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("order_id", big),
            sa.Column("address_type", text),
            sa.Column("first_name", text),
            sa.Column("last_name", text),
            sa.Column("country", text),
            sa.Column("email", text),
            sa.Column("phone", text),
        ),
        operational=sa.Table(
            f"{p}wc_order_operational_data",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("order_id", big),
            sa.Column("created_via", text),
            sa.Column("shipping_total_amount", money),
            sa.Column("discount_total_amount", money),
        ),
        orders_meta=sa.Table(
            f"{p}wc_orders_meta",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("order_id", big),
            sa.Column("meta_key", text),
            sa.Column("meta_value", sa.Text),
        ),
        items=sa.Table(
            f"{p}woocommerce_order_items",
            md,
            sa.Column("order_item_id", big, primary_key=True),
            sa.Column("order_item_name", sa.Text),
            sa.Column("order_item_type", text),
            sa.Column("order_id", big),
        ),
        itemmeta=sa.Table(
            f"{p}woocommerce_order_itemmeta",
            md,
            sa.Column("meta_id", big, primary_key=True),
            sa.Column("order_item_id", big),
            sa.Column("meta_key", text),
            sa.Column("meta_value", sa.Text),
        ),
        product_lookup=sa.Table(
            f"{p}wc_product_meta_lookup",
            md,
            sa.Column("product_id", big, primary_key=True),
            sa.Column("sku", text),
        ),
        customer_lookup=sa.Table(
            f"{p}wc_customer_lookup",
            md,
            sa.Column("customer_id", big, primary_key=True),
            sa.Column("user_id", big),
            sa.Column("first_name", text),
            sa.Column("last_name", text),
            sa.Column("email", text),
            sa.Column("date_last_active", sa.DateTime),
            sa.Column("date_registered", sa.DateTime),
            sa.Column("country", text),
        ),
        usermeta=sa.Table(
            f"{p}usermeta",
            md,
            sa.Column("umeta_id", big, primary_key=True),
            sa.Column("user_id", big),
            sa.Column("meta_key", text),
            sa.Column("meta_value", sa.Text),
        ),
        consent_meta_key=options.consent_meta_key,
    )


SHOP_ORDER = "shop_order"
SHOP_ORDER_REFUND = "shop_order_refund"
# Not orders yet: the block checkout's draft and WordPress's auto-draft.
WOO_NOT_ORDERS = ("auto-draft", "wc-checkout-draft")


def _woo_touched(orders: sa.Table | Any) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(orders.c.date_updated_gmt, orders.c.date_created_gmt)


def _woo_orders(t: WooTables, since: datetime | None) -> Select:
    o = t.orders
    refund = t.orders.alias("refund")
    ops = t.operational
    is_refund_of_o = sa.and_(refund.c.type == SHOP_ORDER_REFUND, refund.c.parent_order_id == o.c.id)
    # Refund rows store negative totals; their sum is what was returned, as a positive amount.
    refunded = sa.select(sa.func.sum(-refund.c.total_amount)).where(is_refund_of_o)
    last_refund = sa.select(sa.func.max(_woo_touched(refund))).where(is_refund_of_o)
    # An order's version is its own last change or its newest refund's, whichever is later:
    # a refund then brings the order back with its new financial status even when the store
    # did not touch the order row itself.
    version = _later(_woo_touched(o), last_refund.scalar_subquery())
    query = (
        sa.select(
            o.c.id.label("order_id"),
            _woo_customer_of(t, o).label("customer_id"),
            o.c.status,
            o.c.currency,
            o.c.tax_amount,
            o.c.total_amount,
            ops.c.shipping_total_amount,
            ops.c.discount_total_amount,
            ops.c.created_via,
            refunded.scalar_subquery().label("refunded_amount"),
            o.c.date_created_gmt,
            version.label(CURSOR),
        )
        .select_from(o.outerjoin(ops, ops.c.order_id == o.c.id))
        .where(o.c.type == SHOP_ORDER, o.c.status.not_in(WOO_NOT_ORDERS))
        .order_by(version, o.c.id)
    )
    if since is not None:
        refunded_since = sa.select(refund.c.parent_order_id).where(
            refund.c.type == SHOP_ORDER_REFUND,
            _changed_since(refund.c.date_updated_gmt, refund.c.date_created_gmt, since=since),
        )
        query = query.where(
            sa.or_(
                _changed_since(o.c.date_updated_gmt, o.c.date_created_gmt, since=since),
                o.c.id.in_(refunded_since),
            )
        )
    return query


def _woo_customer_of(t: WooTables, o: sa.Table | Any) -> sa.ColumnElement[Any]:
    """The customer lookup id of an order, resolved as WooCommerce Analytics does.

    `wp_wc_orders.customer_id` is the WordPress user id, 0 for a guest; a guest's lookup row has
    no user id and is found by the billing email.
    """
    lookup = t.customer_lookup.alias("order_customer")
    registered = sa.select(sa.func.min(lookup.c.customer_id)).where(
        o.c.customer_id > 0, lookup.c.user_id == o.c.customer_id
    )
    guest = sa.select(sa.func.min(lookup.c.customer_id)).where(
        sa.func.coalesce(o.c.customer_id, 0) == 0,
        lookup.c.user_id.is_(None),
        lookup.c.email == o.c.billing_email,
    )
    return sa.func.coalesce(registered.scalar_subquery(), guest.scalar_subquery())


def _woo_order_lines(t: WooTables, since: datetime | None) -> Select:
    i, o = t.items, t.orders

    def meta(key: str) -> Any:
        return t.itemmeta.alias(f"meta{key}")

    product, variation, qty, subtotal = (
        meta(k) for k in ("_product_id", "_variation_id", "_qty", "_line_subtotal")
    )
    joined: Any = i.join(o, o.c.id == i.c.order_id)
    for alias, key in (
        (product, "_product_id"),
        (variation, "_variation_id"),
        (qty, "_qty"),
        (subtotal, "_line_subtotal"),
    ):
        joined = joined.outerjoin(
            alias, sa.and_(alias.c.order_item_id == i.c.order_item_id, alias.c.meta_key == key)
        )
    product_sku = t.product_lookup.alias("product_sku")
    variation_sku = t.product_lookup.alias("variation_sku")
    joined = joined.outerjoin(
        product_sku, product_sku.c.product_id == sa.cast(product.c.meta_value, sa.BigInteger)
    ).outerjoin(
        variation_sku,
        sa.and_(
            variation_sku.c.product_id == sa.cast(variation.c.meta_value, sa.BigInteger),
            variation_sku.c.product_id > 0,
        ),
    )
    # Line items carry no date of their own: they change with their order.
    version = _woo_touched(o).cast(sa.DateTime)
    return (
        sa.select(
            i.c.order_item_id.label("line_id"),
            i.c.order_id,
            product.c.meta_value.label("product_id"),
            sa.func.coalesce(variation_sku.c.sku, product_sku.c.sku).label("sku"),
            i.c.order_item_name.label("title"),
            qty.c.meta_value.label("qty"),
            subtotal.c.meta_value.label("line_subtotal"),
            version.label(CURSOR),
        )
        .select_from(joined)
        .where(
            i.c.order_item_type == "line_item",
            o.c.type == SHOP_ORDER,
            o.c.status.not_in(WOO_NOT_ORDERS),
            _changed_since(o.c.date_updated_gmt, o.c.date_created_gmt, since=since),
        )
        .order_by(version, i.c.order_item_id)
    )


def _woo_refunds(t: WooTables, since: datetime | None) -> Select:
    r = t.orders
    reason = sa.select(sa.func.max(t.orders_meta.c.meta_value)).where(
        t.orders_meta.c.order_id == r.c.id, t.orders_meta.c.meta_key == "_refund_reason"
    )
    version = _woo_touched(r).cast(sa.DateTime)
    return (
        sa.select(
            r.c.id.label("refund_id"),
            r.c.parent_order_id.label("order_id"),
            r.c.date_created_gmt,
            r.c.total_amount,
            reason.scalar_subquery().label("reason"),
            version.label(CURSOR),
        )
        .where(
            r.c.type == SHOP_ORDER_REFUND,
            _changed_since(r.c.date_updated_gmt, r.c.date_created_gmt, since=since),
        )
        .order_by(version, r.c.id)
    )


def _woo_customers(t: WooTables, since: datetime | None) -> Select:
    c = t.customer_lookup

    def user_meta(key: str) -> Any:
        um = t.usermeta.alias(f"usermeta_{key}")
        return (
            sa.select(sa.func.max(um.c.meta_value))
            .where(um.c.user_id == c.c.user_id, um.c.meta_key == key)
            .scalar_subquery()
        )

    # A guest has no user meta: the phone of their newest order's billing address stands in.
    o, a = t.orders.alias("phone_order"), t.addresses.alias("phone_address")
    order_phone = (
        sa.select(a.c.phone)
        .select_from(o.join(a, sa.and_(a.c.order_id == o.c.id, a.c.address_type == "billing")))
        .where(
            o.c.type == SHOP_ORDER,
            sa.func.coalesce(a.c.phone, "") != "",
            sa.or_(
                sa.and_(c.c.user_id.is_not(None), o.c.customer_id == c.c.user_id),
                sa.and_(
                    c.c.user_id.is_(None),
                    sa.func.coalesce(o.c.customer_id, 0) == 0,
                    o.c.billing_email == c.c.email,
                ),
            ),
        )
        .order_by(o.c.date_created_gmt.desc(), o.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # WooCommerce stamps `last_update` (unix seconds) on the user when the customer is saved;
    # a guest's row only moves with date_last_active.
    saved = sa.func.timestampadd(
        sa.text("SECOND"), sa.cast(user_meta("last_update"), sa.BigInteger), "1970-01-01"
    ).cast(sa.DateTime)
    active = sa.func.coalesce(c.c.date_last_active, c.c.date_registered).cast(sa.DateTime)
    version = _later(active, saved)
    query = sa.select(
        c.c.customer_id,
        c.c.email,
        sa.func.coalesce(sa.func.nullif(user_meta("billing_phone"), ""), order_phone).label(
            "phone"
        ),
        c.c.first_name,
        c.c.last_name,
        c.c.country,
        sa.func.coalesce(c.c.date_registered, c.c.date_last_active).label("created_at"),
        user_meta(t.consent_meta_key).label("phone_consent"),
        version.label(CURSOR),
    ).order_by(version, c.c.customer_id)
    if since is not None:
        query = query.where(sa.or_(version >= since, version.is_(None)))
    return query


_WOO_ORDERS_SQL = """
SELECT
    CAST(order_id AS VARCHAR) AS order_id,
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(NULL AS VARCHAR) AS checkout_id,
    date_created_gmt AS created_at,
    updated_at,
    upper(currency) AS currency,
    -- WooCommerce keeps no order subtotal: total = subtotal - discount + shipping + tax (+ fees)
    total_amount - coalesce(tax_amount, 0) - coalesce(shipping_total_amount, 0)
        + coalesce(discount_total_amount, 0) AS subtotal,
    discount_total_amount AS discount,
    shipping_total_amount AS shipping,
    tax_amount AS tax,
    total_amount AS total,
    CASE
        WHEN status IN ('wc-completed', 'wc-processing') AND coalesce(refunded_amount, 0) > 0
            THEN CASE WHEN refunded_amount < total_amount
                      THEN 'partially_refunded' ELSE 'refunded' END
        WHEN status IN ('wc-completed', 'wc-processing') THEN 'paid'
        WHEN status IN ('wc-pending', 'wc-on-hold') THEN 'pending'
        WHEN status = 'wc-refunded' THEN 'refunded'
        WHEN status IN ('wc-cancelled', 'wc-failed', 'trash') THEN 'voided'
        ELSE CAST(status AS VARCHAR)  -- a status nobody mapped: the contract quarantines it
    END AS financial_status,
    CASE CAST(created_via AS VARCHAR)
        WHEN 'checkout' THEN 'web'
        WHEN 'store-api' THEN 'web'
        WHEN 'admin' THEN 'phone'
    END AS channel
FROM batch
"""

_WOO_ORDER_LINES_SQL = """
SELECT
    CAST(line_id AS VARCHAR) AS line_id,
    CAST(order_id AS VARCHAR) AS order_id,
    nullif(trim(CAST(product_id AS VARCHAR)), '0') AS product_id,
    CAST(sku AS VARCHAR) AS sku,
    CAST(title AS VARCHAR) AS title,
    CAST(NULL AS VARCHAR) AS category,
    CAST(qty AS VARCHAR) AS quantity,
    -- the price before coupons, per unit (_line_total would be after them)
    CASE WHEN TRY_CAST(qty AS DOUBLE) <> 0
         THEN CAST(TRY_CAST(line_subtotal AS DECIMAL(26, 8)) / TRY_CAST(qty AS DOUBLE)
                   AS DECIMAL(18, 4))
    END AS unit_price
FROM batch
"""

_WOO_REFUNDS_SQL = """
SELECT
    CAST(refund_id AS VARCHAR) AS refund_id,
    CAST(order_id AS VARCHAR) AS order_id,
    date_created_gmt AS created_at,
    -total_amount AS amount,  -- refund rows hold negative totals
    CAST(reason AS VARCHAR) AS reason
FROM batch
"""

_WOO_CUSTOMERS_SQL = """
SELECT
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(email AS VARCHAR) AS email,
    CAST(phone AS VARCHAR) AS phone,
    CAST(first_name AS VARCHAR) AS first_name,
    CAST(last_name AS VARCHAR) AS last_name,
    upper(CAST(country AS VARCHAR)) AS country,
    created_at,
    updated_at,
    CASE lower(trim(CAST(phone_consent AS VARCHAR)))
        WHEN 'yes' THEN 'true' WHEN 'on' THEN 'true' WHEN '1' THEN 'true' WHEN 'true' THEN 'true'
        WHEN 'no' THEN 'false' WHEN 'off' THEN 'false' WHEN '0' THEN 'false'
        WHEN 'false' THEN 'false'
        ELSE CAST(phone_consent AS VARCHAR)
    END AS accepts_phone_contact
FROM batch
"""


# --- A plain PostgreSQL store schema ------------------------------------------------------------


@dataclass(frozen=True)
class PgTables:
    customers: sa.Table
    orders: sa.Table
    order_lines: sa.Table
    refunds: sa.Table


def postgres_store_tables(options: SchemaOptions) -> PgTables:
    md = sa.MetaData(schema=options.schema)
    money = sa.Numeric(12, 2)
    ts = sa.DateTime(timezone=True)
    big = sa.BigInteger
    return PgTables(
        customers=sa.Table(
            "customers",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("email", sa.Text),
            sa.Column("phone", sa.Text),
            sa.Column("first_name", sa.Text),
            sa.Column("last_name", sa.Text),
            sa.Column("country_code", sa.Text),
            sa.Column("phone_contact_opt_in", sa.Boolean),
            sa.Column("created_at", ts),
            sa.Column("updated_at", ts),
        ),
        orders=sa.Table(
            "orders",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("customer_id", big),
            sa.Column("checkout_token", sa.Text),
            sa.Column("status", sa.Text),
            sa.Column("payment_status", sa.Text),
            sa.Column("sales_channel", sa.Text),
            sa.Column("currency", sa.Text),
            sa.Column("subtotal", money),
            sa.Column("discount_total", money),
            sa.Column("shipping_total", money),
            sa.Column("tax_total", money),
            sa.Column("total", money),
            sa.Column("placed_at", ts),
            sa.Column("updated_at", ts),
        ),
        order_lines=sa.Table(
            "order_lines",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("order_id", big),
            sa.Column("product_id", sa.Text),
            sa.Column("sku", sa.Text),
            sa.Column("title", sa.Text),
            sa.Column("category", sa.Text),
            sa.Column("quantity", sa.Integer),
            sa.Column("unit_price", money),
            sa.Column("updated_at", ts),
        ),
        refunds=sa.Table(
            "refunds",
            md,
            sa.Column("id", big, primary_key=True),
            sa.Column("order_id", big),
            sa.Column("amount", money),
            sa.Column("reason", sa.Text),
            sa.Column("created_at", ts),
            sa.Column("updated_at", ts),
        ),
    )


def _pg_rows(table_of: Callable[[PgTables], sa.Table]) -> Callable[[PgTables, Any], Select]:
    """Every column of one table, changed since `since`: each table has its own updated_at."""

    def query(t: PgTables, since: datetime | None) -> Select:
        table = table_of(t)
        select = sa.select(table).order_by(table.c.updated_at, table.c.id)
        return select.where(_changed_since(table.c.updated_at, since=since))

    return query


_PG_CUSTOMERS_SQL = """
SELECT
    CAST(id AS VARCHAR) AS customer_id,
    email,
    phone,
    first_name,
    last_name,
    upper(country_code) AS country,
    created_at,
    updated_at,
    phone_contact_opt_in AS accepts_phone_contact  -- NULL: never asked
FROM batch
"""

_PG_ORDERS_SQL = """
SELECT
    CAST(id AS VARCHAR) AS order_id,
    CAST(customer_id AS VARCHAR) AS customer_id,
    checkout_token AS checkout_id,
    placed_at AS created_at,
    updated_at,
    upper(currency) AS currency,
    subtotal,
    discount_total AS discount,
    shipping_total AS shipping,
    tax_total AS tax,
    total,
    CASE
        WHEN status = 'cancelled' THEN 'voided'
        WHEN payment_status IN ('awaiting_payment', 'authorized') THEN 'pending'
        WHEN payment_status IN ('paid', 'partially_refunded', 'refunded') THEN payment_status
        WHEN payment_status IN ('voided', 'failed') THEN 'voided'
        ELSE payment_status  -- a status nobody mapped: the contract quarantines it
    END AS financial_status,
    CASE sales_channel
        WHEN 'online_store' THEN 'web'
        WHEN 'mobile_app' THEN 'app'
        WHEN 'call_center' THEN 'phone'
    END AS channel
FROM batch
"""

_PG_ORDER_LINES_SQL = """
SELECT
    CAST(id AS VARCHAR) AS line_id,
    CAST(order_id AS VARCHAR) AS order_id,
    product_id,
    sku,
    title,
    category,
    quantity,
    unit_price
FROM batch
"""

_PG_REFUNDS_SQL = """
SELECT
    CAST(id AS VARCHAR) AS refund_id,
    CAST(order_id AS VARCHAR) AS order_id,
    created_at,
    amount,
    reason
FROM batch
"""


FLAVOURS: dict[str, Flavour] = {
    WOOCOMMERCE: Flavour(
        name=WOOCOMMERCE,
        backends=("mysql", "mariadb"),
        tables=woocommerce_tables,
        feeds={
            "customers": FeedMapping(_woo_customers, _WOO_CUSTOMERS_SQL),
            "orders": FeedMapping(_woo_orders, _WOO_ORDERS_SQL),
            "order_lines": FeedMapping(_woo_order_lines, _WOO_ORDER_LINES_SQL),
            "refunds": FeedMapping(_woo_refunds, _WOO_REFUNDS_SQL),
        },
    ),
    POSTGRES_STORE: Flavour(
        name=POSTGRES_STORE,
        backends=("postgresql",),
        tables=postgres_store_tables,
        feeds={
            "customers": FeedMapping(_pg_rows(lambda t: t.customers), _PG_CUSTOMERS_SQL),
            "orders": FeedMapping(_pg_rows(lambda t: t.orders), _PG_ORDERS_SQL),
            "order_lines": FeedMapping(_pg_rows(lambda t: t.order_lines), _PG_ORDER_LINES_SQL),
            "refunds": FeedMapping(_pg_rows(lambda t: t.refunds), _PG_REFUNDS_SQL),
        },
    ),
}
