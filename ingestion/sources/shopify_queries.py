"""The Shopify Admin GraphQL queries the connector sends, what they cost, and how their nodes map
to the feeds contract.

Query cost follows Shopify's published rules (an object costs 1, a scalar or enum 0, a
connection 2 plus `first` times the cost of one node). Shopify refuses a query whose *requested*
cost exceeds the single-query limit (1000), so each query knows the cost of one node and the
connector sizes `first` to stay under the limit. docs/connectors/shopify.md has the mapping tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ingestion.contract import FEEDS_BY_NAME
from ingestion.sources.cursor import iso_utc

MAX_FIRST = 250  # Shopify's largest page for any connection

_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_MONEY = "shopMoney { amount currencyCode }"
_LINE_ITEM_FIELDS = (
    f"id sku title quantity product {{ id productType }} originalUnitPriceSet {{ {_MONEY} }}"
)
_REFUND_FIELDS = f"id createdAt note totalRefundedSet {{ {_MONEY} }}"
_ROOT_ARGS = "first: $first, after: $after, query: $query"
_ROOT_VARS = "$first: Int!, $after: String, $query: String"


@dataclass(frozen=True)
class ListQuery:
    """A query paging through one root connection, possibly with one nested connection per node.

    `node_cost` is the requested cost of one node without its nested connection;
    `nested_item_cost` that of one nested item (0 when there is no nested connection).
    """

    root: str
    text: str
    node_cost: int
    nested_item_cost: int = 0

    def sizes(self, page_size: int, nested_size: int, max_cost: int) -> tuple[int, int]:
        """(first, nested first) as large as asked but within `max_cost` and Shopify's 250."""
        nested = min(nested_size, MAX_FIRST) if self.nested_item_cost else 0
        if self.nested_item_cost:
            # One node alone must fit: shrink the nested page before the root page.
            room = max_cost - 2 - self.node_cost - 2
            nested = max(1, min(nested, room // self.nested_item_cost))
        per_node = self.node_cost + (2 + nested * self.nested_item_cost if nested else 0)
        first = max(1, min(page_size, MAX_FIRST, (max_cost - 2) // per_node))
        return first, nested


@dataclass(frozen=True)
class NestedQuery:
    """A follow-up query for the rest of one node's nested connection (`node(id:)`)."""

    text: str
    item_cost: int

    def size(self, wanted: int, max_cost: int) -> int:
        # node (1) + connection (2) + first * item
        return max(1, min(wanted, MAX_FIRST, (max_cost - 3) // self.item_cost))


CUSTOMERS = ListQuery(
    root="customers",
    text=f"""query ListenLoopCustomers({_ROOT_VARS}) {{
  customers({_ROOT_ARGS}, sortKey: UPDATED_AT) {{
    {_PAGE_INFO}
    nodes {{
      id firstName lastName createdAt updatedAt
      defaultEmailAddress {{ emailAddress }}
      defaultPhoneNumber {{ phoneNumber marketingState }}
      defaultAddress {{ countryCodeV2 }}
    }}
  }}
}}""",
    node_cost=4,
)

ORDERS = ListQuery(
    root="orders",
    text=f"""query ListenLoopOrders({_ROOT_VARS}) {{
  orders({_ROOT_ARGS}, sortKey: UPDATED_AT) {{
    {_PAGE_INFO}
    nodes {{
      id createdAt updatedAt displayFinancialStatus sourceName
      customer {{ id }}
      app {{ name }}
      subtotalPriceSet {{ {_MONEY} }}
      totalDiscountsSet {{ {_MONEY} }}
      totalShippingPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }}
      totalPriceSet {{ {_MONEY} }}
    }}
  }}
}}""",
    node_cost=13,
)

# order_lines and refunds run their own orders query, asking only for what they need, so each
# keeps its own cursor and Dagster may run any subset of the feeds.
ORDER_LINES = ListQuery(
    root="orders",
    text=f"""query ListenLoopOrderLines({_ROOT_VARS}, $nested: Int!) {{
  orders({_ROOT_ARGS}, sortKey: UPDATED_AT) {{
    {_PAGE_INFO}
    nodes {{
      id updatedAt
      lineItems(first: $nested) {{ {_PAGE_INFO} nodes {{ {_LINE_ITEM_FIELDS} }} }}
    }}
  }}
}}""",
    node_cost=1,
    nested_item_cost=4,
)

MORE_ORDER_LINES = NestedQuery(
    text=f"""query ListenLoopMoreOrderLines($id: ID!, $first: Int!, $after: String) {{
  node(id: $id) {{
    ... on Order {{
      lineItems(first: $first, after: $after) {{ {_PAGE_INFO} nodes {{ {_LINE_ITEM_FIELDS} }} }}
    }}
  }}
}}""",
    item_cost=4,
)

# Order.refunds is a plain list with a `first` argument, not a connection: a full list is
# fetched again with the largest `first` (see shopify.py).
REFUNDS = ListQuery(
    root="orders",
    text=f"""query ListenLoopRefunds({_ROOT_VARS}, $nested: Int!) {{
  orders({_ROOT_ARGS}, sortKey: UPDATED_AT) {{
    {_PAGE_INFO}
    nodes {{
      id updatedAt
      refunds(first: $nested) {{ {_REFUND_FIELDS} }}
    }}
  }}
}}""",
    node_cost=1,
    nested_item_cost=3,
)

ALL_REFUNDS = NestedQuery(
    text=f"""query ListenLoopAllRefunds($id: ID!, $first: Int!) {{
  node(id: $id) {{
    ... on Order {{
      refunds(first: $first) {{ {_REFUND_FIELDS} }}
    }}
  }}
}}""",
    item_cost=3,
)

# abandonedCheckouts has no UPDATED_AT sort key: pages are in id order, filtered on updated_at.
CHECKOUTS = ListQuery(
    root="abandonedCheckouts",
    text=f"""query ListenLoopCheckouts({_ROOT_VARS}, $nested: Int!) {{
  abandonedCheckouts({_ROOT_ARGS}, sortKey: ID) {{
    {_PAGE_INFO}
    nodes {{
      id createdAt updatedAt completedAt
      customer {{ id defaultEmailAddress {{ emailAddress }} }}
      shippingAddress {{ phone }}
      billingAddress {{ phone }}
      totalPriceSet {{ {_MONEY} }}
      lineItems(first: $nested) {{ {_PAGE_INFO} nodes {{ quantity }} }}
    }}
  }}
}}""",
    node_cost=7,
    nested_item_cost=1,
)

MORE_CHECKOUT_LINES = NestedQuery(
    text=f"""query ListenLoopMoreCheckoutLines($id: ID!, $first: Int!, $after: String) {{
  node(id: $id) {{
    ... on AbandonedCheckout {{
      lineItems(first: $first, after: $after) {{ {_PAGE_INFO} nodes {{ quantity }} }}
    }}
  }}
}}""",
    item_cost=1,
)


# ---- vendor values -> contract values (the tables in docs/connectors/shopify.md) ----

FINANCIAL_STATUS = {
    "PAID": "paid",
    "PENDING": "pending",
    "PARTIALLY_REFUNDED": "partially_refunded",
    "REFUNDED": "refunded",
    "VOIDED": "voided",
    # Shopify's extra states: money authorised or part-paid is not yet collected, and an
    # authorisation that expired uncaptured never will be.
    "AUTHORIZED": "pending",
    "PARTIALLY_PAID": "pending",
    "EXPIRED": "voided",
}

# Order.sourceName: Shopify's own channels; apps that create orders put their own id there.
CHANNEL_BY_SOURCE = {
    "web": "web",
    "iphone": "app",
    "android": "app",
    "shopify_draft_order": "phone",
}
# Order.app.name, used when sourceName is an app's own id.
CHANNEL_BY_APP = {
    "online store": "web",
    "shop": "app",
    "draft orders": "phone",
}

# Customer.defaultPhoneNumber.marketingState -> accepts_phone_contact. Only an explicit opt-out
# (or a redacted customer) means "do not call"; never having subscribed says nothing either way.
PHONE_CONSENT = {
    "SUBSCRIBED": "true",
    "UNSUBSCRIBED": "false",
    "REDACTED": "false",
    "NOT_SUBSCRIBED": None,
    "PENDING": None,
}

# The fields each record type asks for: anything else on a node is an unexpected field.
CUSTOMER_FIELDS = frozenset(
    {
        "id",
        "firstName",
        "lastName",
        "createdAt",
        "updatedAt",
        "defaultEmailAddress",
        "defaultPhoneNumber",
        "defaultAddress",
    }
)
ORDER_FIELDS = frozenset(
    {
        "id",
        "createdAt",
        "updatedAt",
        "displayFinancialStatus",
        "sourceName",
        "customer",
        "app",
        "subtotalPriceSet",
        "totalDiscountsSet",
        "totalShippingPriceSet",
        "totalTaxSet",
        "totalPriceSet",
    }
)
LINE_ITEM_FIELDS = frozenset({"id", "sku", "title", "quantity", "product", "originalUnitPriceSet"})
REFUND_FIELDS = frozenset({"id", "createdAt", "note", "totalRefundedSet"})
CHECKOUT_FIELDS = frozenset(
    {
        "id",
        "createdAt",
        "updatedAt",
        "completedAt",
        "customer",
        "shippingAddress",
        "billingAddress",
        "totalPriceSet",
        "lineItems",
    }
)


def legacy_id(gid: str | None) -> str | None:
    """`gid://shopify/Order/450789469` -> `450789469`: the id the store and its exports use."""
    if not gid:
        return None
    if gid.startswith("gid://shopify/"):
        return gid.split("?", 1)[0].rsplit("/", 1)[1]
    return gid


def customer_record(node: dict[str, Any]) -> dict[str, Any]:
    phone = node.get("defaultPhoneNumber") or {}
    return {
        "customer_id": legacy_id(node.get("id")),
        "email": _get(node, "defaultEmailAddress", "emailAddress"),
        "phone": phone.get("phoneNumber"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "country": _get(node, "defaultAddress", "countryCodeV2"),
        "created_at": iso_utc(node.get("createdAt")),
        "updated_at": iso_utc(node.get("updatedAt")),
        "accepts_phone_contact": PHONE_CONSENT.get(phone.get("marketingState") or ""),
        **unexpected_fields(node, CUSTOMER_FIELDS, "customers"),
    }


def order_record(node: dict[str, Any]) -> dict[str, Any]:
    status = node.get("displayFinancialStatus")
    return {
        "order_id": legacy_id(node.get("id")),
        "customer_id": legacy_id(_get(node, "customer", "id")),
        # Order.checkoutToken (2026-07+) names the checkout by a token that AbandonedCheckout
        # does not expose, so it cannot be matched to checkouts.checkout_id: left empty.
        "checkout_id": None,
        "created_at": iso_utc(node.get("createdAt")),
        "updated_at": iso_utc(node.get("updatedAt")),
        "currency": _get(node, "totalPriceSet", "shopMoney", "currencyCode"),
        # Shopify's subtotal is after discounts; the contract's is before them.
        "subtotal": _sum(_money(node, "subtotalPriceSet"), _money(node, "totalDiscountsSet")),
        "discount": _money(node, "totalDiscountsSet"),
        "shipping": _money(node, "totalShippingPriceSet"),
        "tax": _money(node, "totalTaxSet"),
        "total": _money(node, "totalPriceSet"),
        # An unknown future status lands as is and is quarantined as not_in_enum: visible.
        "financial_status": FINANCIAL_STATUS.get(status, status.lower()) if status else None,
        "channel": order_channel(node.get("sourceName"), _get(node, "app", "name")),
        **unexpected_fields(node, ORDER_FIELDS, "orders"),
    }


def order_channel(source_name: str | None, app_name: str | None) -> str | None:
    if source_name and source_name.lower() in CHANNEL_BY_SOURCE:
        return CHANNEL_BY_SOURCE[source_name.lower()]
    if app_name and app_name.lower() in CHANNEL_BY_APP:
        return CHANNEL_BY_APP[app_name.lower()]
    return None


def line_record(order_id: str | None, node: dict[str, Any]) -> dict[str, Any]:
    return {
        "line_id": legacy_id(node.get("id")),
        "order_id": order_id,
        "product_id": legacy_id(_get(node, "product", "id")),
        "sku": node.get("sku") or None,
        "title": node.get("title"),
        "category": _get(node, "product", "productType") or None,
        "quantity": node.get("quantity"),
        "unit_price": _money(node, "originalUnitPriceSet"),
        **unexpected_fields(node, LINE_ITEM_FIELDS, "order_lines"),
    }


def refund_record(order_id: str | None, node: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_id": legacy_id(node.get("id")),
        "order_id": order_id,
        "created_at": iso_utc(node.get("createdAt")),
        "amount": _money(node, "totalRefundedSet"),
        "reason": node.get("note") or None,
        **unexpected_fields(node, REFUND_FIELDS, "refunds"),
    }


def checkout_record(node: dict[str, Any], quantities: list[int | None]) -> dict[str, Any]:
    """`quantities`: every line's quantity, all pages of lineItems included."""
    known = [q for q in quantities if q is not None]
    return {
        "checkout_id": legacy_id(node.get("id")),
        "customer_id": legacy_id(_get(node, "customer", "id")),
        # AbandonedCheckout has no email field: the email is its customer's.
        "email": _get(node, "customer", "defaultEmailAddress", "emailAddress"),
        "phone": _get(node, "shippingAddress", "phone") or _get(node, "billingAddress", "phone"),
        "created_at": iso_utc(node.get("createdAt")),
        "updated_at": iso_utc(node.get("updatedAt")),
        "completed_at": iso_utc(node.get("completedAt")),
        "total": _money(node, "totalPriceSet"),
        "currency": _get(node, "totalPriceSet", "shopMoney", "currencyCode"),
        "items_count": sum(known) if known else None,
        **unexpected_fields(node, CHECKOUT_FIELDS, "checkouts"),
    }


def unexpected_fields(node: dict[str, Any], asked: frozenset[str], feed: str) -> dict[str, Any]:
    """Fields on a node that the query did not ask for, as snake_case extra columns.

    They are kept and reported (raw.ingested_files.extra_columns), never an error, exactly as a
    file's extra columns are. A name that would shadow a contract column gets a prefix.
    """
    columns = set(FEEDS_BY_NAME[feed].column_names)
    extras: dict[str, Any] = {}
    for name, value in node.items():
        if name in asked:
            continue
        column = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        extras[f"shopify_{column}" if column in columns else column] = value
    return extras


def _get(node: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _money(node: dict[str, Any], money_bag: str) -> str | None:
    amount = _get(node, money_bag, "shopMoney", "amount")
    return None if amount is None else str(amount)


def _sum(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a
    try:
        return str(Decimal(a) + Decimal(b))
    except InvalidOperation:
        return a  # validation quarantines the unparsable value with its reason
