"""The service's link to the broker: one AMQP connection to any node of a cluster, and the
work that runs on it (consumers, the outbox relay) restarted on another node when it drops.

`SIQUAN_AMQP_URL` may list several nodes separated by commas; each instance starts at a
node of its own (by process id) so that instances spread over the cluster, and after a
lost connection tries the next. Quorum queues live on every node, so whichever node a
consumer reaches serves the same queue; unacknowledged deliveries of a lost connection
are redelivered by the broker (the inbox makes that harmless).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection

log = logging.getLogger(__name__)
ChannelWork = Callable[[AbstractConnection], Coroutine[Any, Any, None]]


def node_urls(amqp_url: str) -> list[str]:
    """`amqp://u:p@h1:5672/v,amqp://u:p@h2:5673/v` → the URLs in order."""
    urls = [u.strip() for u in amqp_url.split(",") if u.strip()]
    if not urls:
        raise ValueError("no broker URL given")
    return urls


def _redacted(url: str) -> str:
    head, _, tail = url.rpartition("@")
    return f"amqp://…@{tail}" if head else url


class LinkLost(ConnectionError):
    """The broker connection closed under running work."""


class BrokerLink:
    """Runs a set of works on one connection; when the connection is lost, every work is
    cancelled and all start again on a connection to the next reachable node."""

    def __init__(self, amqp_url: str, *, name: str, connect_timeout: float = 5.0,
                 heartbeat: int = 10, max_pause: float = 5.0) -> None:
        self._urls = node_urls(amqp_url)
        self._next = os.getpid() % len(self._urls)
        self._name, self._timeout, self._heartbeat = name, connect_timeout, heartbeat
        self._max_pause = max_pause
        self._works: list[tuple[str, ChannelWork]] = []
        self.connected = asyncio.Event()
        self.node: str | None = None
        self.last_error: str | None = None
        """Why the link is down (the last connection attempt's error), for readiness."""

    def add(self, name: str, work: ChannelWork) -> None:
        self._works.append((name, work))

    async def connect(self) -> AbstractConnection:
        """A connection to the first node that answers, starting after the last one."""
        errors = []
        for _ in range(len(self._urls)):
            url = self._urls[self._next]
            self._next = (self._next + 1) % len(self._urls)
            try:
                connection = await aio_pika.connect(
                    url, timeout=self._timeout, client_properties={
                        "connection_name": self._name}, heartbeat=self._heartbeat)
            except (TimeoutError, OSError, ConnectionError,
                    aio_pika.exceptions.AMQPError) as exc:
                errors.append(f"{_redacted(url)}: {exc!r}")
                continue
            self.node = _redacted(url)
            return connection
        raise ConnectionError("no broker node reachable: " + "; ".join(errors))

    async def run(self) -> None:
        """Keep the works running until cancelled."""
        pause = 0.2
        while True:
            try:
                connection = await self.connect()
            except ConnectionError as exc:
                self.last_error = str(exc)
                log.warning("%s: %s; retrying in %.1fs", self._name, exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self._max_pause)
                continue
            began = time.monotonic()
            try:
                await self._run_on(connection)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the link is rebuilt whatever broke it
                self.last_error = f"connection to {self.node} lost ({type(exc).__name__})"
                log.warning("%s: connection to %s lost (%r); reconnecting in %.1fs",
                            self._name, self.node, exc, pause)
            finally:
                self.connected.clear()
                await _close_quietly(connection)
            # a link that held for a while starts again at once; one that keeps failing
            # (a missing queue, a refused permission) backs off
            pause = 0.2 if time.monotonic() - began > 30 else min(pause * 2, self._max_pause)
            await asyncio.sleep(pause)

    async def _run_on(self, connection: AbstractConnection) -> None:
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_close(*_: object) -> None:
            if not lost.done():
                lost.set_exception(LinkLost("broker connection closed"))

        connection.close_callbacks.add(on_close)
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(work(connection), name=name) for name, work in self._works]
        self.last_error = None
        self.connected.set()
        log.info("%s: connected to %s", self._name, self.node)
        try:
            waiting: Sequence[asyncio.Future[None]] = [lost, *tasks]
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                finished.result()  # raises what broke it
            raise LinkLost("a broker work ended")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not lost.done():
                lost.cancel()


async def _close_quietly(connection: AbstractConnection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 5.0)
    except Exception:  # noqa: S110 - a dead connection may fail to close; it is gone anyway
        pass
