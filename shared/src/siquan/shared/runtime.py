"""The composition every service shares: broker with telemetry, database pool and
migrations, the outbox relay, signed-event consumers, the HTTP API and background work.

A service's `create_app()` builds a `ServiceRuntime`, registers its event handlers and
HTTP routes and background loops, and `serve()` runs it until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated

import asyncpg
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitQueue
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.schemas.queue import QueueType

from siquan.contracts.topology import subscriptions_of
from siquan.shared.auth import OfficerRegistry
from siquan.shared.clock import Clock, clock_for
from siquan.shared.consumer import EventConsumer, Handler
from siquan.shared.database import create_pool, migrate
from siquan.shared.dead_letters import DeadLetterPublisher
from siquan.shared.errors import Refused
from siquan.shared.outbox import Outbox
from siquan.shared.relay import OutboxRelay
from siquan.shared.settings import ServiceSettings
from siquan.shared.signing import Verifier, load_private_key, load_public_keys
from siquan.shared.telemetry import instrument_http, setup_tracing

log = logging.getLogger(__name__)
BackgroundLoop = Callable[[], Awaitable[None]]


class ServiceRuntime:
    def __init__(self, service: str, settings: ServiceSettings, migrations: Path) -> None:
        self.service, self.settings, self._migrations = service, settings, migrations
        self.tracer_provider = setup_tracing(service, settings.trace_file)
        self.broker = RabbitBroker(
            settings.amqp_url,
            middlewares=[RabbitTelemetryMiddleware(tracer_provider=self.tracer_provider)],
            graceful_timeout=10.0,
            log_level=logging.DEBUG,
        )
        self.outbox = Outbox(service, load_private_key(settings.keys_dir / f"{service}.key"))
        self.verifier = Verifier(load_public_keys(settings.keys_dir))
        self.officers = OfficerRegistry.from_file(settings.officers_file)
        self.clock: Clock = clock_for(settings.clock_file)
        self._pool: asyncpg.Pool | None = None
        self._handlers: dict[str, dict[str, Handler]] = {}
        self._loops: list[BackgroundLoop] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("service not started")
        return self._pool

    def on(self, routing_key: str) -> Callable[[Handler], Handler]:
        """Register a handler for an event type arriving on any of this service's queues;
        `"#"` registers a handler for every type on the queues bound with `#`."""
        def register(handler: Handler) -> Handler:
            for sub in subscriptions_of(self.service):
                if routing_key in sub.binding_keys or "#" in sub.binding_keys:
                    self._handlers.setdefault(sub.queue, {})[routing_key] = handler
            return handler
        return register

    def on_any(self, handler: Handler, routing_keys: list[str]) -> None:
        for key in routing_keys:
            self.on(key)(handler)

    def background(self, loop: BackgroundLoop) -> None:
        self._loops.append(loop)

    def _subscribe(self) -> None:
        dead_letters = DeadLetterPublisher(self.service, self.broker)
        channel = Channel(prefetch_count=self.settings.consumer_prefetch)
        for sub in subscriptions_of(self.service):
            handlers = self._handlers.get(sub.queue)
            if not handlers:
                continue
            consumer = EventConsumer(sub, handlers, pool=lambda: self.pool,
                                     verifier=self.verifier, outbox=self.outbox,
                                     dead_letters=dead_letters,
                                     max_attempts=self.settings.max_transient_attempts)
            queue = RabbitQueue(sub.queue, queue_type=QueueType.QUORUM, declare=False)
            # FastStream reads the handler's type hints through its __globals__: hand it the
            # bound method, not the instance.
            self.broker.subscriber(queue, channel=channel, ack_policy=AckPolicy.MANUAL,
                                   title=sub.queue)(consumer.__call__)

    async def start(self) -> None:
        await migrate(self.settings.pg_dsn, self._migrations)
        self._pool = await create_pool(self.settings.pg_dsn)
        self._subscribe()
        await self.broker.start()
        relay = OutboxRelay(self.pool, self.settings.amqp_url,
                            batch_size=self.settings.relay_batch_size,
                            idle_seconds=self.settings.relay_idle_seconds)
        for loop in (relay.run, *self._loops):
            self._tasks.append(asyncio.create_task(self._supervise(loop)))
        log.info("%s started", self.service)

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

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.broker.stop()
        if self._pool is not None:
            await self._pool.close()
        self.tracer_provider.shutdown()

    def http_app(self, title: str) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=title, lifespan=lifespan)
        app.state.runtime = self
        app.state.officers = self.officers

        @app.exception_handler(Refused)
        async def refused(_: Request, exc: Refused) -> JSONResponse:
            return JSONResponse({"detail": str(exc), "refused": type(exc).__name__},
                                status_code=exc.status)

        @app.get("/health", include_in_schema=False)
        async def health() -> dict[str, str]:
            return {"status": "ok", "service": self.service}

        instrument_http(app, self.tracer_provider)
        return app

    def serve(self, app: FastAPI) -> None:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        config = uvicorn.Config(app, host=self.settings.http_host, port=self.settings.http_port,
                                log_level="info", lifespan="on")
        asyncio.run(uvicorn.Server(config).serve())


def _runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(_runtime_of)]
"""FastAPI dependency: the service's runtime (pool, outbox, settings)."""
