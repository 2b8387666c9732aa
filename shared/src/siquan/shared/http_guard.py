"""What every service's HTTP API does to any request before and after its endpoint runs:
bad input is answered 4xx, never 5xx, and never echoed back.

- Request bodies are size-limited (413): JSON and forms to `http_max_body_bytes`,
  multipart uploads to `http_max_upload_bytes`.
- JSON bodies, forms, query strings and the path are scanned before any endpoint: a NUL
  character, an unpaired surrogate, a string over `MAX_STRING_CHARS`, an integer outside
  int64 or nesting deeper than `MAX_JSON_DEPTH` is refused (422).
- Refusals of the database to take a value (asyncpg `DataError`: out of range, malformed,
  not representable) are input errors (422).
- Pages are bounded by the shared `Limit`, `Offset` and `AfterSeq` query types.
- Every error body is one shape, `Problem {detail, errors?}`; a validation error names the
  field and what is wrong with it, never the input.
- Requests without credentials are rate-limited per client address (429 with
  `Retry-After`). A request with a bearer token or a console session cookie is not
  charged when the endpoint verified them (`auth.identify` or a signed-in console
  session), so an officer's console is never slowed by the public's limit. Credentials
  that were refused (401) or never verified (sent to a public endpoint) are charged to a
  second bucket per address, and an address that has emptied it is answered 429 until it
  refills: a made-up token buys no more requests than none.
- The OpenAPI document names, for every operation, each error status it can answer with
  the `Problem` schema.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

import asyncpg
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from siquan.shared.errors import Refused

MAX_STRING_CHARS = 10_000
"""No string in a request is longer (fields set their own, smaller bounds)."""
MAX_QUERY_CHARS = 2_000
"""No query parameter value or path is longer."""
MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_OFFSET = 10_000
MAX_PAGE = 500

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (1 to 500)")]
"""A page's size: every list endpoint takes it."""
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET,
                              description="Rows to skip (at most 10000; page further with a "
                                          "narrower filter)")]
AfterSeq = Annotated[int, Query(ge=0, le=INT64_MAX,
                                description="Keyset paging: only entries after this sequence")]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProblemItem(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`, `query`, `path` or `header`, "
                                             "then the field")
    field: str = Field(description="The field concerned, dotted")
    msg: str = Field(description="What is wrong with it (the value itself is never repeated)")
    type: str = Field(description="A stable code for the kind of problem")


class Problem(BaseModel):
    """Every error answer of every service."""

    detail: str = Field(description="Why the request was refused")
    errors: list[ProblemItem] | None = Field(
        default=None, description="Each field that was refused, when there are several")


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


def validation_items(errors: Any) -> list[dict[str, Any]]:
    """Pydantic/FastAPI errors as `ProblemItem`s: location and message, never the input."""
    items = []
    for error in errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        fields = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") \
            else loc
        items.append({"loc": loc, "field": ".".join(str(p) for p in fields) or "body",
                      "msg": str(error.get("msg", "invalid")).removeprefix("Value error, "),
                      "type": str(error.get("type", "invalid"))})
    return items


class InputRefused(Exception):
    def __init__(self, status: int, detail: str, field: str = "body",
                 kind: str = "invalid") -> None:
        super().__init__(detail)
        self.status, self.detail, self.field, self.kind = status, detail, field, kind

    def response(self) -> JSONResponse:
        where = self.field.split(".", 1)[0]
        loc: list[str | int] = [where, *([self.field.split(".", 1)[1]]
                                         if "." in self.field else [])]
        return problem(self.status, self.detail,
                       [{"loc": loc, "field": self.field, "msg": self.detail,
                         "type": self.kind}])


def _check_string(value: str, where: str, limit: int = MAX_STRING_CHARS) -> None:
    if "\x00" in value:
        raise InputRefused(422, "text may not contain a NUL character", where, "nul_character")
    if len(value) > limit:
        raise InputRefused(422, f"text is longer than {limit} characters", where,
                           "string_too_long")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputRefused(422, "text is not valid Unicode", where, "invalid_unicode") from None


def check_json(value: Any, where: str = "body", depth: int = 0) -> None:
    """Refuse what no field of any endpoint may hold (see the module's description)."""
    if depth > MAX_JSON_DEPTH:
        raise InputRefused(422, f"JSON nested deeper than {MAX_JSON_DEPTH} levels", where,
                           "too_deep")
    if isinstance(value, str):
        _check_string(value, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InputRefused(422, "integer outside the 64-bit range", where, "int_range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputRefused(422, "number is not finite", where, "float_range")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, where, MAX_QUERY_CHARS)
            check_json(item, f"{where}.{key}" if depth < 3 else where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, where, depth + 1)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not a JSON number: {name}")


class TokenBuckets:
    """Requests per client address: `burst` at once, refilled at `per_minute`."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] | None = None,
                 max_clients: int = 10_000) -> None:
        self.rate, self.burst = per_minute / 60.0, float(burst)
        self._clock = clock or time.monotonic
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max = max_clients

    def take(self, client: str) -> float:
        """0 when the request may go on, else the seconds until it may."""
        return self._settle(client, 1.0)

    def waiting(self, client: str) -> float:
        """The seconds until `client` may go on (0: now), taking nothing."""
        return self._settle(client, 0.0)

    def _settle(self, client: str, cost: float) -> float:
        now = self._clock()
        tokens, at = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= cost
        else:
            wait = (1.0 - tokens) / self.rate if self.rate > 0 else 60.0
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


UNLIMITED_PATHS = ("/health", "/metrics")
SESSION_COOKIE = re.compile(r"(?:^|;)\s*(?:__Host-)?siquan-[a-z-]+-session=")


def _credentials(scope: Scope) -> bool:
    """Whether the request carries credentials: a bearer token or a console session."""
    for key, value in scope.get("headers", []):
        name = key.lower()
        if name == b"authorization":
            return True
        if name == b"cookie" and SESSION_COOKIE.search(value.decode("latin-1")):
            return True
    return False


class GuardMiddleware:
    """Pure ASGI: bounds and scans each request before the application sees it."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 buckets: TokenBuckets | None) -> None:
        self.app, self.max_body, self.max_upload, self.buckets = app, max_body, max_upload, \
            buckets
        self.refused_credentials = None if buckets is None else TokenBuckets(
            buckets.rate * 60.0, int(buckets.burst))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            send = self._admit(scope, send)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            limit = self.max_upload if kind.startswith("multipart/") else self.max_body
            declared = headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise InputRefused(413, f"request bodies are at most {limit} bytes",
                                   "body", "too_large")
            if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") and declared in (
                    None, "0"):
                await self.app(scope, receive, send)
                return
            body = await self._read(receive, limit)
            self._scan_body(kind, body)
        except InputRefused as refused:
            await refused.response()(scope, receive, send)
            return
        except _RateLimited as limited:
            await problem(429, limited.detail,
                          headers={"Retry-After": str(limited.seconds)})(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _admit(self, scope: Scope, send: Send) -> Send:
        """Refuse what is malformed or over the limit; the `send` to answer through (one
        that charges a refusal of the request's credentials to its address)."""
        path: str = scope.get("path", "")
        _check_string(path, "path", MAX_QUERY_CHARS)
        raw_query = scope.get("query_string", b"")
        if len(raw_query) > 4 * MAX_QUERY_CHARS:
            raise InputRefused(422, "the query string is too long", "query", "string_too_long")
        query = raw_query.decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
            _check_string(name, "query", MAX_QUERY_CHARS)
            _check_string(value, f"query.{name}", MAX_QUERY_CHARS)
        if self.buckets is None or path.startswith(UNLIMITED_PATHS):
            return send
        client = str((scope.get("client") or ("unknown", 0))[0])
        if not _credentials(scope):
            wait = self.buckets.take(client)
            if wait > 0:
                raise _RateLimited(max(1, math.ceil(wait)))
            return send
        refused = self.refused_credentials
        assert refused is not None
        wait = refused.waiting(client)
        if wait > 0:
            raise _RateLimited(max(1, math.ceil(wait)),
                               "too many refused credentials from this address; try again "
                               "later")

        async def charging_refusals(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and not scope.get(
                    "state", {}).get("credentials_verified"):
                refused.take(client)
            await send(message)

        return charging_refusals

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise InputRefused(413, f"request bodies are at most {limit} bytes",
                                   "body", "too_large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _scan_body(kind: str, body: bytes) -> None:
        if not body:
            return
        if kind == "application/json" or kind.endswith("+json"):
            try:
                value = json.loads(body, parse_constant=_reject_constant)
            except RecursionError:
                raise InputRefused(422, f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
                                   "body", "too_deep") from None
            except ValueError:
                return  # the endpoint answers malformed JSON itself (422)
            check_json(value)
        elif kind == "application/x-www-form-urlencoded":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise InputRefused(422, "the form is not UTF-8", "body",
                                   "invalid_unicode") from None
            for name, value in parse_qsl(text, keep_blank_values=True):
                _check_string(name, "body", MAX_QUERY_CHARS)
                _check_string(value, f"body.{name}")


class _RateLimited(Exception):
    def __init__(self, seconds: int,
                 detail: str = "too many requests without credentials; try again later"
                 ) -> None:
        super().__init__(seconds)
        self.seconds, self.detail = seconds, detail


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replayed


# The OpenAPI document: every operation's error answers, in the one shape.

_DESCRIPTIONS = {
    "401": "No bearer token, or one not known",
    "403": "The officer lacks the role, or the record is outside the officer's division",
    "404": "Nothing found under this identifier",
    "409": "A business rule refuses the request; nothing changed",
    "413": "The request body is too large",
    "422": "The request is invalid: each refused field is named, its value never repeated",
    "429": "Too many requests without credentials from this address (see Retry-After)",
    "503": "The service's database is unavailable for a moment (see Retry-After); "
           "nothing changed",
}


def _documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                             description=app.description)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}")
        components["Problem"].pop("$defs", None)
        components["ProblemItem"] = ProblemItem.model_json_schema()
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                _document_errors(method, operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema
    return openapi


def _document_errors(method: str, operation: dict[str, Any]) -> None:
    statuses = ["404", "409", "422", "429", "503"]
    if operation.get("security"):
        statuses += ["401", "403"]
    if method in ("post", "put", "patch"):
        statuses.append("413")
    responses = operation.setdefault("responses", {})
    ref = {"$ref": "#/components/schemas/Problem"}
    for status in sorted(statuses):
        responses[status] = {"description": _DESCRIPTIONS[status],
                             "content": {"application/json": {"schema": ref}}}
        if status in ("429", "503"):
            responses[status]["headers"] = {"Retry-After": {
                "description": "Seconds to wait", "schema": {"type": "integer"}}}
    operation["responses"] = dict(sorted(responses.items()))


DATABASE_AWAY: tuple[type[Exception], ...] = (
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.InterfaceError,
    ConnectionRefusedError,
)
"""Errors that say the database is away (at its connection limit, restarting, refusing):
the request is answered 503 with Retry-After, never 500."""


def install(app: FastAPI, *, max_body: int, max_upload: int, rate_per_minute: float,
            rate_burst: int) -> None:
    """Install the guard on a service's app (before it serves its first request)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        items = validation_items(exc.errors())
        return problem(422, "the request is invalid: " + ", ".join(
            sorted({i["field"] for i in items})), items)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return problem(exc.status, str(exc), getattr(exc, "errors", None))

    @app.exception_handler(asyncpg.DataError)
    async def unstorable(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        return problem(422, "a value in the request is out of range or malformed "
                            f"({type(exc).__name__})")

    async def database_away(_: Request, exc: Exception) -> JSONResponse:
        return problem(503, "the service's database is unavailable for a moment "
                            f"({type(exc).__name__}); try again shortly",
                       headers={"Retry-After": "5"})

    for away in DATABASE_AWAY:
        app.add_exception_handler(away, database_away)

    buckets = TokenBuckets(rate_per_minute, rate_burst) if rate_per_minute > 0 else None
    app.add_middleware(GuardMiddleware, max_body=max_body,
                       max_upload=max_upload, buckets=buckets)
    app.openapi = _documented(app)  # type: ignore[method-assign]
