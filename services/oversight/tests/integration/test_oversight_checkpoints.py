"""Checkpoints: when the chain moved, oversight publishes its head (sequence and hash); the
checkpoint itself enters the chain but does not call for another one."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts import public_security_v1 as public_security
from siquan.contracts.topology import RoutingKey
from siquan.oversight.adapters.unit_of_work import OversightUnits
from siquan.oversight.application.checkpoints import take_checkpoint
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.shared.clock import SystemClock
from siquan.shared.database import create_pool
from siquan.shared.outbox import Outbox
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import Tapped, publish_as, tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]


@pytest.fixture
async def checkpointing_oversight(siquan_env: Environment, oversight: ServiceProcess,
                                  tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    """A second oversight process (a competing consumer) that checkpoints every 0.5 s."""
    env = {**siquan_env.service_env("oversight", port=free_port()),
           "SIQUAN_CHECKPOINT_SECONDS": "0.5"}
    process = ServiceProcess("oversight", env, tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


async def checkpoint_covering_an_event(env: Environment, logged: Logged
                                       ) -> tuple[Tapped, dict[str, Any]]:
    """Publish an event; return the first checkpoint that covers it and its audit entry."""
    correlation = f"checkpoint-{uuid.uuid4()}"
    async with tap(env, "oversight") as published:
        await publish_as(env, public_security.DeathReported(
            report_id="PS-cp", person_key=secrets.token_hex(32),
            date_of_death=date(2026, 11, 3)), correlation_id=correlation)
        [entry] = await logged(correlation, 1)

        async def covering() -> Tapped | None:
            return next((t for t in published.of_type(RoutingKey.AUDIT_CHECKPOINT)
                         if t.body["sequence"] >= entry["seq"]), None)

        checkpoint = await eventually(covering, what="a checkpoint covering the event")
    [logged_checkpoint] = await logged(checkpoint.message_id, 1)
    return checkpoint, logged_checkpoint


async def test_a_moved_chain_head_is_published_as_a_checkpoint_and_logged(
        siquan_env: Environment, checkpointing_oversight: ServiceProcess, logged: Logged,
        ) -> None:
    checkpoint, entry = await checkpoint_covering_an_event(siquan_env, logged)

    assert entry["message_type"] == RoutingKey.AUDIT_CHECKPOINT
    assert entry["producer"] == "oversight"
    assert entry["body"]["head_hash"] == checkpoint.body["head_hash"]
    assert entry["seq"] > checkpoint.body["sequence"]


async def test_a_chain_moved_only_by_checkpoints_needs_no_new_checkpoint(
        siquan_env: Environment, checkpointing_oversight: ServiceProcess, logged: Logged,
        ) -> None:
    await checkpoint_covering_an_event(siquan_env, logged)
    checkpointing_oversight.stop()
    pool = await create_pool(siquan_env.pg_dsn("oversight"), max_size=1)
    outbox = Outbox("oversight", load_private_key(siquan_env.keys_dir / "oversight.key"))
    units = OversightUnits(lambda: pool, outbox, SystemClock(), RuleConfig())
    try:
        async with units() as uow:
            assert await take_checkpoint(uow) is None
    finally:
        await pool.close()
