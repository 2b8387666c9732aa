"""The transactional outbox: events are written in the same transaction as the state they
describe, signed, with the trace context of the work that produced them. Only the relay
(`relay.py`) talks to the broker."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry import propagate
from uuid6 import uuid7

from siquan.contracts.base import Event
from siquan.contracts.topology import exchange_of
from siquan.shared.database import Connection
from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL
from siquan.shared.signing import SIGNATURE_HEADER, sign


def new_message_id() -> str:
    return str(uuid7())


class Outbox:
    """Writes a producer's signed events into its outbox table."""

    def __init__(self, producer: str, signing_key: Ed25519PrivateKey) -> None:
        self.producer = producer
        self._key = signing_key
        self._exchange = exchange_of(producer)

    def envelope(self, event: Event, *, message_id: str, correlation_id: str | None,
                 causation_id: str | None) -> tuple[dict[str, str], bytes]:
        """Headers (signed) and body for an event; the trace context rides along unsigned."""
        if event.producer != self.producer:
            raise ValueError(f"{self.producer} cannot publish {event.routing_key}")
        body = event.model_dump_json().encode()
        headers: dict[str, str] = {
            "x-siquan-producer": self.producer,
            "x-siquan-type": event.routing_key,
            "x-siquan-occurred-at": datetime.now(UTC).isoformat(),
            "x-siquan-correlation-id": correlation_id or message_id,
            "x-siquan-causation-id": causation_id or "",
        }
        headers[SIGNATURE_HEADER] = sign(self._key, message_id, headers, body)
        propagate.inject(headers)
        return headers, body

    async def add(self, conn: Connection, event: Event, *,
                  correlation_id: str | None = None, causation_id: str | None = None) -> str:
        """Queue an event for publication inside the caller's transaction."""
        message_id = new_message_id()
        headers, body = self.envelope(event, message_id=message_id,
                                      correlation_id=correlation_id, causation_id=causation_id)
        await conn.execute(
            "INSERT INTO outbox (message_id, exchange, routing_key, headers, body)"
            " VALUES ($1, $2, $3, $4, $5)",
            message_id, self._exchange, event.routing_key, headers, body)
        await conn.execute("SELECT pg_notify($1, '')", OUTBOX_NOTIFY_CHANNEL)
        return message_id
