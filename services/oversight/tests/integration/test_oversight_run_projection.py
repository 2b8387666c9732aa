"""A run's row in the reports moves forward only, and a batch that brings it nothing new
leaves it unlocked: instances competing for the chunks of one run do not wait for each
other's commit."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from siquan.oversight.adapters.batching import Writes
from siquan.oversight.adapters.projections import PgProjections
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually


async def _moved(conn: asyncpg.Connection, run_id: str, status: str) -> None:
    writes = Writes()
    PgProjections(conn, writes).run_moved(run_id, "special_assistance", "2026-11", "420117",
                                          status)
    await writes.flush(conn)


async def test_a_run_status_moves_forward_without_locking_an_unchanged_row(
        siquan_env: Environment, oversight: ServiceProcess) -> None:
    run_id = str(uuid.uuid4())
    first = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    second = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    try:
        await _moved(first, run_id, "started")
        await _moved(first, run_id, "paying")
        async with first.transaction():
            await _moved(first, run_id, "paying")  # nothing new: the row stays unlocked
            async with second.transaction():
                await second.execute("SET LOCAL lock_timeout = '2s'")
                await _moved(second, run_id, "paying")  # would wait for `first` if locked
                await _moved(second, run_id, "started")  # a late message: no step back
        assert await first.fetchval(
            "SELECT status FROM payment_runs WHERE run_id = $1", run_id) == "paying"
        # a race on a run neither has seen: one inserts, the other's conflict arm waits
        # for it and moves the status only forward
        other = str(uuid.uuid4())
        async with first.transaction():
            await _moved(first, other, "paying")
            waiting = asyncio.create_task(_moved(second, other, "started"))
            pid = second.get_server_pid()
            await eventually(lambda: first.fetchval(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid),
                timeout=10, interval=0.02, what="the second instance waiting for the first")
        await asyncio.wait_for(waiting, 10)
        assert await first.fetchval(
            "SELECT status FROM payment_runs WHERE run_id = $1", other) == "paying"
    finally:
        await first.close()
        await second.close()
