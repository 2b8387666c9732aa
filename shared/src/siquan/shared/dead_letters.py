"""Dead letters: messages a service could not take, kept with the reason in a header, and
the operator's way to look at them, replay them once the cause is fixed, or discard them.

Each service owns `siquan.<service>.dlx` (where its dead letters go) and
`siquan.<service>.replay` (to which each of its queues is bound by its own name), so a
replay reaches exactly the queue the message came from and no other service's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from siquan.contracts.topology import (
    dead_letter_exchange_of,
    dead_letter_queue_of,
    replay_exchange_of,
)

REASON_HEADER = "x-siquan-dead-letter-reason"
QUEUE_HEADER = "x-siquan-dead-letter-queue"
AT_HEADER = "x-siquan-dead-lettered-at"
_OWN_HEADERS = (REASON_HEADER, QUEUE_HEADER, AT_HEADER)


class DeadLetterPublisher:
    """Publishes a service's dead letters with publisher confirms, on a channel of the
    connection its consumers use."""

    def __init__(self, service: str) -> None:
        self._exchange_name = dead_letter_exchange_of(service)
        self._channel: AbstractChannel | None = None
        self.published = 0

    async def open(self, connection: AbstractConnection) -> None:
        if self._channel is None or self._channel.is_closed:
            self._channel = await connection.channel(publisher_confirms=True)

    async def publish(self, raw: AbstractIncomingMessage, *, queue: str, reason: str) -> None:
        if self._channel is None:
            raise ConnectionError("dead-letter channel not open")
        headers: dict[str, Any] = dict(raw.headers or {})
        headers.update({REASON_HEADER: reason[:1000], QUEUE_HEADER: queue,
                        AT_HEADER: datetime.now(UTC).isoformat()})
        exchange = await self._channel.get_exchange(self._exchange_name, ensure=False)
        await exchange.publish(
            aio_pika.Message(raw.body, headers=headers, message_id=raw.message_id,
                             correlation_id=raw.correlation_id, type=raw.type,
                             content_type=raw.content_type,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=raw.routing_key or "unknown", mandatory=False)
        self.published += 1


def _summary(message: AbstractIncomingMessage) -> dict[str, Any]:
    headers = message.headers or {}
    return {"message_id": message.message_id, "type": message.routing_key,
            "producer": headers.get("x-siquan-producer"),
            "queue": headers.get(QUEUE_HEADER), "reason": headers.get(REASON_HEADER),
            "at": headers.get(AT_HEADER)}


async def list_dead_letters(amqp_url: str, service: str, limit: int = 100) -> list[dict[str, Any]]:
    """Peek at dead letters without removing them."""
    found: list[dict[str, Any]] = []
    connection = await aio_pika.connect(amqp_url.split(",")[0])
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(dead_letter_queue_of(service), ensure=False)
        held = []
        while len(found) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
            found.append(_summary(message))
        for message in held:
            await message.nack(requeue=True)
    return found


async def replay_dead_letters(amqp_url: str, service: str,
                              message_id: str | None = None) -> int:
    """Send dead letters back to the queue they came from (all, or one by message id)."""
    replayed = 0
    connection = await aio_pika.connect(amqp_url.split(",")[0])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.get_queue(dead_letter_queue_of(service), ensure=False)
        replay = await channel.get_exchange(replay_exchange_of(service), ensure=False)
        keep = []
        while True:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if message_id is not None and message.message_id != message_id:
                keep.append(message)
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if k not in _OWN_HEADERS}
            await replay.publish(
                aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                 correlation_id=message.correlation_id, type=message.type,
                                 content_type=message.content_type,
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=str(message.headers.get(QUEUE_HEADER, "")))
            await message.ack()
            replayed += 1
        for message in keep:
            await message.nack(requeue=True)
    return replayed


def main(argv: list[str] | None = None) -> int:
    """`python -m siquan.shared.dead_letters {list,replay} SERVICE [--message-id ID]`, with
    the service's own broker URL in SIQUAN_AMQP_URL."""
    import argparse
    import asyncio
    import json
    import os

    parser = argparse.ArgumentParser(description="Inspect and replay a service's dead letters")
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("service")
    parser.add_argument("--message-id", default=None, help="replay only this message")
    args = parser.parse_args(argv)
    url = os.environ["SIQUAN_AMQP_URL"]
    if args.action == "list":
        letters = asyncio.run(list_dead_letters(url, args.service))
        print(json.dumps(letters, indent=2, ensure_ascii=False, default=str))
    else:
        count = asyncio.run(replay_dead_letters(url, args.service, args.message_id))
        print(json.dumps({"replayed": count}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
