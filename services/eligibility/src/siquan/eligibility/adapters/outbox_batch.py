"""Many events into the outbox in one statement: a batch command (an import, a notice, an
approval) queues thousands of events in its own transaction. Each is signed exactly as
`Outbox.add` signs it; the relay is woken once."""

from __future__ import annotations

from collections.abc import Sequence

from siquan.contracts.base import Event
from siquan.contracts.topology import exchange_of
from siquan.shared.database import Connection
from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL
from siquan.shared.outbox import Outbox, new_message_id


async def add_many(conn: Connection, outbox: Outbox, events: Sequence[Event], *,
                   correlation_id: str | None = None) -> None:
    if not events:
        return
    exchange = exchange_of(outbox.producer)
    rows = []
    for event in events:
        message_id = new_message_id()
        headers, body = outbox.envelope(event, message_id=message_id,
                                        correlation_id=correlation_id, causation_id=None)
        rows.append((message_id, exchange, event.routing_key, headers, body))
    await conn.executemany(
        "INSERT INTO outbox (message_id, exchange, routing_key, headers, body)"
        " VALUES ($1, $2, $3, $4, $5)", rows)
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_NOTIFY_CHANNEL)
