"""Checkpoints: every so often, publish the chain's head (sequence and hash) so outsiders
can pin it; an altered database cannot then rewrite history before a checkpoint unseen.

Only movement caused by other events counts: the checkpoint's own audit entry moves the
head too, and must not trigger another checkpoint forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from siquan.contracts.oversight_v1 import AuditCheckpoint
from siquan.contracts.topology import RoutingKey
from siquan.oversight.application.ports import AuditUnit


async def take_checkpoint(uow: AuditUnit) -> AuditCheckpoint | None:
    """Publish (through the outbox) a checkpoint of the head if it moved since the last."""
    head = await uow.audit.lock_head()
    if not await uow.audit.moved_since_checkpoint(RoutingKey.AUDIT_CHECKPOINT):
        return None
    checkpoint = AuditCheckpoint(sequence=head.seq, head_hash=head.hash, at=uow.now())
    message_id = uow.publish(checkpoint)
    await uow.audit.record_checkpoint(head, message_id, checkpoint.at)
    return checkpoint


def checkpoint_loop(units: Callable[[], AbstractAsyncContextManager[Any]],
                    every_seconds: float) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            async with units() as uow:
                await take_checkpoint(uow)

    return loop
