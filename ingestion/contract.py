"""The feeds contract: one declaration per feed, shared by ingestion, the generator and the docs.

docs/data-contract.md is the prose version of this module; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a raw value is parsed. Every kind lands in DuckDB with the type in `RAW_SQL_TYPES`."""

    TEXT = "text"
    TIMESTAMP = "timestamp"  # ISO-8601; no offset means UTC; stored as naive UTC
    MONEY = "money"  # decimal in the row's currency
    INTEGER = "integer"
    BOOLEAN = "boolean"  # true/false, also 1/0 and yes/no
    TAG_LIST = "tag_list"  # CSV: 'a;b'; JSONL/Parquet: a list. Stored as 'a;b' text.


RAW_SQL_TYPES: dict[Kind, str] = {
    Kind.TEXT: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.MONEY: "DECIMAL(18,4)",
    Kind.INTEGER: "BIGINT",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.TAG_LIST: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    enum: tuple[str, ...] | None = None
    min_value: float | None = None  # inclusive lower bound for numbers
    max_value: float | None = None  # inclusive upper bound for numbers
    description: str = ""


@dataclass(frozen=True)
class Feed:
    name: str
    primary_key: str
    dated_by: str  # the timestamp that dates the record
    columns: tuple[Column, ...]
    description: str
    # Feeds with an updated_at keep one raw row per (key, updated_at): a version history that lets
    # a past day's call list be rebuilt exactly. The others keep one row per key, last file wins.
    version_column: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def merge_key(self) -> tuple[str, ...]:
        if self.version_column:
            return (self.primary_key, self.version_column)
        return (self.primary_key,)


FINANCIAL_STATUSES = ("paid", "pending", "partially_refunded", "refunded", "voided")
ORDER_CHANNELS = ("web", "app", "phone")
CALL_DIRECTIONS = ("outbound", "inbound")
DISPOSITIONS = (
    "connected",
    "no_answer",
    "voicemail",
    "busy",
    "wrong_number",
    "failed",
    "abandoned",
)
OUTCOMES = (
    "order_placed",
    "will_buy_later",
    "not_interested",
    "issue_resolved",
    "escalated",
    "callback_requested",
    "none",
)
SURVEY_CHANNELS = ("call", "email", "sms", "web")
SEGMENTS = ("cart_abandoner", "service_followup", "returner", "first_purchase", "one_time_buyer")
CONCERN_TAGS = (
    "price",
    "shipping_cost",
    "delivery_time",
    "return_policy",
    "sizing_fit",
    "product_quality",
    "product_questions",
    "payment_trust",
    "checkout_technical",
    "just_browsing",
    "other",
)

_ts = Kind.TIMESTAMP
_money = Kind.MONEY
_int = Kind.INTEGER

FEEDS: tuple[Feed, ...] = (
    Feed(
        name="customers",
        primary_key="customer_id",
        dated_by="created_at",
        version_column="updated_at",
        description="People who bought or registered, with their contact consent.",
        columns=(
            Column("customer_id", required=True),
            Column("email"),
            Column("phone", description="As typed; staging normalises it to E.164."),
            Column("first_name"),
            Column("last_name"),
            Column("country", description="ISO-3166 alpha-2; decides how a national phone reads."),
            Column("created_at", _ts, required=True),
            Column("updated_at", _ts, description="Defaults to created_at when empty."),
            Column("accepts_phone_contact", Kind.BOOLEAN, description="false = do not call."),
        ),
    ),
    Feed(
        name="orders",
        primary_key="order_id",
        dated_by="created_at",
        version_column="updated_at",
        description="Store orders; a later version supersedes an earlier one.",
        columns=(
            Column("order_id", required=True),
            Column("customer_id"),
            Column("checkout_id", description="The checkout this order completed, if any."),
            Column("created_at", _ts, required=True),
            Column("updated_at", _ts, description="Defaults to created_at when empty."),
            Column("currency"),
            Column("subtotal", _money, min_value=0),
            Column("discount", _money, min_value=0),
            Column("shipping", _money, min_value=0),
            Column("tax", _money, min_value=0),
            Column("total", _money, min_value=0),
            Column("financial_status", enum=FINANCIAL_STATUSES),
            Column("channel", enum=ORDER_CHANNELS),
        ),
    ),
    Feed(
        name="order_lines",
        primary_key="line_id",
        dated_by="",  # lines are dated by their order
        description="One row per product on an order.",
        columns=(
            Column("line_id", required=True),
            Column("order_id", required=True),
            Column("product_id"),
            Column("sku"),
            Column("title"),
            Column("category"),
            Column("quantity", _int, min_value=0),
            Column("unit_price", _money, min_value=0),
        ),
    ),
    Feed(
        name="refunds",
        primary_key="refund_id",
        dated_by="created_at",
        description="Money returned against an order.",
        columns=(
            Column("refund_id", required=True),
            Column("order_id", required=True),
            Column("created_at", _ts, required=True),
            Column("amount", _money, min_value=0),
            Column("reason", description="Free text."),
        ),
    ),
    Feed(
        name="checkouts",
        primary_key="checkout_id",
        dated_by="created_at",
        version_column="updated_at",
        description="Started checkouts; abandoned when not completed within an hour of updated_at.",
        columns=(
            Column("checkout_id", required=True),
            Column("customer_id"),
            Column("email"),
            Column("phone"),
            Column("created_at", _ts, required=True),
            Column("updated_at", _ts, description="Defaults to created_at when empty."),
            Column("completed_at", _ts, description="Empty while not completed."),
            Column("total", _money, min_value=0),
            Column("currency"),
            Column("items_count", _int, min_value=0),
        ),
    ),
    Feed(
        name="calls",
        primary_key="call_id",
        dated_by="started_at",
        description="Every inbound and outbound call, with what was said.",
        columns=(
            Column("call_id", required=True),
            Column("customer_id"),
            Column("phone"),
            Column("direction", enum=CALL_DIRECTIONS),
            Column("agent_id", description="Empty for calls no agent took."),
            Column("campaign", description="The segment behind an outbound call."),
            Column("started_at", _ts, required=True),
            Column("answered_at", _ts, description="Empty if never answered."),
            Column("ended_at", _ts),
            Column("disposition", enum=DISPOSITIONS),
            Column("talk_seconds", _int, min_value=0),
            Column("hold_seconds", _int, min_value=0),
            Column("wrap_seconds", _int, min_value=0),
            Column("outcome", enum=OUTCOMES),
            Column("concern_tags", Kind.TAG_LIST, description="Vocabulary in CONCERN_TAGS."),
            Column("notes", description="The customer's own words."),
            Column("resolved_first_contact", Kind.BOOLEAN),
        ),
    ),
    Feed(
        name="surveys",
        primary_key="survey_id",
        dated_by="submitted_at",
        description="NPS, CSAT and CES answers from any channel.",
        columns=(
            Column("survey_id", required=True),
            Column("customer_id"),
            Column("call_id"),
            Column("order_id"),
            Column("channel", enum=SURVEY_CHANNELS),
            Column("submitted_at", _ts, required=True),
            Column("nps", _int, min_value=0, max_value=10),
            Column("csat", _int, min_value=1, max_value=5),
            Column("ces", _int, min_value=1, max_value=7),
            Column("comment"),
        ),
    ),
)

FEEDS_BY_NAME: dict[str, Feed] = {f.name: f for f in FEEDS}

# Every raw table carries where each row came from, so a quarantine or an audit can point at it.
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"  # 1-based record number in the file, header excluded

RAW_DATASET = "raw"
QUARANTINE_TABLE = "quarantine"
FILE_LOG_TABLE = "ingested_files"
FILE_SUFFIXES = (".csv", ".jsonl", ".parquet")
