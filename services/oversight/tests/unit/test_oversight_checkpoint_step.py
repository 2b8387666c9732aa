"""A checkpoint publishes the chain's head when other events moved it."""

from __future__ import annotations

import secrets
from datetime import date

from siquan.contracts import public_security_v1 as public_security
from siquan.contracts.oversight_v1 import AuditCheckpoint
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.application.checkpoints import take_checkpoint
from siquan.oversight.application.recording import log_event


async def logged_death(uow: FakeOversightWork) -> None:
    batch = FakeOversightWork(uow.clock, store=uow.store)
    await batch.receive(public_security.DeathReported(
        report_id="PS-1", person_key=secrets.token_hex(32), date_of_death=date(2026, 11, 1)),
        log_event)
    await batch.commit()


async def test_a_moved_head_is_published_as_a_checkpoint(uow: FakeOversightWork) -> None:
    await logged_death(uow)

    checkpoint = await take_checkpoint(uow)

    assert checkpoint is not None
    assert (checkpoint.sequence, checkpoint.head_hash) == (1, uow.store.head.hash)
    assert uow.published(AuditCheckpoint) == [checkpoint]
    assert [seq for seq, *_ in uow.store.checkpoints] == [1]


async def test_a_head_moved_only_by_a_checkpoint_calls_for_no_other(
        uow: FakeOversightWork) -> None:
    await logged_death(uow)
    await take_checkpoint(uow)
    await uow.commit()
    later = FakeOversightWork(uow.clock, store=uow.store)
    await later.receive(uow.published(AuditCheckpoint)[0], log_event)
    await later.commit()

    assert await take_checkpoint(FakeOversightWork(uow.clock, store=uow.store)) is None


async def test_an_empty_chain_needs_no_checkpoint(uow: FakeOversightWork) -> None:
    assert await take_checkpoint(uow) is None
    assert uow.published() == []
