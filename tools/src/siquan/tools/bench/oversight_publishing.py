"""Publishing signed events as their producers would, with publisher confirms awaited in
windows (aio-pika), for the oversight ingestion benchmark."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika

from siquan.contracts.base import Event
from siquan.contracts.topology import exchange_of
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment


def _user_of(producer: str) -> str:
    return producer.replace(".", "_")


class Publisher:
    """Signs events as their producers and publishes them with confirms in windows."""

    def __init__(self, env: Environment, window: int) -> None:
        self._env, self._window = env, window
        self._outboxes: dict[str, Outbox] = {}
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self._pending: list[asyncio.Future[Any]] = []
        self._connections: list[aio_pika.abc.AbstractConnection] = []

    async def _exchange(self, producer: str) -> aio_pika.abc.AbstractExchange:
        if producer not in self._exchanges:
            connection = await aio_pika.connect(self._env.amqp_url(_user_of(producer)))
            self._connections.append(connection)
            channel = await connection.channel(publisher_confirms=True)
            self._exchanges[producer] = await channel.get_exchange(exchange_of(producer),
                                                                   ensure=False)
            self._outboxes[producer] = Outbox(producer, load_private_key(
                self._env.keys_dir / f"{producer}.key"))
        return self._exchanges[producer]

    async def publish(self, event: Event, correlation_id: str) -> None:
        exchange = await self._exchange(event.producer)
        message_id = new_message_id()
        headers, body = self._outboxes[event.producer].envelope(
            event, message_id=message_id, correlation_id=correlation_id, causation_id=None,
            trace_context={})
        self._pending.append(asyncio.ensure_future(exchange.publish(aio_pika.Message(
            body, headers=dict(headers), message_id=message_id, type=event.routing_key,
            content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.routing_key)))
        if len(self._pending) >= self._window:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)

    async def close(self) -> None:
        await self.flush()
        for connection in self._connections:
            await connection.close()
