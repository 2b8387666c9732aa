"""The HTTP guard on a small app: bad input answers 4xx in the one error shape, never the
input, never 5xx; requests without credentials are rate-limited; the OpenAPI document
names every error answer."""

from __future__ import annotations

import hashlib
import json

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from siquan.shared import http_guard
from siquan.shared.auth import Officer, OfficerRegistry, require_role
from siquan.shared.errors import NotFound
from siquan.shared.http_guard import Limit, Offset, TokenBuckets


class Body(BaseModel):
    name: str = Field(max_length=50)
    count: int = 0


SECRET_INPUT = "110101199003077777"


def _app(rate_per_minute: float = 0) -> FastAPI:
    app = FastAPI()

    @app.post("/things")
    async def things(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/things")
    async def listed(limit: Limit = 10, offset: Offset = 0) -> dict[str, int]:
        return {"limit": limit, "offset": offset}

    @app.get("/things/{name}")
    async def missing(name: str) -> dict[str, str]:
        raise NotFound("no such thing")

    @app.get("/stored")
    async def stored() -> None:
        raise asyncpg.exceptions.NumericValueOutOfRangeError("out of range")

    @app.get("/crowded")
    async def crowded() -> None:
        raise asyncpg.exceptions.TooManyConnectionsError(
            "remaining connection slots are reserved")

    @app.get("/private")
    async def private(_: Officer = Depends(require_role("auditor"))) -> None:  # noqa: B008
        return None

    app.state.officers = OfficerRegistry([])
    http_guard.install(app, max_body=16_384, max_upload=32_768,
                       rate_per_minute=rate_per_minute, rate_burst=2)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _is_problem(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert isinstance(body["detail"], str) and set(body) <= {"detail", "errors"}, body
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("payload", [
    {"name": "a\x00b"},
    {"name": "x" * 1_500},
    {"name": "ok", "count": 10**20},
    {"name": "ok", "extra": json.loads("[" * 40 + "]" * 40)},
    {"name": SECRET_INPUT * 3},
])
async def test_bad_bodies_are_422_problems_that_never_echo_the_input(
        payload: dict[str, object]) -> None:
    async with _client(_app()) as client:
        response = await client.post("/things", content=json.dumps(payload),
                                     headers={"content-type": "application/json"})
    assert response.status_code == 422
    _is_problem(response)
    assert SECRET_INPUT not in response.text and "\\u0000" not in response.text
    assert '"input"' not in response.text


async def test_lone_surrogates_and_nul_in_query_and_path_are_422() -> None:
    async with _client(_app()) as client:
        for url in ("/things?limit=1&x=%00", "/things/a%00b", f"/things?q={'y' * 5000}"):
            response = await client.get(url)
            assert response.status_code == 422, url
            _is_problem(response)
        surrogate = await client.post("/things", content=b'{"name": "\\ud800"}',
                                      headers={"content-type": "application/json"})
        assert surrogate.status_code == 422


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=100000000", "limit=501",
                                   "offset=-1", "offset=100000000000000000000",
                                   "offset=10001"])
async def test_pages_are_bounded(query: str) -> None:
    async with _client(_app()) as client:
        response = await client.get(f"/things?{query}")
    assert response.status_code == 422
    assert _is_problem(response)["errors"]


async def test_a_body_over_the_limit_is_413_before_the_endpoint_reads_it() -> None:
    async with _client(_app()) as client:
        response = await client.post("/things", content=b'{"name": "' + b"a" * 20_000 + b'"}',
                                     headers={"content-type": "application/json"})
    assert response.status_code == 413
    _is_problem(response)


async def test_refusals_and_database_input_errors_share_the_shape() -> None:
    async with _client(_app()) as client:
        missing = await client.get("/things/nothing")
        stored = await client.get("/stored")
        unauthenticated = await client.get("/private")
    assert (missing.status_code, _is_problem(missing)["detail"]) == (404, "no such thing")
    assert stored.status_code == 422 and _is_problem(stored)
    assert unauthenticated.status_code == 401 and _is_problem(unauthenticated)
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


async def test_a_database_at_its_connection_limit_answers_503_with_retry_after() -> None:
    async with _client(_app()) as client:
        crowded = await client.get("/crowded")
    assert crowded.status_code == 503 and crowded.headers["retry-after"] == "5"
    assert "TooManyConnectionsError" in _is_problem(crowded)["detail"]


async def test_requests_without_credentials_are_rate_limited_with_retry_after() -> None:
    async with _client(_app(rate_per_minute=1)) as client:
        answers = [await client.get("/things") for _ in range(3)]
        with_token = await client.get("/private", headers={"Authorization": "Bearer x"})
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    _is_problem(answers[-1])
    assert with_token.status_code == 401  # not limited: it carries credentials


async def test_verified_credentials_are_not_limited_but_made_up_ones_are() -> None:
    app = _app(rate_per_minute=1)
    app.state.officers = OfficerRegistry([Officer(
        id="auditor-1", name="A", roles=("auditor",), division="420117",
        token_sha256=hashlib.sha256(b"good-token").hexdigest())])
    async with _client(app) as client:
        anonymous = [await client.get("/things") for _ in range(3)]
        good = [await client.get("/private", headers={"Authorization": "Bearer good-token"})
                for _ in range(5)]
        bad = [await client.get("/private", headers={"Authorization": f"Bearer {n}"})
               for n in range(3)]
    async with _client(app) as client:  # a made-up session cookie on a public endpoint
        cookie = {"cookie": "theme=dark; siquan-oversight-session=made-up"}
        public = [await client.get("/things", headers=cookie) for _ in range(3)]
        still_good = await client.get("/private", headers={"Authorization": "Bearer good-token"})
    assert [a.status_code for a in anonymous] == [200, 200, 429]
    assert [a.status_code for a in good] == [200] * 5
    # two refusals empty the refused-credentials bucket (burst 2): then 429, not 401
    assert [a.status_code for a in bad] == [401, 401, 429]
    assert "refused credentials" in _is_problem(bad[-1])["detail"]
    assert [a.status_code for a in public] == [429] * 3  # the same address, already spent
    assert still_good.status_code == 429


async def test_a_made_up_session_cookie_buys_no_more_than_none() -> None:
    async with _client(_app(rate_per_minute=1)) as client:
        cookie = {"cookie": "siquan-eligibility-session=made-up"}
        answers = [await client.get("/things", headers=cookie) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]


def test_token_buckets_refill() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, 1, clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") > 0 and buckets.take("b") == 0
    now[0] = 1.0
    assert buckets.take("a") == 0


def test_the_openapi_document_names_every_error_with_the_problem_schema() -> None:
    schema = _app().openapi()
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"404", "409", "422", "429", "503"}
            if path == "/private":
                expected |= {"401", "403"}
            if method == "post":
                expected.add("413")
            errors = {s for s in operation["responses"] if s >= "400"}
            assert errors == expected, (path, method)
            for status in errors:
                assert operation["responses"][status]["content"]["application/json"][
                    "schema"] == ref
    assert "HTTPValidationError" not in schema["components"]["schemas"]
