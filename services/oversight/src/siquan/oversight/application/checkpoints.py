"""Checkpoints: every so often, publish the chain's head (sequence and hash) so outsiders
can pin it; an altered database cannot then rewrite history before a checkpoint unseen.

Only movement caused by other events counts: the checkpoint's own audit entry moves the
head too, and must not trigger another checkpoint forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from siquan.contracts.oversight_v1 import AuditCheckpoint
from siquan.contracts.topology import RoutingKey
from siquan.oversight.adapters import audit_log
from siquan.shared.outbox import Outbox


async def take_checkpoint(pool: asyncpg.Pool, outbox: Outbox) -> AuditCheckpoint | None:
    """Publish (through the outbox) a checkpoint of the head if it moved since the last."""
    async with pool.acquire() as conn, conn.transaction():
        head = await audit_log.lock_head(conn)
        if not await audit_log.moved_since_last_checkpoint(conn, RoutingKey.AUDIT_CHECKPOINT):
            return None
        checkpoint = AuditCheckpoint(sequence=head.seq, head_hash=head.hash,
                                     at=datetime.now(UTC))
        message_id = await outbox.add(conn, checkpoint)
        await audit_log.record_checkpoint(conn, head, message_id, checkpoint.at)
    return checkpoint


def checkpoint_loop(pool: Callable[[], asyncpg.Pool], outbox: Outbox,
                    every_seconds: float) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            await take_checkpoint(pool(), outbox)

    return loop
