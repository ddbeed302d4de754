"""A fake Shopify Admin GraphQL API on 127.0.0.1, for the connector tests and the end-to-end test.

It answers the queries the connector sends (`customers`, `orders`, `abandonedCheckouts` and
`node(id:)`), projecting its records onto the selection set it was sent, with Shopify's response
shapes: `data` / `pageInfo { hasNextPage endCursor }` / `extensions.cost` with `throttleStatus`,
a THROTTLED error (HTTP 200) when the cost bucket is short, 401 without the access token, and
429 / 500 when told to. It parses just enough GraphQL (fields, arguments, variables, inline
fragments) and filters on the `updated_at:>='...'` search syntax; it is not a GraphQL engine.

Response shapes follow the examples published on shopify.dev (the GraphQL Admin API reference
for Customer, Order, LineItem, Refund and AbandonedCheckout, and the "API rate limits" page for
`extensions.cost` and the THROTTLED error). No third-party fixture is copied.

The store is built from contract-shaped rows (`ShopifyFake.from_feed_rows`): the same dicts the
files feeds carry, keyed by contract column names, text values. Each record keeps only its
newest version (the API shows current state only); `apply_feed_rows` moves the store forward,
so a test can replay a history day by day. What Shopify cannot represent is dropped on the way,
as listed in docs/connectors/shopify.md.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TOKEN = "shpat_fake_0123456789abcdef0123456789abcdef"
MAX_FIRST = 250
SINGLE_QUERY_MAX_COST = 1000

FEEDS = ("customers", "orders", "order_lines", "refunds", "checkouts")

# contract value -> Shopify value (the connector maps them back; see docs/connectors/shopify.md)
_CONSENT = {True: "SUBSCRIBED", False: "UNSUBSCRIBED", None: "NOT_SUBSCRIBED"}
_SOURCE_NAME = {"web": "web", "app": "iphone", "phone": "shopify_draft_order"}
_APP_NAME = {"web": "Online Store", "app": "Shop", "phone": "Draft Orders"}


# ---------------------------------------------------------------- the request log


@dataclass
class Request:
    """One request as the fake saw it."""

    at: float  # time.monotonic() when it arrived
    status: int = 200
    api_version: str | None = None
    root: str | None = None  # the top-level field: customers, orders, abandonedCheckouts, node
    operation: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    search: str | None = None  # the root's `query:` argument (the updated_at filter)
    first: int | None = None
    after: str | None = None
    sort_key: str | None = None
    node_id: str | None = None
    nodes: int = 0  # root nodes answered
    error_code: str | None = None  # THROTTLED, MAX_COST_EXCEEDED, ... for GraphQL errors
    requested_cost: int | None = None
    available_before: float | None = None
    restore_rate: float | None = None
    answered_at: float | None = None

    @property
    def throttled(self) -> bool:
        return self.error_code == "THROTTLED"


# ---------------------------------------------------------------- a little GraphQL


@dataclass
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Field | Fragment] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Fragment:
    type_condition: str
    selections: list[Field | Fragment]


@dataclass(frozen=True)
class _Var:
    name: str


class GraphQLError(Exception):
    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


_TOKEN = re.compile(
    r"""(?P<skip>[\s,]+|\#[^\n]*)
      | (?P<spread>\.\.\.)
      | (?P<punct>[{}():\[\]!=$@])
      | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")""",
    re.VERBOSE,
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise GraphQLError(f"syntax error at character {pos}", "PARSE_ERROR")
            pos = match.end()
            if match.lastgroup != "skip":
                self.tokens.append((match.lastgroup or "", match.group()))
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        if self.i >= len(self.tokens):
            raise GraphQLError("unexpected end of query", "PARSE_ERROR")
        value = self.tokens[self.i][1]
        if expected is not None and value != expected:
            raise GraphQLError(f"expected {expected!r}, found {value!r}", "PARSE_ERROR")
        self.i += 1
        return value

    def document(self) -> tuple[str | None, list[Field | Fragment]]:
        name = None
        if self.peek() in ("query", "mutation"):
            self.take()
            if self.peek() not in ("(", "{"):
                name = self.take()
            if self.peek() == "(":  # variable definitions: their values come with the request
                depth = 0
                while True:
                    token = self.take()
                    depth += token == "("
                    depth -= token == ")"
                    if depth == 0:
                        break
        return name, self.selection_set()

    def selection_set(self) -> list[Field | Fragment]:
        self.take("{")
        selections: list[Field | Fragment] = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take()
                self.take("on")
                type_condition = self.take()
                selections.append(Fragment(type_condition, self.selection_set()))
                continue
            name = self.take()
            alias = None
            if self.peek() == ":":
                self.take()
                alias, name = name, self.take()
            args = self.arguments() if self.peek() == "(" else {}
            subs = self.selection_set() if self.peek() == "{" else []
            selections.append(Field(name, alias, args, subs))
        self.take("}")
        return selections

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args = {}
        while self.peek() != ")":
            name = self.take()
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def value(self) -> Any:
        kind, token = self.tokens[self.i]
        if token == "$":
            self.take()
            return _Var(self.take())
        if token == "[":
            self.take()
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            self.take()
            obj = {}
            while self.peek() != "}":
                key = self.take()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.take()
        if kind == "string":
            return json.loads(token)
        if kind == "number":
            return float(token) if "." in token else int(token)
        return {"true": True, "false": False, "null": None}.get(token, token)  # enums as text


def _bind(args: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    def bound(value: Any) -> Any:
        if isinstance(value, _Var):
            return variables.get(value.name)
        if isinstance(value, list):
            return [bound(v) for v in value]
        if isinstance(value, dict):
            return {k: bound(v) for k, v in value.items()}
        return value

    return {k: bound(v) for k, v in args.items()}


def requested_cost(selections: list[Field | Fragment], variables: dict[str, Any]) -> int:
    """Shopify's published rules: object 1, scalar 0, connection (or list) with `first`
    2 + first x the cost of one node."""
    total = 0
    for selection in selections:
        if isinstance(selection, Fragment):
            total += requested_cost(selection.selections, variables)
            continue
        if not selection.selections:
            continue
        first = _bind(selection.args, variables).get("first")
        if first is None:
            total += 1 + requested_cost(selection.selections, variables)
            continue
        node = next(
            (s for s in selection.selections if isinstance(s, Field) and s.name == "nodes"), None
        )
        per_node = 1 + requested_cost(node.selections if node else selection.selections, variables)
        total += 2 + int(first) * per_node
    return total


def _actual_cost(value: Any, top: bool = True) -> int:
    """What the answer really held: 1 per object returned (Shopify refunds the difference)."""
    if isinstance(value, list):
        return sum(_actual_cost(v, False) for v in value)
    if isinstance(value, dict):
        return (0 if top else 1) + sum(_actual_cost(v, False) for v in value.values())
    return 0


# ---------------------------------------------------------------- values


def gid(kind: str, legacy_id: str) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def _legacy(gid_text: str) -> tuple[str, str]:
    match = re.fullmatch(r"gid://shopify/([A-Za-z]+)/(.+)", gid_text or "")
    if not match:
        raise GraphQLError(f"Invalid global id '{gid_text}'", "BAD_USER_INPUT")
    return match.group(1), match.group(2)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def shopify_time(value: Any) -> str | None:
    """A contract timestamp (any ISO-8601 form; no offset means UTC) as a Shopify DateTime."""
    text = _text(value)
    if text is None:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _boolean(value: Any) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    return text.lower() in ("true", "1", "yes")


def _integer(value: Any) -> Any:
    text = _text(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _money(amount: Any, currency: Any) -> dict[str, Any] | None:
    amount, currency = _text(amount), _text(currency)
    if amount is None and currency is None:
        return None
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def _minus(a: Any, b: Any) -> str | None:
    a, b = _text(a), _text(b)
    if a is None or b is None:
        return a
    try:
        return str(Decimal(a) - Decimal(b))
    except InvalidOperation:
        return a


def _encode_cursor(key: tuple[str, ...]) -> str:
    return base64.b64encode(json.dumps(list(key)).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, ...]:
    try:
        return tuple(json.loads(base64.b64decode(cursor)))
    except (ValueError, TypeError):
        raise GraphQLError(f"Invalid cursor '{cursor}'", "BAD_USER_INPUT") from None


def paginate(
    items: list[dict[str, Any]],
    key: Callable[[dict[str, Any]], tuple[str, ...]],
    first: Any,
    after: str | None,
    cap: int = MAX_FIRST,
) -> dict[str, Any]:
    """A connection page: `first` items after the cursor, in `key` order."""
    if first is None:
        raise GraphQLError("you must provide one of first or last", "BAD_USER_INPUT")
    if not 0 < int(first) <= MAX_FIRST:
        raise GraphQLError(f"first must be between 1 and {MAX_FIRST}", "BAD_USER_INPUT")
    ordered = sorted(items, key=key)
    if after:
        start = _decode_cursor(after)
        ordered = [i for i in ordered if key(i) > start]
    page = ordered[: min(int(first), cap)]
    return {
        "pageInfo": {
            "hasNextPage": len(ordered) > len(page),
            "endCursor": _encode_cursor(key(page[-1])) if page else None,
        },
        "nodes": page,
        "edges": [{"cursor": _encode_cursor(key(i)), "node": i} for i in page],
    }


_FILTER = re.compile(r"^\s*updated_at:(>=|<=|>|<)'?([^'\s]+)'?\s*$")


def _search(query: str | None) -> Callable[[dict[str, Any]], bool]:
    if not query:
        return lambda node: True
    match = _FILTER.match(query)
    if not match:
        raise GraphQLError(f"the fake understands only updated_at filters, got {query!r}")
    op, bound = match.group(1), shopify_time(match.group(2))
    compare = {
        ">=": lambda v: v >= bound,
        ">": lambda v: v > bound,
        "<=": lambda v: v <= bound,
        "<": lambda v: v < bound,
    }[op]
    return lambda node: compare(node["updatedAt"])


# ---------------------------------------------------------------- the fake store


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    root: str | None


class ShopifyFake:
    """Records in memory, a cost bucket, knobs for tests, and an HTTP server on 127.0.0.1."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bucket_max: float = 2000.0,
        restore_rate: float = 100.0,
        max_page_size: int = MAX_FIRST,
    ) -> None:
        self.token = token
        self.customers: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_lines: dict[str, dict[str, dict[str, Any]]] = {}  # order id -> line id -> row
        self.refunds: dict[str, dict[str, dict[str, Any]]] = {}  # order id -> refund id -> row
        self.checkouts: dict[str, dict[str, Any]] = {}
        # knobs
        self.max_page_size = max_page_size  # serve fewer than asked: more pages
        self.bucket_max = bucket_max
        self.restore_rate = restore_rate
        self.extra_fields: dict[str, dict[str, Any]] = {}  # feed -> unexpected field -> value
        self.requests: list[Request] = []
        self._available = bucket_max
        self._bucket_at = time.monotonic()
        self._failures: list[_Failure] = []
        self._graphql_errors: list[tuple[str, str]] = []
        self._drain_next: float | None = None
        self._block: tuple[str, int] | None = None
        self.blocked = threading.Event()  # set when the blocking request arrived
        self.release = threading.Event()  # set it to let the blocked request go on
        self.unblocked = threading.Event()  # set once the blocked request was answered
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- building the store from contract rows

    @classmethod
    def from_feed_rows(
        cls,
        *,
        customers: Iterable[dict[str, Any]] = (),
        orders: Iterable[dict[str, Any]] = (),
        order_lines: Iterable[dict[str, Any]] = (),
        refunds: Iterable[dict[str, Any]] = (),
        checkouts: Iterable[dict[str, Any]] = (),
        **kwargs: Any,
    ) -> ShopifyFake:
        """A store holding these rows (contract column names, values as the files carry them);
        of several versions of one record, the newest (by updated_at) is the current state."""
        fake = cls(**kwargs)
        fake.apply_feed_rows(
            customers=customers,
            orders=orders,
            order_lines=order_lines,
            refunds=refunds,
            checkouts=checkouts,
        )
        return fake

    def apply_feed_rows(
        self,
        *,
        customers: Iterable[dict[str, Any]] = (),
        orders: Iterable[dict[str, Any]] = (),
        order_lines: Iterable[dict[str, Any]] = (),
        refunds: Iterable[dict[str, Any]] = (),
        checkouts: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Moves the store forward: a newer version replaces the current one, an older is
        ignored; lines and refunds replace theirs by id."""
        with self._lock:
            for store, key, rows in (
                (self.customers, "customer_id", customers),
                (self.orders, "order_id", orders),
                (self.checkouts, "checkout_id", checkouts),
            ):
                for row in rows:
                    self._upsert_version(store, key, row)
            for row in order_lines:
                self.order_lines.setdefault(str(row["order_id"]), {})[str(row["line_id"])] = dict(
                    row
                )
            for row in refunds:
                self.refunds.setdefault(str(row["order_id"]), {})[str(row["refund_id"])] = dict(row)

    @staticmethod
    def _upsert_version(store: dict[str, dict[str, Any]], key: str, row: dict[str, Any]) -> None:
        row = dict(row)
        current = store.get(str(row[key]))
        if current is None or _updated(row) >= _updated(current):
            store[str(row[key])] = row

    def update(self, feed: str, record_id: str, **changes: Any) -> None:
        """A later version of a customer, order or checkout (pass a newer `updated_at`)."""
        stores = {"customers": self.customers, "orders": self.orders, "checkouts": self.checkouts}
        with self._lock:
            stores[feed][record_id] = {**stores[feed][record_id], **changes}

    # ---- what the server holds, as the feeds would count it

    def counts(self) -> dict[str, int]:
        """Records per feed as the API shows them (orphan lines and refunds are not shown)."""
        with self._lock:
            return {
                "customers": len(self.customers),
                "orders": len(self.orders),
                "order_lines": sum(len(self.order_lines.get(o, {})) for o in self.orders),
                "refunds": sum(len(self.refunds.get(o, {})) for o in self.orders),
                "checkouts": len(self.checkouts),
            }

    # ---- knobs

    def fail_next(
        self, status: int, times: int = 1, retry_after: int | None = None, root: str | None = None
    ) -> None:
        """The next `times` requests (for `root`, if given) answer HTTP `status`."""
        with self._lock:
            self._failures += [_Failure(status, retry_after, root)] * times

    def graphql_error_next(self, code: str, message: str) -> None:
        """The next request answers HTTP 200 with this GraphQL error and no data."""
        with self._lock:
            self._graphql_errors.append((code, message))

    def drain_bucket(self, to: float, on_next_request: bool = False) -> None:
        """Empties the cost bucket down to `to` points, now or as the next request arrives (as
        another app sharing the store would); it refills at restore_rate."""
        with self._lock:
            if on_next_request:
                self._drain_next = to
                return
            self._available = to
            self._bucket_at = time.monotonic()

    def add_field(self, feed: str, name: str, value: Any) -> None:
        """Every record of `feed` carries a field no query asked for, as a changed API might."""
        with self._lock:
            self.extra_fields.setdefault(feed, {})[name] = value

    def block_on(self, root: str, request_number: int) -> None:
        """The `request_number`-th request for `root` (1-based) waits until `release` is set."""
        with self._lock:
            self._block = (root, request_number)
            self.blocked.clear()
            self.release.clear()
            self.unblocked.clear()

    def requests_for(self, root: str, since: int = 0) -> list[Request]:
        """Answered requests for `root` (from log position `since` on)."""
        with self._lock:
            return [r for r in self.requests[since:] if r.root == root]

    # ---- the server

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def settings_env(self, **overrides: Any) -> dict[str, str]:
        """Environment variables pointing the connector at this fake (section sources.shopify)."""
        values = {"shop_url": self.url, "access_token": self.token, **overrides}
        return {f"SOURCES__SHOPIFY__{k.upper()}": str(v) for k, v in values.items()}

    def start(self) -> ShopifyFake:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ShopifyFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering

    def answer(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """(status, extra headers, JSON body) for one POST."""
        request = Request(at=time.monotonic())
        try:
            return self._answer(request, path, headers, body)
        finally:
            request.answered_at = time.monotonic()
            with self._lock:
                self.requests.append(request)
            if self.blocked.is_set() and self.release.is_set():
                self.unblocked.set()

    def _answer(
        self, request: Request, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        match = re.fullmatch(r"/admin/api/([^/]+)/graphql\.json", path.split("?", 1)[0])
        if not match:
            request.status = 404
            return 404, {}, {"errors": "Not Found"}
        request.api_version = match.group(1)
        if headers.get("x-shopify-access-token") != self.token:
            request.status = 401
            return (
                401,
                {},
                {
                    "errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                    "password)"
                },
            )
        try:
            payload = json.loads(body or b"{}")
            variables = payload.get("variables") or {}
            request.operation, selections = _Parser(payload.get("query", "")).document()
            request.variables = dict(variables)
        except (ValueError, GraphQLError) as exc:
            request.status = 400
            return 400, {}, {"errors": [{"message": str(exc)}]}
        root = next((s for s in selections if isinstance(s, Field)), None)
        if root is not None:
            args = _bind(root.args, variables)
            request.root = root.name
            request.search = args.get("query")
            request.first = args.get("first")
            request.after = args.get("after")
            request.sort_key = args.get("sortKey")
            request.node_id = args.get("id")
        self._wait_if_blocked(request.root)
        failure = self._take_failure(request.root)
        if failure is not None:
            request.status = failure.status
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            message = {
                429: "Exceeded 2 calls per second for api client. Reduce request rates to "
                "resume uninterrupted service.",
                500: "Internal Server Error",
            }.get(failure.status, "error")
            return failure.status, extra, {"errors": message}
        with self._lock:
            if self._graphql_errors:
                code, message = self._graphql_errors.pop(0)
                request.error_code = code
                return 200, {}, {"errors": [{"message": message, "extensions": {"code": code}}]}
        return 200, {}, self._execute(request, selections, variables)

    def _wait_if_blocked(self, root: str | None) -> None:
        with self._lock:
            block = self._block
            if block is None or root != block[0]:
                return
            if len([r for r in self.requests if r.root == root]) + 1 != block[1]:
                return
            self._block = None
        self.blocked.set()
        self.release.wait(timeout=60)

    def _take_failure(self, root: str | None) -> _Failure | None:
        with self._lock:
            for i, failure in enumerate(self._failures):
                if failure.root in (None, root):
                    return self._failures.pop(i)
        return None

    def _execute(
        self, request: Request, selections: list[Field | Fragment], variables: dict[str, Any]
    ) -> dict[str, Any]:
        cost = requested_cost(selections, variables)
        request.requested_cost = cost
        if cost > SINGLE_QUERY_MAX_COST:
            request.error_code = "MAX_COST_EXCEEDED"
            return {
                "errors": [
                    {
                        "message": f"Query cost is {cost}, which exceeds the single query max "
                        f"cost limit ({SINGLE_QUERY_MAX_COST}).",
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": cost,
                            "maxCost": SINGLE_QUERY_MAX_COST,
                        },
                    }
                ]
            }
        with self._lock:
            now = time.monotonic()
            if self._drain_next is not None:
                self._available, self._bucket_at, self._drain_next = self._drain_next, now, None
            available = min(
                self.bucket_max, self._available + (now - self._bucket_at) * self.restore_rate
            )
            request.available_before = available
            request.restore_rate = self.restore_rate
            if available < cost:
                self._available, self._bucket_at = available, now
                request.error_code = "THROTTLED"
                return {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": self._cost(cost, None, available)},
                }
            try:
                data = {s.key: self._resolve_root(s, variables) for s in selections if s}
            except GraphQLError as exc:
                request.error_code = exc.code
                return {"errors": [{"message": str(exc), "extensions": {"code": exc.code}}]}
            actual = min(cost, _actual_cost(data))
            self._available, self._bucket_at = available - actual, now
            root_value = next(iter(data.values()), None)
            if isinstance(root_value, dict) and "nodes" in root_value:
                request.nodes = len(root_value["nodes"])
            elif root_value is not None:
                request.nodes = 1
            return {
                "data": data,
                "extensions": {"cost": self._cost(cost, actual, available - actual)},
            }

    def _cost(self, requested: int, actual: int | None, available: float) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": float(self.bucket_max),
                "currentlyAvailable": int(available),
                "restoreRate": float(self.restore_rate),
            },
        }

    def _resolve_root(self, root: Field | Fragment, variables: dict[str, Any]) -> Any:
        if isinstance(root, Fragment):
            raise GraphQLError("a fragment at the root is not supported")
        args = _bind(root.args, variables)
        if root.name == "node":
            node = self._node(args.get("id"))
            return None if node is None else _project(node, root.selections, variables)
        nodes = {
            "customers": lambda: [self._customer(r) for r in self.customers.values()],
            "orders": lambda: [self._order(r) for r in self.orders.values()],
            "abandonedCheckouts": lambda: [self._checkout(r) for r in self.checkouts.values()],
        }.get(root.name)
        if nodes is None:
            raise GraphQLError(f"Field '{root.name}' doesn't exist on type 'QueryRoot'")
        matching = [n for n in nodes() if _search(args.get("query"))(n)]
        sort_key = args.get("sortKey") or "ID"
        if sort_key == "UPDATED_AT":

            def key(n: dict[str, Any]) -> tuple[str, ...]:
                return (n["updatedAt"], n["id"])
        elif sort_key == "ID":

            def key(n: dict[str, Any]) -> tuple[str, ...]:
                return (n["id"],)
        else:
            raise GraphQLError(f"the fake does not sort by {sort_key}")
        page = paginate(matching, key, args.get("first"), args.get("after"), self.max_page_size)
        return _project(page, root.selections, variables)

    def _node(self, node_id: Any) -> dict[str, Any] | None:
        kind, legacy = _legacy(str(node_id))
        if kind == "Order" and legacy in self.orders:
            return self._order(self.orders[legacy])
        if kind == "AbandonedCheckout" and legacy in self.checkouts:
            return self._checkout(self.checkouts[legacy])
        if kind == "Customer" and legacy in self.customers:
            return self._customer(self.customers[legacy])
        return None

    # ---- contract rows rendered in Shopify shape

    def _extras(self, feed: str) -> dict[str, Any]:
        return {"__extra__": dict(self.extra_fields.get(feed, {}))}

    def _customer(self, row: dict[str, Any]) -> dict[str, Any]:
        email, phone = _text(row.get("email")), _text(row.get("phone"))
        country = _text(row.get("country"))
        return {
            "__typename": "Customer",
            "id": gid("Customer", str(row["customer_id"])),
            "firstName": _text(row.get("first_name")),
            "lastName": _text(row.get("last_name")),
            "createdAt": shopify_time(row.get("created_at")),
            "updatedAt": _updated(row),
            "defaultEmailAddress": {"emailAddress": email} if email else None,
            # Shopify keeps SMS consent on the phone number: no phone, no consent.
            "defaultPhoneNumber": (
                {
                    "phoneNumber": phone,
                    "marketingState": _CONSENT[_boolean(row.get("accepts_phone_contact"))],
                }
                if phone
                else None
            ),
            "defaultAddress": {"countryCodeV2": country} if country else None,
            **self._extras("customers"),
        }

    def _order(self, row: dict[str, Any]) -> dict[str, Any]:
        order_id = str(row["order_id"])
        currency = row.get("currency")
        channel = _text(row.get("channel"))
        status = _text(row.get("financial_status"))
        customer_id = _text(row.get("customer_id"))
        lines = [self._line(line, currency) for line in self.order_lines.get(order_id, {}).values()]
        refunds = sorted(
            (self._refund(r, currency) for r in self.refunds.get(order_id, {}).values()),
            key=lambda r: (r["createdAt"] or "", r["id"]),
        )

        def line_items(first: Any = None, after: str | None = None, **_: Any) -> dict[str, Any]:
            return paginate(lines, lambda n: (n["id"],), first, after)

        def refund_list(first: Any = None, **_: Any) -> list[dict[str, Any]]:
            return refunds[: int(first)] if first is not None else refunds

        return {
            "__typename": "Order",
            "id": gid("Order", order_id),
            "createdAt": shopify_time(row.get("created_at")),
            "updatedAt": _updated(row),
            "displayFinancialStatus": status.upper() if status else None,
            "sourceName": _SOURCE_NAME.get(channel or "", channel),
            "app": {"name": _APP_NAME[channel]} if channel in _APP_NAME else None,
            "customer": {"id": gid("Customer", customer_id)} if customer_id else None,
            # Shopify's subtotal is after discounts; the contract's before them.
            "subtotalPriceSet": _money(_minus(row.get("subtotal"), row.get("discount")), currency),
            "totalDiscountsSet": _money(row.get("discount"), currency),
            "totalShippingPriceSet": _money(row.get("shipping"), currency),
            "totalTaxSet": _money(row.get("tax"), currency),
            "totalPriceSet": _money(row.get("total"), currency),
            "lineItems": line_items,
            "refunds": refund_list,
            **self._extras("orders"),
        }

    def _line(self, row: dict[str, Any], currency: Any) -> dict[str, Any]:
        product_id = _text(row.get("product_id"))
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", str(row["line_id"])),
            "sku": _text(row.get("sku")),
            "title": _text(row.get("title")),
            "quantity": _integer(row.get("quantity")),
            "product": (
                {
                    "id": gid("Product", product_id),
                    "productType": _text(row.get("category")) or "",
                }
                if product_id
                else None
            ),
            "originalUnitPriceSet": _money(row.get("unit_price"), currency),
            **self._extras("order_lines"),
        }

    def _refund(self, row: dict[str, Any], currency: Any) -> dict[str, Any]:
        return {
            "__typename": "Refund",
            "id": gid("Refund", str(row["refund_id"])),
            "createdAt": shopify_time(row.get("created_at")),
            "note": _text(row.get("reason")),
            "totalRefundedSet": _money(row.get("amount"), currency),
            **self._extras("refunds"),
        }

    def _checkout(self, row: dict[str, Any]) -> dict[str, Any]:
        checkout_id = str(row["checkout_id"])
        customer_id, email = _text(row.get("customer_id")), _text(row.get("email"))
        phone = _text(row.get("phone"))
        items = _integer(row.get("items_count"))
        # The files carry a count, not the lines: one line per unit keeps the count exact.
        units = items if isinstance(items, int) and items > 0 else 0
        lines = [
            {
                "__typename": "AbandonedCheckoutLineItem",
                "id": gid("AbandonedCheckoutLineItem", f"{checkout_id}-{n:05d}"),
                "quantity": 1,
            }
            for n in range(1, units + 1)
        ]

        def line_items(first: Any = None, after: str | None = None, **_: Any) -> dict[str, Any]:
            return paginate(lines, lambda n: (n["id"],), first, after)

        return {
            "__typename": "AbandonedCheckout",
            "id": gid("AbandonedCheckout", checkout_id),
            "createdAt": shopify_time(row.get("created_at")),
            "updatedAt": _updated(row),
            "completedAt": shopify_time(row.get("completed_at")),
            # AbandonedCheckout has no email of its own: a guest's email cannot be shown.
            "customer": (
                {
                    "id": gid("Customer", customer_id),
                    "defaultEmailAddress": {"emailAddress": email} if email else None,
                }
                if customer_id
                else None
            ),
            "shippingAddress": {"phone": phone} if phone else None,
            "billingAddress": None,
            "totalPriceSet": _money(row.get("total"), row.get("currency")),
            "lineItems": line_items,
            **self._extras("checkouts"),
        }


def _updated(row: dict[str, Any]) -> str:
    """A row's version: updated_at, or created_at when empty (the contract's default)."""
    return shopify_time(row.get("updated_at")) or shopify_time(row.get("created_at")) or ""


def _project(value: Any, selections: list[Field | Fragment], variables: dict[str, Any]) -> Any:
    """`value` cut down to what the selection set asks for, as a GraphQL server answers."""
    if value is None or not selections:
        return value
    if isinstance(value, list):
        return [_project(v, selections, variables) for v in value]
    out: dict[str, Any] = {}
    for selection in selections:
        if isinstance(selection, Fragment):
            if value.get("__typename") == selection.type_condition:
                out.update(_project(value, selection.selections, variables))
            continue
        if selection.name == "__typename":
            out[selection.key] = value.get("__typename")
            continue
        field_value = value.get(selection.name)
        if callable(field_value):
            field_value = field_value(**_bind(selection.args, variables))
        out[selection.key] = _project(field_value, selection.selections, variables)
    # A field nobody asked for: what an API that changed under the connector would send.
    out.update(value.get("__extra__", {}))
    return out


class _Handler(BaseHTTPRequestHandler):
    fake: ShopifyFake
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = self.fake.answer(self.path, headers, body)
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is gone (a killed load): nothing to answer

    def do_GET(self) -> None:
        self.send_error(405)

    def log_message(self, format: str, *args: Any) -> None:
        pass
