"""A service's pool compresses the long values it writes as its settings say, on every
connection and after every reset of one; many rows go in with one statement, whole or
not at all; instances starting together migrate the database one after the other."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from siquan.shared.database import by_key, create_pool, hashing_small_tables, insert_rows
from siquan.shared.testing.waiting import eventually


@pytest.fixture
async def dsn(servers: tuple[str, str]) -> AsyncIterator[str]:
    name = f"siquan_t_database_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(servers[1])
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield servers[1].rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def _compressions(pool: asyncpg.Pool) -> list[str]:
    """How a long value written on each of the pool's connections was compressed."""
    found = []
    for _ in range(3):  # released and taken again: the pool resets the connection between
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO long_values VALUES ($1)", "零" * 200_000)
    for row in await pool.fetch("SELECT pg_column_compression(v) AS c FROM long_values"):
        found.append(row["c"])
    return found


async def test_a_pool_compresses_long_values_with_the_method_it_was_given(dsn: str) -> None:
    async with await create_pool(dsn, max_size=1, toast_compression="lz4") as pool:
        offered, default = await pool.fetchrow(
            "SELECT 'lz4' = ANY(enumvals), boot_val FROM pg_settings"
            " WHERE name = 'default_toast_compression'")
        await pool.execute("CREATE TABLE long_values (v text)")

        # a server built without lz4 keeps its own default (the pool warns of it)
        assert await _compressions(pool) == ["lz4" if offered else default] * 3


async def test_a_pool_without_a_method_keeps_the_servers_default(dsn: str) -> None:
    async with await create_pool(dsn, max_size=1) as pool:
        default = await pool.fetchval("SELECT setting FROM pg_settings"
                                      " WHERE name = 'default_toast_compression'")
        await pool.execute("CREATE TABLE long_values (v text)")

        assert await _compressions(pool) == [default] * 3


async def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="zstd"):
        await create_pool("postgresql://nobody@127.0.0.1:1/none", toast_compression="zstd")


async def test_a_listening_block_ended_after_its_connection_was_lost_keeps_its_own_reason(
        dsn: str) -> None:
    """The server ended the listening connection (an operator's pg_terminate_backend, a
    restart): the block's own end (here a cancellation, as at shutdown) is what propagates,
    not the pool's refusal to remove a listener from a connection already gone."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from siquan.shared.clock import SystemClock
    from siquan.shared.outbox import Outbox
    from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

    heard: list[str] = []
    async with await create_pool(dsn, max_size=2) as pool:
        units = UnitsOfWork(lambda: pool, Outbox("oversight", Ed25519PrivateKey.generate()),
                            SystemClock(), PgUnitOfWork)
        admin = await asyncpg.connect(dsn)
        try:
            with pytest.raises(LookupError, match="the block's own"):
                async with units.listening("wake", lambda *args: heard.append(args[-1])):
                    await pool.execute("NOTIFY wake, 'first'")
                    ended = await admin.fetchval(
                        "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND query LIKE 'LISTEN%'")
                    assert ended
                    raise LookupError("the block's own reason")
        finally:
            await admin.close()


async def test_rows_inserted_together_go_in_whole_or_not_at_all(dsn: str) -> None:
    async with await create_pool(dsn, max_size=1) as pool, pool.acquire() as conn:
        await conn.execute("CREATE TABLE kept (id int PRIMARY KEY, at date, facts jsonb,"
                           " note text)")
        columns = {"id": "int", "at": "date", "facts": "jsonb", "note": "text"}
        await insert_rows(conn, "kept", columns, [])
        await insert_rows(conn, "kept", columns, [(1, None, {"a": [1]}, "一"),
                                                  (2, None, None, None)])
        with pytest.raises(asyncpg.UniqueViolationError):
            await insert_rows(conn, "kept", columns, [(3, None, None, "x"),
                                                      (1, None, None, "again")])

        rows = await conn.fetch("SELECT id, facts, note FROM kept ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, {"a": [1]}, "一"), (2, None, None)]



async def _planner(conn: asyncpg.Connection) -> tuple[str, str, str]:
    return tuple(await conn.fetchrow(  # type: ignore[return-value]
        "SELECT current_setting('enable_hashjoin'), current_setting('enable_seqscan'),"
        " current_setting('enable_bitmapscan')"))


async def test_planner_settings_hold_within_their_block_and_are_restored_after(
        dsn: str) -> None:
    async with await create_pool(dsn, max_size=1) as pool, pool.acquire() as conn, \
            conn.transaction():
        assert await _planner(conn) == ("on", "on", "on")
        async with by_key(conn):
            assert await _planner(conn) == ("off", "off", "on")
            async with hashing_small_tables(conn):
                assert await _planner(conn) == ("on", "off", "on")
            assert await _planner(conn) == ("off", "off", "on")
        assert await _planner(conn) == ("on", "on", "on")
        async with by_key(conn, in_key_order=True):
            assert await _planner(conn) == ("off", "off", "off")
        assert await _planner(conn) == ("on", "on", "on")
        # outside `by_key` hashing is already allowed, and stays so
        async with hashing_small_tables(conn):
            assert await _planner(conn) == ("on", "on", "on")
        assert await _planner(conn) == ("on", "on", "on")


_GATE = 4242
"""An advisory lock the test holds: the migration waits on it, so every instance is
started and waiting before any of them goes on."""
_REVISION = f'''
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute("SELECT pg_advisory_xact_lock_shared({_GATE})")
    op.execute("CREATE TABLE started (instance integer)")
'''


async def test_instances_starting_together_migrate_one_after_the_other(
        dsn: str, tmp_path: Path) -> None:
    """Three processes (as three instances of a service) migrate a new database at once."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(
        "from siquan.shared.alembic_env import run_migrations\n\nrun_migrations()\n")
    (tmp_path / "versions" / "0001_started.py").write_text(_REVISION)
    gate = await asyncpg.connect(dsn)
    try:
        await gate.execute(f"SELECT pg_advisory_lock({_GATE})")
        started = [await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import asyncio, sys; from siquan.shared.database import"
            " migrate; from pathlib import Path;"
            " asyncio.run(migrate(sys.argv[1], Path(sys.argv[2])))",
            dsn, str(tmp_path), stderr=asyncio.subprocess.PIPE) for _ in range(3)]

        async def all_waiting() -> bool:  # at the gate, or behind the one that is
            waiting = await gate.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            return bool(waiting == 3)

        await eventually(all_waiting, timeout=60, what="three instances migrating at once")
        await gate.execute(f"SELECT pg_advisory_unlock({_GATE})")
        errors = [(await p.communicate())[1].decode()[-600:] for p in started]

        assert [p.returncode for p in started] == [0, 0, 0], errors
        assert await gate.fetch("SELECT version_num FROM alembic_version") == [("0001",)]
        assert await gate.fetchval("SELECT count(*) FROM started") == 0
    finally:
        await gate.close()
