"""Store databases for the store_db connector tests, on the machine's real MariaDB and PostgreSQL.

One scenario, three steps (a first load, new rows, a late refund), written into either schema:

- WooCommerce on MariaDB: a faithful subset of WooCommerce's own DDL (HPOS order tables, order
  items and their meta, the product and customer lookup tables, WordPress user meta), column
  types and keys as WooCommerce creates them. Refund orders hold negative totals, statuses carry
  the `wc-` prefix, a guest's customer row has no user id, and a draft order and a shipping item
  sit beside the real rows, as they do in a live store.
- A plain normalised PostgreSQL store schema (customers, orders, order_lines, refunds, each with
  updated_at), in its own schema of the `test` database.

Each store is a new database (MariaDB) or schema (PostgreSQL) with a random name, dropped at the
end, with a reader account that has a password, so secrets can be watched for.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg2
import pymysql
from psycopg2 import sql as pgsql
from sqlalchemy.engine import URL

from tests.services import service_unavailable

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"}
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
PREFIX = "wp_"
CONSENT_KEY = "phone_contact_consent"


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    """A naive UTC instant in 2024 (May unless told)."""
    return datetime(2024, month, day, hour, minute)


@dataclass(frozen=True)
class Customer:
    id: int
    user_id: int | None  # None: a WooCommerce guest
    email: str
    phone: str
    first_name: str
    last_name: str
    country: str
    consent: str | None  # as the user meta holds it
    registered: datetime | None
    last_active: datetime
    saved: datetime | None = None  # WooCommerce's `last_update` user meta

    @property
    def updated_at(self) -> datetime:
        return max(d for d in (self.last_active, self.saved) if d)


@dataclass(frozen=True)
class Order:
    id: int
    customer_id: int
    created: datetime
    updated: datetime
    woo_status: str
    woo_via: str
    pg_status: str
    pg_payment: str
    pg_channel: str
    total: Decimal
    subtotal: Decimal | None = None  # None: the total
    discount: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    currency: str = "GBP"


@dataclass(frozen=True)
class Line:
    id: int
    order_id: int
    product_id: int
    sku: str
    title: str
    qty: int
    subtotal: Decimal
    variation_id: int = 0


@dataclass(frozen=True)
class Refund:
    id: int
    order_id: int
    amount: Decimal
    reason: str
    created: datetime


@dataclass(frozen=True)
class Step:
    customers: tuple[Customer, ...] = ()
    orders: tuple[Order, ...] = ()
    lines: tuple[Line, ...] = ()
    refunds: tuple[Refund, ...] = ()


D = Decimal
# id, user id, email, phone, names, country, consent, registered, last active (, last_update)
ANN = Customer(
    1, 11, "ann@example.com", "+44 20 7946 0958", "Ann", "Archer", "GB", "yes",
    at(1, 9, month=4), at(1, 10),
)  # fmt: skip
BEN = Customer(
    2, 12, "ben@example.com", "020 7946 0959", "Ben", "Baker", "gb", "no",
    at(2, 9, month=4), at(1, 11), saved=at(1, 11, 15),
)  # fmt: skip
CAT = Customer(
    3, 13, "cat@example.com", "+1 212 555 0100", "Cat", "Cole", "US", None,
    at(3, 9, month=4), at(1, 12),
)  # fmt: skip
GUS = Customer(  # a guest: no account, no user meta
    4, None, "gus@example.com", "+44 7700 900123", "Gus", "Gray", "GB", None, None, at(1, 13)
)
EVE = Customer(
    5, 14, "eve@example.com", "+44 20 7946 0960", "Eve", "Evans", "GB", "1", at(2, 8), at(2, 9)
)


def _order(
    id_: int, customer: Customer, created: datetime, updated: datetime,
    woo: tuple[str, str], pg: tuple[str, str, str], total: str, **amounts: Decimal,
) -> Order:  # fmt: skip
    """woo: (status, created_via); pg: (status, payment_status, sales_channel)."""
    return Order(id_, customer.id, created, updated, *woo, *pg, D(total), **amounts)


FIRST = Step(
    customers=(ANN, BEN, CAT, GUS),
    orders=(
        _order(101, ANN, at(1, 10), at(1, 10, 5), ("wc-completed", "checkout"),
               ("fulfilled", "paid", "online_store"), "74.96",
               subtotal=D("64.97"), discount=D("5.00"), shipping=D("4.99"), tax=D("10.00")),
        _order(102, BEN, at(1, 11), at(1, 11, 5), ("wc-processing", "admin"),
               ("confirmed", "partially_refunded", "call_center"), "40.00"),
        _order(103, GUS, at(1, 13), at(1, 13), ("wc-on-hold", "store-api"),
               ("pending", "awaiting_payment", "mobile_app"), "25.00"),
        _order(104, CAT, at(1, 12), at(1, 12, 40), ("wc-cancelled", "checkout"),
               ("cancelled", "authorized", "online_store"), "30.00"),
        # A status nobody mapped (a plugin's, a new one): quarantined, never guessed.
        _order(105, ANN, at(1, 9), at(1, 9, 10), ("wc-shipped", "checkout"),
               ("fulfilled", "chargeback", "online_store"), "15.00"),
    ),
    lines=(
        Line(1001, 101, 501, "TEE-RED-M", "T-shirt - Red, M", 3, D("59.97"), variation_id=601),
        Line(1002, 101, 502, "SOCKS", "Socks", 1, D("5.00")),
        Line(1003, 102, 503, "MUG", "Mug", 1, D("40.00")),
        Line(1004, 104, 504, "CAP", "Cap", 1, D("30.00")),
        Line(1005, 103, 505, "SCARF", "Scarf", 2, D("25.00")),
        Line(1006, 105, 502, "SOCKS", "Socks", -1, D("-5.00")),  # quarantined: negative quantity
        Line(1007, 105, 503, "MUG", "Mug", 1, D("15.00")),
    ),
    refunds=(Refund(201, 102, D("10.00"), "Damaged box", at(1, 11, 30)),),
)  # fmt: skip

SECOND = Step(
    customers=(EVE,),
    orders=(
        _order(107, EVE, at(2, 9), at(2, 9), ("wc-completed", "checkout"),
               ("fulfilled", "paid", "online_store"), "20.00"),
    ),
    lines=(Line(1008, 107, 506, "BAG", "Bag", 1, D("20.00")),),
)  # fmt: skip

LATE_REFUND = Refund(202, 101, D("74.96"), "Returned everything", at(8, 10))

# What the source reads at each step, derived by hand from the rows above (lag: 60 minutes).
# Load 2 reads again what changed within the hour before load 1's newest row (customers 3 and
# 4, orders 103 and 104, their lines, refund 201). Load 3 reads again order 107 (inside the
# hour of load 2's newest) and order 101, which the late refund changed.
LAG_MINUTES = 60
ROWS_READ = {
    1: {"customers": 4, "orders": 5, "order_lines": 7, "refunds": 1},
    2: {"customers": 3, "orders": 3, "order_lines": 3, "refunds": 1},
    # WooCommerce's line items have no date of their own: they are read again with their order.
    3: {"customers": 1, "orders": 2, "order_lines": {"woocommerce": 3, "postgres_store": 1},
        "refunds": 2},
}  # fmt: skip
QUARANTINED = {"orders": 1, "order_lines": 1}  # order 105 (status), line 1006 (quantity)


def ts(value: datetime) -> int:
    return int(value.replace(tzinfo=UTC).timestamp())


class StoreDatabase:
    """A seeded store; subclasses write the scenario into their schema."""

    flavour: str
    reader: str
    password: str

    def credentials(self, password: str | None = None, user: str | None = None) -> str:
        raise NotImplementedError

    def settings_env(self, **extra: Any) -> dict[str, str]:
        """The `sources.store_db` settings as dlt environment variables, reading as the reader."""
        env = {
            "SOURCES__STORE_DB__CREDENTIALS": self.credentials(),
            "SOURCES__STORE_DB__SCHEMA_FLAVOUR": self.flavour,
            "SOURCES__STORE_DB__LAG_MINUTES": str(LAG_MINUTES),
        }
        env.update({f"SOURCES__STORE_DB__{k.upper()}": str(v) for k, v in extra.items()})
        return env

    def write(self, step: Step) -> None:
        raise NotImplementedError

    def refund_fully(self, refund: Refund) -> None:
        """A refund of the whole order, a week later: the order becomes refunded."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """Rows the database holds for each feed, as the store itself counts them."""
        raise NotImplementedError


class WooCommerceStore(StoreDatabase):
    flavour = "woocommerce"

    def __init__(self, con: pymysql.Connection, database: str) -> None:
        self.con = con
        self.database = database
        self.reader = f"ll_ro_{secrets.token_hex(4)}"
        self.password = f"Pw-{secrets.token_hex(12)}"

    def execute(self, sql: str, rows: list[tuple] | tuple | None = None) -> None:
        with self.con.cursor() as cur:
            if isinstance(rows, list):
                cur.executemany(sql, rows)
            else:
                cur.execute(sql, rows)

    def query(self, sql: str) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def credentials(self, password: str | None = None, user: str | None = None) -> str:
        return URL.create(
            "mysql+pymysql",
            username=user or self.reader,
            password=password or self.password,
            host=MARIADB["host"],
            port=MARIADB["port"],
            database=self.database,
        ).render_as_string(hide_password=False)

    def create_schema(self) -> None:
        for ddl in WOO_DDL:
            self.execute(ddl.format(p=PREFIX))
        self.execute(f"CREATE USER '{self.reader}'@'%' IDENTIFIED BY '{self.password}'")
        self.execute(f"GRANT SELECT ON `{self.database}`.* TO '{self.reader}'@'%'")
        # Products and a variation, as the product lookup table holds them.
        products = [(501, "TEE"), (502, "SOCKS"), (503, "MUG"), (504, "CAP"), (505, "SCARF")]
        products += [(506, "BAG"), (601, "TEE-RED-M")]
        self.execute(
            f"INSERT INTO {PREFIX}wc_product_meta_lookup (product_id, sku) VALUES (%s, %s)",
            products,
        )

    def write(self, step: Step) -> None:
        p = PREFIX
        for c in step.customers:
            self.execute(
                f"""INSERT INTO {p}wc_customer_lookup (customer_id, user_id, username, first_name,
                    last_name, email, date_last_active, date_registered, country)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (c.id, c.user_id, c.email.split("@")[0] if c.user_id else "", c.first_name,
                 c.last_name, c.email, c.last_active, c.registered, c.country),
            )  # fmt: skip
            if c.user_id is not None:
                meta = [(c.user_id, "billing_phone", c.phone)]
                if c.consent is not None:
                    meta.append((c.user_id, CONSENT_KEY, c.consent))
                if c.saved is not None:
                    meta.append((c.user_id, "last_update", str(ts(c.saved))))
                self.execute(
                    f"INSERT INTO {p}usermeta (user_id, meta_key, meta_value) VALUES (%s, %s, %s)",
                    meta,
                )
        customers = {c.id: c for c in (*FIRST.customers, *SECOND.customers)}
        for o in step.orders:
            c = customers[o.customer_id]
            self._order_row(
                o.id, o.woo_status, "shop_order", o.tax, o.total, c, o.created, o.updated, None
            )
            self.execute(
                f"""INSERT INTO {p}wc_order_addresses (order_id, address_type, first_name,
                    last_name, country, email, phone) VALUES (%s, 'billing', %s, %s, %s, %s, %s)""",
                (o.id, c.first_name, c.last_name, c.country, c.email, c.phone),
            )  # fmt: skip
            self.execute(
                f"""INSERT INTO {p}wc_order_operational_data (order_id, created_via,
                    shipping_total_amount, discount_total_amount, order_key)
                    VALUES (%s, %s, %s, %s, %s)""",
                (o.id, o.woo_via, o.shipping, o.discount, f"wc_order_{o.id}"),
            )  # fmt: skip
        for line in step.lines:
            self._item(line.id, line.order_id, line.title, "line_item", {
                "_product_id": str(line.product_id),
                "_variation_id": str(line.variation_id),
                "_qty": str(line.qty),
                "_line_subtotal": str(line.subtotal),
                "_line_total": str(line.subtotal),
                "_line_tax": "0",
            })  # fmt: skip
        for r in step.refunds:
            self._refund(r)
        if step is FIRST:
            # What a live store also holds: a shipping item, and a block checkout's draft order
            # with a line. Neither is an order line or an order.
            self._item(1901, 101, "Flat rate", "shipping", {"cost": "4.99"})
            cat = customers[3]
            self._order_row(106, "wc-checkout-draft", "shop_order", D("0"), D("12.00"), cat,
                            at(1, 12, 30), at(1, 12, 30), None)  # fmt: skip
            self._item(1906, 106, "Cap", "line_item", {"_product_id": "504", "_qty": "1"})
        self.con.commit()

    def refund_fully(self, refund: Refund) -> None:
        self._refund(refund)
        self.execute(
            f"UPDATE {PREFIX}wc_orders SET status = 'wc-refunded', date_updated_gmt = %s "
            "WHERE id = %s",
            (refund.created, refund.order_id),
        )
        self.con.commit()

    def _order_row(
        self, id_: int, status: str, type_: str, tax: Decimal, total: Decimal, c: Customer,
        created: datetime, updated: datetime, parent: int | None,
    ) -> None:  # fmt: skip
        self.execute(
            f"""INSERT INTO {PREFIX}wc_orders (id, status, currency, type, tax_amount, total_amount,
                customer_id, billing_email, date_created_gmt, date_updated_gmt, parent_order_id,
                payment_method) VALUES (%s, %s, 'GBP', %s, %s, %s, %s, %s, %s, %s, %s, 'stripe')""",
            (
                id_,
                status,
                type_,
                tax,
                total,
                c.user_id or 0,
                c.email,
                created,
                updated,
                parent or 0,
            ),
        )

    def _item(self, id_: int, order_id: int, name: str, type_: str, meta: dict[str, str]) -> None:
        self.execute(
            f"""INSERT INTO {PREFIX}woocommerce_order_items (order_item_id, order_item_name,
                order_item_type, order_id) VALUES (%s, %s, %s, %s)""",
            (id_, name, type_, order_id),
        )
        self.execute(
            f"""INSERT INTO {PREFIX}woocommerce_order_itemmeta (order_item_id, meta_key, meta_value)
                VALUES (%s, %s, %s)""",
            [(id_, k, v) for k, v in meta.items()],
        )

    def _refund(self, r: Refund) -> None:
        # wc_create_refund: a shop_order_refund child order with a negative total, its amount
        # and reason as order meta.
        customer = Customer(0, None, "", "", "", "", "", None, None, r.created)
        self._order_row(r.id, "wc-completed", "shop_order_refund", D("0"), -r.amount, customer,
                        r.created, r.created, r.order_id)  # fmt: skip
        self.execute(
            f"INSERT INTO {PREFIX}wc_orders_meta (order_id, meta_key, meta_value) "
            "VALUES (%s, %s, %s)",
            [(r.id, "_refund_amount", str(r.amount)), (r.id, "_refund_reason", r.reason),
             (r.id, "_refunded_by", "1")],
        )  # fmt: skip

    def counts(self) -> dict[str, int]:
        p = PREFIX
        real_order = "o.type = 'shop_order' AND o.status NOT IN ('auto-draft', 'wc-checkout-draft')"
        (row,) = self.query(
            f"""SELECT
                (SELECT count(*) FROM {p}wc_customer_lookup),
                (SELECT count(*) FROM {p}wc_orders o WHERE {real_order}),
                (SELECT count(*) FROM {p}woocommerce_order_items i JOIN {p}wc_orders o
                    ON o.id = i.order_id WHERE i.order_item_type = 'line_item' AND {real_order}),
                (SELECT count(*) FROM {p}wc_orders WHERE type = 'shop_order_refund')"""
        )
        return dict(zip(("customers", "orders", "order_lines", "refunds"), row, strict=True))

    def drop(self) -> None:
        self.execute(f"DROP USER IF EXISTS '{self.reader}'@'%'")
        self.execute(f"DROP DATABASE IF EXISTS `{self.database}`")


class PostgresStore(StoreDatabase):
    flavour = "postgres_store"

    def __init__(self, con: Any, schema: str) -> None:
        self.con = con
        self.schema = schema
        self.reader = f"ll_ro_{secrets.token_hex(4)}"
        self.password = f"Pw-{secrets.token_hex(12)}"

    def execute(self, sql: str, params: tuple | None = None) -> None:
        with self.con.cursor() as cur:
            cur.execute(pgsql.SQL(sql).format(s=pgsql.Identifier(self.schema)), params)

    def credentials(self, password: str | None = None, user: str | None = None) -> str:
        return URL.create(
            "postgresql+psycopg2",
            username=user or self.reader,
            password=password or self.password,
            host=POSTGRES["host"],
            port=POSTGRES["port"],
            database=POSTGRES["dbname"],
        ).render_as_string(hide_password=False)

    def settings_env(self, **extra: Any) -> dict[str, str]:
        return super().settings_env(schema=self.schema, **extra)

    def create_schema(self) -> None:
        self.execute("CREATE SCHEMA {s}")
        self.execute(PG_DDL)
        with self.con.cursor() as cur:
            role, schema = pgsql.Identifier(self.reader), pgsql.Identifier(self.schema)
            cur.execute(
                pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    role, pgsql.Literal(self.password)
                )
            )
            cur.execute(pgsql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
            cur.execute(
                pgsql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, role)
            )

    def write(self, step: Step) -> None:
        for c in step.customers:
            self.execute(
                """INSERT INTO {s}.customers (id, email, phone, first_name, last_name, country_code,
                   phone_contact_opt_in, created_at, updated_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (c.id, c.email, c.phone, c.first_name, c.last_name, c.country,
                 {"yes": True, "1": True, "no": False}.get(c.consent or ""),
                 _utc(c.registered or c.last_active), _utc(c.updated_at)),
            )  # fmt: skip
        refunded_at = {r.order_id: r.created for r in step.refunds}
        for o in step.orders:
            # The store's app touches an order when it refunds it.
            updated = max(o.updated, refunded_at.get(o.id, o.updated))
            self.execute(
                """INSERT INTO {s}.orders (id, customer_id, checkout_token, status, payment_status,
                   sales_channel, currency, subtotal, discount_total, shipping_total, tax_total,
                   total, placed_at, updated_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (o.id, o.customer_id, f"chk_{o.id}", o.pg_status, o.pg_payment, o.pg_channel,
                 o.currency.lower(), o.subtotal or o.total, o.discount, o.shipping, o.tax,
                 o.total,
                 _utc(o.created), _utc(updated)),
            )  # fmt: skip
        orders = {o.id: o for o in (*FIRST.orders, *SECOND.orders)}
        for line in step.lines:
            self.execute(
                """INSERT INTO {s}.order_lines (id, order_id, product_id, sku, title, category,
                   quantity, unit_price, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (line.id, line.order_id, str(line.product_id), line.sku, line.title, "accessories",
                 line.qty, abs(line.subtotal / line.qty), _utc(orders[line.order_id].updated)),
            )  # fmt: skip
        for r in step.refunds:
            self._refund(r)
        self.con.commit()

    def _refund(self, r: Refund) -> None:
        self.execute(
            """INSERT INTO {s}.refunds (id, order_id, amount, reason, created_at, updated_at)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (r.id, r.order_id, r.amount, r.reason, _utc(r.created), _utc(r.created)),
        )

    def refund_fully(self, refund: Refund) -> None:
        self._refund(refund)
        self.execute(
            "UPDATE {s}.orders SET payment_status = 'refunded', updated_at = %s WHERE id = %s",
            (_utc(refund.created), refund.order_id),
        )
        self.con.commit()

    def counts(self) -> dict[str, int]:
        with self.con.cursor() as cur:
            result = {}
            for feed in ("customers", "orders", "order_lines", "refunds"):
                cur.execute(
                    pgsql.SQL("SELECT count(*) FROM {}.{}").format(
                        pgsql.Identifier(self.schema), pgsql.Identifier(feed)
                    )
                )
                result[feed] = cur.fetchone()[0]
        return result

    def drop(self) -> None:
        self.con.rollback()
        self.execute("DROP SCHEMA IF EXISTS {s} CASCADE")
        with self.con.cursor() as cur:
            cur.execute(pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(self.reader)))
        self.con.commit()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


@contextmanager
def woocommerce_store() -> Iterator[WooCommerceStore]:
    """A new WooCommerce database on MariaDB, dropped afterwards (with its reader)."""
    try:
        con = pymysql.connect(connect_timeout=3, autocommit=False, **MARIADB)
    except pymysql.err.OperationalError as exc:
        service_unavailable(f"MariaDB on 127.0.0.1:3306 does not answer: {exc}")
    database = f"listenloop_wc_{secrets.token_hex(6)}"
    with con.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    con.select_db(database)
    store = WooCommerceStore(con, database)
    try:
        store.create_schema()
        yield store
    finally:
        store.drop()
        con.close()


@contextmanager
def postgres_store() -> Iterator[PostgresStore]:
    """A new store schema in PostgreSQL's `test` database, dropped afterwards (with its reader)."""
    try:
        con = psycopg2.connect(connect_timeout=3, **POSTGRES)
    except psycopg2.OperationalError as exc:
        service_unavailable(f"PostgreSQL on 127.0.0.1:5432 does not answer: {exc}".strip())
    store = PostgresStore(con, f"listenloop_pg_{secrets.token_hex(6)}")
    try:
        store.create_schema()
        con.commit()
        yield store
    finally:
        store.drop()
        con.close()


@contextmanager
def store_database(flavour: str) -> Iterator[StoreDatabase]:
    opened = woocommerce_store() if flavour == "woocommerce" else postgres_store()
    with opened as store:
        yield store


# WooCommerce's own CREATE TABLE statements (HPOS: OrdersTableDataStore::get_database_schema;
# the rest: WC_Install::get_schema; wp_usermeta: WordPress's schema), trimmed to the columns
# and keys a store reader meets.
WOO_DDL = (
    """CREATE TABLE {p}wc_orders (
        id bigint(20) unsigned,
        status varchar(20) null,
        currency varchar(10) null,
        type varchar(20) null,
        tax_amount decimal(26,8) null,
        total_amount decimal(26,8) null,
        customer_id bigint(20) unsigned null,
        billing_email varchar(320) null,
        date_created_gmt datetime null,
        date_updated_gmt datetime null,
        parent_order_id bigint(20) unsigned null,
        payment_method varchar(100) null,
        payment_method_title text null,
        transaction_id varchar(100) null,
        customer_note text null,
        PRIMARY KEY (id),
        KEY status (status),
        KEY date_created (date_created_gmt),
        KEY customer_id_billing_email (customer_id, billing_email(171)),
        KEY billing_email (billing_email(191)),
        KEY type_status_date (type, status, date_created_gmt),
        KEY parent_order_id (parent_order_id),
        KEY date_updated (date_updated_gmt)
    )""",
    """CREATE TABLE {p}wc_order_addresses (
        id bigint(20) unsigned auto_increment primary key,
        order_id bigint(20) unsigned NOT NULL,
        address_type varchar(20) null,
        first_name text null,
        last_name text null,
        company text null,
        address_1 text null,
        city text null,
        postcode text null,
        country text null,
        email varchar(320) null,
        phone varchar(100) null,
        KEY order_id (order_id),
        UNIQUE KEY address_type_order_id (address_type, order_id),
        KEY email (email(191)),
        KEY phone (phone)
    )""",
    """CREATE TABLE {p}wc_order_operational_data (
        id bigint(20) unsigned auto_increment primary key,
        order_id bigint(20) unsigned NULL,
        created_via varchar(100) NULL,
        woocommerce_version varchar(20) NULL,
        prices_include_tax tinyint(1) NULL,
        cart_hash varchar(100) NULL,
        order_key varchar(100) NULL,
        date_paid_gmt datetime NULL,
        date_completed_gmt datetime NULL,
        shipping_tax_amount decimal(26,8) NULL,
        shipping_total_amount decimal(26,8) NULL,
        discount_tax_amount decimal(26,8) NULL,
        discount_total_amount decimal(26,8) NULL,
        UNIQUE KEY order_id (order_id),
        KEY order_key (order_key)
    )""",
    """CREATE TABLE {p}wc_orders_meta (
        id bigint(20) unsigned auto_increment primary key,
        order_id bigint(20) unsigned null,
        meta_key varchar(255),
        meta_value text null,
        KEY meta_key_value (meta_key(100), meta_value(82)),
        KEY order_id_meta_key_meta_value (order_id, meta_key(100), meta_value(82))
    )""",
    """CREATE TABLE {p}woocommerce_order_items (
        order_item_id BIGINT UNSIGNED NOT NULL auto_increment,
        order_item_name TEXT NOT NULL,
        order_item_type varchar(200) NOT NULL DEFAULT '',
        order_id BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (order_item_id),
        KEY order_id (order_id)
    )""",
    """CREATE TABLE {p}woocommerce_order_itemmeta (
        meta_id BIGINT UNSIGNED NOT NULL auto_increment,
        order_item_id BIGINT UNSIGNED NOT NULL,
        meta_key varchar(255) default NULL,
        meta_value longtext NULL,
        PRIMARY KEY (meta_id),
        KEY order_item_id (order_item_id),
        KEY meta_key (meta_key(32))
    )""",
    """CREATE TABLE {p}wc_product_meta_lookup (
        product_id bigint(20) NOT NULL,
        sku varchar(100) NULL default '',
        min_price decimal(19,4) NULL default NULL,
        max_price decimal(19,4) NULL default NULL,
        stock_status varchar(100) NULL default 'instock',
        PRIMARY KEY (product_id),
        KEY sku (sku(50))
    )""",
    """CREATE TABLE {p}wc_customer_lookup (
        customer_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
        user_id BIGINT UNSIGNED DEFAULT NULL,
        username varchar(60) DEFAULT '' NOT NULL,
        first_name varchar(255) NOT NULL,
        last_name varchar(255) NOT NULL,
        email varchar(100) NULL default NULL,
        date_last_active timestamp NULL default null,
        date_registered timestamp NULL default null,
        country char(2) DEFAULT '' NOT NULL,
        postcode varchar(20) DEFAULT '' NOT NULL,
        city varchar(100) DEFAULT '' NOT NULL,
        state varchar(100) DEFAULT '' NOT NULL,
        PRIMARY KEY (customer_id),
        UNIQUE KEY user_id (user_id),
        KEY email (email)
    )""",
    """CREATE TABLE {p}usermeta (
        umeta_id bigint(20) unsigned NOT NULL auto_increment,
        user_id bigint(20) unsigned NOT NULL default '0',
        meta_key varchar(255) default NULL,
        meta_value longtext,
        PRIMARY KEY (umeta_id),
        KEY user_id (user_id),
        KEY meta_key (meta_key(191))
    )""",
)

PG_DDL = """
CREATE TABLE {s}.customers (
    id bigint PRIMARY KEY,
    email text,
    phone text,
    first_name text,
    last_name text,
    country_code text,
    phone_contact_opt_in boolean,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.orders (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES {s}.customers (id),
    checkout_token text,
    status text NOT NULL,
    payment_status text NOT NULL,
    sales_channel text,
    currency char(3) NOT NULL,
    subtotal numeric(12, 2) NOT NULL,
    discount_total numeric(12, 2) NOT NULL DEFAULT 0,
    shipping_total numeric(12, 2) NOT NULL DEFAULT 0,
    tax_total numeric(12, 2) NOT NULL DEFAULT 0,
    total numeric(12, 2) NOT NULL,
    placed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.order_lines (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES {s}.orders (id),
    product_id text,
    sku text,
    title text,
    category text,
    quantity integer NOT NULL,
    unit_price numeric(12, 2),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.refunds (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES {s}.orders (id),
    amount numeric(12, 2) NOT NULL,
    reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON {s}.customers (updated_at);
CREATE INDEX ON {s}.orders (updated_at);
CREATE INDEX ON {s}.order_lines (updated_at);
CREATE INDEX ON {s}.refunds (updated_at);
"""
