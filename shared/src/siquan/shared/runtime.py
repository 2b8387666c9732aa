"""The composition every service shares: the database pool and migrations, units of work,
the broker link (batched consumers of the registered handlers, the outbox relay), the HTTP
API and background loops.

A service's `create_app()` builds a `ServiceRuntime` with its unit-of-work class and its
handler modules, adds its HTTP routes and background loops, and `serve()` runs it until
stopped. Any number of instances of a service may run over the same database and queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Generic, TypeVar, cast

import aio_pika
import asyncpg
import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from siquan.shared import http_guard
from siquan.shared.accounts import web as account_pages
from siquan.shared.accounts.store import AccountStore, Policy, read_roster
from siquan.shared.auth import Officer, require_officer, require_role
from siquan.shared.broker import BrokerLink
from siquan.shared.clock import Clock, clock_for
from siquan.shared.console import STATIC_PATH, Console
from siquan.shared.consumer import BatchedConsumer, ConsumerSettings, database_away
from siquan.shared.database import create_pool, migrate
from siquan.shared.dead_letters import (
    DeadLetterPublisher,
    Selection,
    list_dead_letters,
    summarise,
)
from siquan.shared.http_guard import ASGIApp, Message, Receive, Scope, Send
from siquan.shared.logs import setup_logging
from siquan.shared.metrics import setup_metrics
from siquan.shared.outbox import Outbox
from siquan.shared.policy_store import PolicyFollower, catalogue_view
from siquan.shared.registry import Handler, HandlerRegistry
from siquan.shared.relay import OutboxRelay
from siquan.shared.settings import ServiceSettings
from siquan.shared.signing import Verifier, load_signing_key, published_keys
from siquan.shared.telemetry import instrument_http, setup_tracing
from siquan.shared.unit_of_work import PgUnitOfWork, UnitFactory, UnitsOfWork

log = logging.getLogger(__name__)
BackgroundLoop = Callable[[], Awaitable[None]]


async def while_database_away(step: Callable[[], Awaitable[None]], deadline: float,
                              service: str) -> None:
    """A step of a service's start, done again while the database is away (restarting,
    refusing, at its connection limit, a session ended under it) until `deadline` (a
    `time.monotonic()`: `startup_database_wait_seconds` from the start); any other error,
    or the database still away then, ends the start."""
    while True:
        try:
            await step()
            return
        except Exception as exc:
            if not database_away(exc) or time.monotonic() > deadline:
                raise
            log.warning("%s: database unavailable at start: %s; retrying", service,
                        type(exc).__name__)
            await asyncio.sleep(1.0)
W = TypeVar("W", bound=PgUnitOfWork)


HELD_BY_EVERY_SERVICE = 2
"""Connections every service holds while it runs: the outbox relay's and the policy
store's NOTIFY listeners."""


class ServiceRuntime(Generic[W]):
    def __init__(self, service: str, settings: ServiceSettings, migrations: Path, *,
                 unit: UnitFactory[W] | None = None,
                 handlers: Iterable[ModuleType | Handler] = (),
                 held_connections: int = 0) -> None:
        """`held_connections`: how many pool connections the service's own background
        loops hold for as long as they run (a NOTIFY listener, a transaction waiting on a
        bank), on top of the outbox relay's and the policy store's listeners. The pool is
        `pg_pool_size` plus all of those, so that requests and message handlers always
        have their `pg_pool_size` connections, however long the loops hold theirs."""
        self.service, self.settings, self._migrations = service, settings, migrations
        self._held_connections = HELD_BY_EVERY_SERVICE + held_connections
        settings.refuse_unsafe_start(service)
        self.tracer_provider = setup_tracing(service, settings.trace_file)
        self.meter_provider, self.metrics = setup_metrics(service)
        self.clock: Clock = clock_for(settings.clock_file, settings.office_zone)
        self.outbox = Outbox(service, load_signing_key(settings.keys_dir / f"{service}.key"),
                             clock=self.clock, single=settings.single_message_types())
        self.verifier = Verifier.watching(settings.keys_dir)
        self._pool: asyncpg.Pool | None = None
        make = unit or cast(UnitFactory[W], PgUnitOfWork)
        self.units: UnitsOfWork[W] = UnitsOfWork(lambda: self.pool, self.outbox, self.clock,
                                                 make)
        self.accounts = AccountStore(service, self.units, Policy(
            lockout_after=settings.login_lockout_after,
            lockout_minutes=settings.login_lockout_minutes,
            session_idle_minutes=settings.session_idle_minutes,
            session_hours=settings.session_hours,
            development_accounts=settings.development_accounts_on))
        self._handler_sources: list[ModuleType | Handler] = list(handlers)
        self._loops: list[BackgroundLoop] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.link = BrokerLink(settings.amqp_url, name=f"siquan.{service}")
        self.relay: OutboxRelay | None = None
        self.consumers: list[BatchedConsumer] = []
        self.policies = PolicyFollower(self.units)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("service not started")
        return self._pool

    def registry(self) -> HandlerRegistry:
        return HandlerRegistry.collect(self.service, self._handler_sources)

    def handle(self, *sources: ModuleType | Handler) -> None:
        """Add handler modules (or handlers) marked with `registry.handles`."""
        self._handler_sources.extend(sources)

    def background(self, loop: BackgroundLoop) -> None:
        self._loops.append(loop)

    def consumer_settings(self) -> ConsumerSettings:
        s = self.settings
        return ConsumerSettings(batch_size=s.consumer_batch_size,
                                batch_wait=s.consumer_batch_wait_seconds,
                                batch_bytes=s.consumer_batch_bytes,
                                bulk_ack=s.consumer_bulk_ack,
                                max_attempts=s.max_transient_attempts,
                                prefetch=s.consumer_prefetch)

    async def start(self) -> None:
        officers_file = self.settings.officers_file
        roster = await asyncio.to_thread(read_roster, officers_file) \
            if officers_file.is_file() else None
        if roster is None:  # no declaration: nobody is disabled for not being in it
            log.warning("no officers file at %s: the officers are left as they are",
                        officers_file)
        deadline = time.monotonic() + self.settings.startup_database_wait_seconds
        await while_database_away(self._open_database, deadline, self.service)

        async def prepare() -> None:
            if roster is not None:
                await self.accounts.import_roster(roster)
            await self.policies.load()  # the published policy versions before any work
        await while_database_away(prepare, deadline, self.service)
        dead_letters = DeadLetterPublisher(self.service)
        self.consumers = [
            BatchedConsumer(route, self.units, self.verifier, dead_letters,
                            self.consumer_settings(), self.clock, self.metrics)
            for route in self.registry().routes()]
        for consumer in self.consumers:
            self.link.add(consumer.queue, consumer.run)
        self.relay = OutboxRelay(self.pool, batch_size=self.settings.relay_batch_size,
                                 idle_seconds=self.settings.relay_idle_seconds)
        self.link.add("outbox relay", self.relay.run)
        for loop in (self.link.run, self._sample, self.policies.run,
                     self._watch_dependencies, *self._loops):
            self._tasks.append(asyncio.create_task(self._supervise(loop)))
        log.info("%s started", self.service)

    async def _open_database(self) -> None:
        """Migrate and open the pool."""
        await migrate(self.settings.pg_dsn, self._migrations)
        self._pool = await create_pool(
            self.settings.pg_dsn,
            max_size=self.settings.pg_pool_size + self._held_connections,
            toast_compression=self.settings.pg_toast_compression)

    async def _supervise(self, loop: BackgroundLoop) -> None:
        """Keep a background loop alive: log and restart it after an unexpected error."""
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background loop %s failed; restarting", loop)
                await asyncio.sleep(1.0)

    async def _sample(self) -> None:
        """Keep the sampled gauges current: the outbox backlog and each queue's depth."""
        while True:
            try:
                async with self.units.reading() as uow:
                    backlog = await uow.conn.fetchval(
                        "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                self.metrics.outbox_backlog.set(int(backlog))
                for consumer in self.consumers:
                    depth = await consumer.depth()
                    if depth is not None:
                        self.metrics.queue_depth.set(depth, queue=consumer.queue)
                        if depth == 0:
                            self.metrics.consumer_lag.set(0.0, queue=consumer.queue)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                    aio_pika.exceptions.AMQPError) as exc:
                log.warning("metrics sample skipped: %s", type(exc).__name__)
            await asyncio.sleep(self.settings.metrics_sample_seconds)

    async def _watch_dependencies(self) -> None:
        """Keep `siquan_dependency_up{dependency}` current (1 up, 0 down) and say in the log
        when the database or the broker goes away and when it is back, with the reason
        (refused, too many connections, a handshake that timed out)."""
        was: dict[str, bool] = {}
        while True:
            checks = await self.readiness()
            for dependency, state in checks.items():
                up = str(state).startswith("ok")
                self.metrics.dependency_up.set(1.0 if up else 0.0, dependency=dependency)
                if was.get(dependency, True) != up:
                    if up:
                        log.info("%s: %s available again", self.service, dependency)
                    else:
                        log.warning("%s: %s %s", self.service, dependency, state)
                was[dependency] = up
            await asyncio.sleep(self.settings.dependency_check_seconds)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    async def readiness(self) -> dict[str, Any]:
        """Whether this instance can work: its database answers and its broker link is up."""
        checks: dict[str, Any] = {}
        try:
            async with asyncio.timeout(2.0):
                await self.pool.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # reported, not raised: readiness says what is wrong
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks["broker"] = (f"ok ({self.link.node})" if self.link.connected.is_set()
                            else f"unavailable: {self.link.last_error or 'not connected'}")
        return checks

    def http_app(self, title: str) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            _keep_startup_out_of_collections()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=title, lifespan=lifespan)
        app.state.runtime = self
        app.state.office_zone = self.clock.zone
        account_pages.install(app, self.service, self.accounts, title,
                              amqp_url=self.settings.amqp_url)
        app.mount(STATIC_PATH, Console.static_app(), name="console-static")

        s = self.settings
        http_guard.install(app, max_body=s.http_max_body_bytes,
                           max_upload=s.http_max_upload_bytes,
                           rate_per_minute=s.public_rate_per_minute,
                           rate_burst=s.public_rate_burst)

        @app.get("/health", include_in_schema=False)
        async def health() -> dict[str, str]:
            """Alive; which service and which instance (process) answered."""
            return {"status": "ok", "service": self.service, "instance": str(os.getpid())}

        @app.get("/.well-known/siquan-keys.json")
        async def signing_keys() -> list[dict[str, str]]:
            """This service's accepted public signing keys as JWKs (RFC 8037), the current
            one first: what a consumer verifies its messages with (read at each request, so
            a rotated key shows at once)."""
            return published_keys(self.settings.keys_dir, self.service)

        @app.get("/health/ready", include_in_schema=False)
        async def ready() -> JSONResponse:
            checks = await self.readiness()
            ok = all(str(v).startswith("ok") for v in checks.values())
            return JSONResponse({"status": "ready" if ok else "not ready",
                                 "service": self.service, "checks": checks},
                                status_code=200 if ok else 503)

        app.add_middleware(TraceResponse)

        @app.get("/dead-letters", include_in_schema=False)
        async def dead_letters(_: Annotated[Officer, Depends(require_role("auditor"))],
                               queue: str | None = None, reason_contains: str | None = None,
                               limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
            """This service's dead letters (peeked, not removed), counted by queue and
            reason; replaying and discarding are the operator command's
            (`python -m siquan.shared.dead_letters`), recorded with officer and reason."""
            letters = await list_dead_letters(
                self.settings.amqp_url, self.service, limit,
                Selection(queue=queue, reason=reason_contains))
            return {"service": self.service, "summary": summarise(letters),
                    "letters": letters}

        @app.get("/policy-catalogue")
        async def policy_catalogue(_: Annotated[Officer, Depends(require_officer())]
                                   ) -> dict[str, Any]:
            """The policy catalogue this instance applies now: the seed files and the
            published versions layered over them, each with its amounts and shares."""
            return {"service": self.service, **catalogue_view()}

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

        instrument_http(app, self.tracer_provider, self.meter_provider)
        return app

    def serve(self, app: FastAPI) -> None:
        setup_logging(self.service)
        config = uvicorn.Config(app, host=self.settings.http_host, port=self.settings.http_port,
                                log_level="info", lifespan="on", log_config=None,
                                access_log=False,
                                proxy_headers=bool(self.settings.forwarded_allow_ips.strip()),
                                forwarded_allow_ips=self.settings.forwarded_allow_ips or None)
        asyncio.run(uvicorn.Server(config).serve())


def _keep_startup_out_of_collections() -> None:
    """What the process built to start (modules, contract schemas, the app, its pools)
    lives as long as the process: once started, it is moved where the garbage collector
    no longer walks it (`gc.freeze`, after collecting startup's garbage). Otherwise each
    collection the work triggers walks those hundreds of thousands of objects again:
    reading a chunk of 10,000 settled payments took 66 ms, half of it in collections; 35
    ms frozen."""
    gc.collect()
    gc.freeze()


class TraceResponse:
    """Tell the caller the trace its request started or joined (W3C `traceresponse`), so
    an officer's problem report can name it. Pure ASGI: a `BaseHTTPMiddleware` would
    cost every request a task group and a pair of memory streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            await self.app(scope, receive, send)
            return
        value = f"00-{context.trace_id:032x}-{context.span_id:016x}-01".encode("latin-1")

        async def traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()),
                                      (b"traceresponse", value)]
            await send(message)

        await self.app(scope, receive, traced)


def _runtime_of(request: Request) -> ServiceRuntime[Any]:
    runtime: ServiceRuntime[Any] = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime[Any], Depends(_runtime_of)]
"""FastAPI dependency: the service's runtime (pool, outbox, settings)."""
