"""Talking to a running environment the way a peer would: publish a signed event as a
producer (with that producer's own broker user and key), and tap an exchange to see what
a service published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika

from siquan.contracts.base import Event
from siquan.contracts.batches import entry_key
from siquan.contracts.topology import exchange_of
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.signing import key_id_of, load_private_key, sign
from siquan.shared.testing.environment import Environment


def _user_of(producer: str) -> str:
    return producer.replace("partner.", "partner_")


def signed_death_file(env: Environment, file_id: str, body: bytes) -> dict[str, str]:
    """The headers public security sends its daily death file with: signed as its
    messages are, over the file id, the signed headers and the file's bytes, with its own
    key."""
    key = load_private_key(env.keys_dir / "partner.public_security.key")
    headers = {"x-siquan-producer": "partner.public_security",
               "x-siquan-type": "public_security.death_file.v1",
               "x-siquan-occurred-at": datetime.now(UTC).isoformat()}
    return {**headers, "x-siquan-key-id": key_id_of(key.public_key()),
            "x-siquan-signature": sign(key, file_id, headers, body),
            "content-type": "text/csv; charset=utf-8"}


async def publish_as(env: Environment, event: Event, *, message_id: str | None = None,
                     headers_override: dict[str, Any] | None = None,
                     correlation_id: str | None = None,
                     signing_key: Path | None = None,
                     occurred_at: datetime | None = None) -> str:
    """Sign `event` with its producer's key (or the private key file `signing_key`) and
    publish it with its producer's user; it occurred now unless `occurred_at` says when
    (a message its producer wrote earlier and the broker delivers late)."""
    key_file = signing_key or env.keys_dir / f"{event.producer}.key"
    outbox = Outbox(event.producer, load_private_key(key_file))
    message_id = message_id or new_message_id()
    headers, body = outbox.envelope(event, message_id=message_id,
                                    correlation_id=correlation_id, causation_id=None,
                                    occurred_at=occurred_at)
    headers.update(headers_override or {})
    headers = {k: v for k, v in headers.items() if v is not None}
    amqp_headers: dict[str, Any] = dict(headers)
    connection = await aio_pika.connect(env.amqp_url(_user_of(event.producer)).split(",")[0])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_of(event.producer), ensure=False)
        await exchange.publish(
            aio_pika.Message(body, headers=amqp_headers, message_id=message_id,
                             type=event.routing_key, content_type="application/json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.routing_key)
    return message_id


@dataclass
class Tapped:
    routing_key: str
    message_id: str
    headers: dict[str, Any]
    body: dict[str, Any]


class EventTap:
    """Everything published to some exchanges while the tap is open (admin user): each
    event as its single message would have been, a batch's entries one by one (the
    batches as they came in `batches`)."""

    def __init__(self) -> None:
        self.seen: list[Tapped] = []
        self.batches: list[Tapped] = []

    def of_type(self, routing_key: str) -> list[Tapped]:
        return [t for t in self.seen if t.routing_key == routing_key]

    async def wait_for(self, routing_key: str, count: int = 1, timeout: float = 30.0
                       ) -> list[Tapped]:
        async def enough() -> bool:
            return len(self.of_type(routing_key)) >= count

        from siquan.shared.testing.waiting import eventually

        await eventually(enough, timeout=timeout, what=f"{count} × {routing_key}")
        return self.of_type(routing_key)


@asynccontextmanager
async def tap(env: Environment, *producers: str) -> AsyncIterator[EventTap]:
    result = EventTap()
    connection = await aio_pika.connect(
        env.admin_amqp_url.rstrip("/") + "/" + env.name)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for producer in producers:
            await queue.bind(exchange_of(producer), routing_key="#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                key, headers = message.routing_key or "", dict(message.headers or {})
                body = json.loads(message.body)
                single = entry_key(key)
                if single is None:
                    result.seen.append(Tapped(key, message.message_id or "", headers, body))
                    return
                result.batches.append(Tapped(key, message.message_id or "", headers, body))
                result.seen += [Tapped(single, entry["message_id"],
                                       {**headers, "x-siquan-type": single}, entry["event"])
                                for entry in body["events"]]

        await queue.consume(on_message)
        yield result
        await asyncio.sleep(0)
