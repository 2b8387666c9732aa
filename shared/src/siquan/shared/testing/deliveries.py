"""Stand-ins for what the broker hands the batched consumer, for tests of the consumer
itself: a delivered message that counts its acknowledgements, and a dead-letter publisher
that keeps the reasons."""

from __future__ import annotations

from typing import Any


class RawDelivery:
    """Enough of an aio-pika IncomingMessage for the consumer."""

    def __init__(self, message_id: str, headers: dict[str, Any], body: bytes) -> None:
        self.message_id, self.headers, self.body = message_id, headers, body
        self.routing_key = self.type = str(headers.get("x-siquan-type", ""))
        self.correlation_id, self.content_type = None, "application/json"
        self.acked = 0

    async def ack(self) -> None:
        self.acked += 1


class KeptDeadLetters:
    """Dead-letters nothing; keeps each reason."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def publish(self, raw: Any, *, queue: str, reason: str) -> None:
        self.reasons.append(reason)
