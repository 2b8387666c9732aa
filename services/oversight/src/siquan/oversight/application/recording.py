"""Recording an event: append it to the audit chain and update the report projections,
in the transaction the consumer opened for it (with its inbox row)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from siquan.oversight.adapters import audit_log
from siquan.oversight.application.projection import project
from siquan.oversight.domain.chain import link
from siquan.oversight.domain.envelope import envelope_of
from siquan.shared.consumer import Received

Watcher = Callable[[Received], Awaitable[None]]


def recorder(*watchers: Watcher) -> Callable[[Received], Awaitable[None]]:
    """The handler for every event: log and project it, then let each watcher (the public
    side, the reconciliation rules) act on it in the same transaction."""

    async def handle(received: Received) -> None:
        if await record_event(received):
            for watch in watchers:
                await watch(received)

    return handle


async def record_event(received: Received) -> bool:
    """Log every verified event once, in arrival order, and project it; False when it was
    logged before."""
    conn = received.conn
    head = await audit_log.lock_head(conn)
    if await audit_log.is_logged(conn, received.message_id):
        return False
    body = await audit_log.as_stored(conn, json.loads(received.body))
    envelope = envelope_of(received.message_id, received.headers, body, datetime.now(UTC))
    await audit_log.append(conn, link(envelope, after_seq=head.seq, after_hash=head.hash))
    await project(conn, received.event)
    return True
