"""PostgreSQL access: an asyncpg pool and Alembic migrations run from a service's own tree."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
from alembic import command
from alembic.config import Config
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection, taken directly or from a pool."""

log = logging.getLogger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def _compression_settings(dsn: str, method: str) -> dict[str, str]:
    """The startup setting that has a connection compress long values with `method` ("" or
    one the server was built without: none, the server's default is kept — only the cost of
    compressing differs). A startup setting, so a pool's reset (RESET ALL) keeps it."""
    if not method:
        return {}
    conn = await asyncpg.connect(dsn)
    try:
        offered = await conn.fetchval(
            "SELECT $1 = ANY(enumvals) FROM pg_settings"
            " WHERE name = 'default_toast_compression'", method)
    finally:
        await conn.close()
    if not offered:
        log.warning("this PostgreSQL cannot compress with %s: its default is used", method)
        return {}
    return {"default_toast_compression": method}


BY_KEY = ("SET LOCAL jit = off; SET LOCAL enable_hashjoin = off;"
          " SET LOCAL enable_mergejoin = off; SET LOCAL enable_seqscan = off;"
          " SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB'")
"""For the rest of the transaction, keep the planner on index lookups: a batch's thousands
of rows in tables of millions, by key. A hash join or a sequential scan would read a whole
table per batch (a million certifications for a chunk of ten thousand payments, or every
payment stored to find the batch's own) where its estimate of the batch is off; JIT and
parallel workers cost more than they save on such a batch. A batch's rows kept between
the steps of one statement (a materialized CTE) stay in memory rather than a temporary
file."""
IN_KEY_ORDER = "; SET LOCAL enable_bitmapscan = off"
"""With `BY_KEY`, for a statement that reads a range of an index and wants its rows in
that index's order: an index scan of the range hands them over sorted, where a bitmap
scan reads the same pages and leaves the rows to a sort (about a third of the time of
disbursement's read of a chunk of 10,000 payments)."""
PLANNED = ("SET LOCAL jit = DEFAULT; SET LOCAL enable_hashjoin = DEFAULT;"
           " SET LOCAL enable_mergejoin = DEFAULT; SET LOCAL enable_seqscan = DEFAULT;"
           " SET LOCAL max_parallel_workers_per_gather = DEFAULT; SET LOCAL work_mem = DEFAULT;"
           " SET LOCAL enable_bitmapscan = DEFAULT")
"""The planner's own choices again, for the transaction's next statements."""


async def insert_rows(conn: Connection, table: str, columns: dict[str, str],
                      rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows with one statement, each column an array of its PostgreSQL type
    (`columns`: name to type) unnested: one plan and one execution for the batch, where
    `executemany` runs the statement once per row. Like it, the batch goes in whole or not
    at all (a unique violation raises for the whole)."""
    if not rows:
        return
    arrays = [list(values) for values in zip(*rows, strict=True)]
    names = ", ".join(columns)
    unnest = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(columns.values(), start=1))
    # the table and its columns are the calling repository's constants, never input
    statement = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({unnest})"  # noqa: S608
    await conn.execute(statement, *arrays)


@asynccontextmanager
async def by_key(conn: Connection, *, in_key_order: bool = False) -> AsyncIterator[None]:
    """The statements within planned as `BY_KEY` (and `IN_KEY_ORDER` when asked); those
    after, as the planner chooses (a statement that fails aborts the transaction, and the
    setting goes with it)."""
    await conn.execute(BY_KEY + IN_KEY_ORDER if in_key_order else BY_KEY)
    yield
    await conn.execute(PLANNED)


@asynccontextmanager
async def hashing_small_tables(conn: Connection) -> AsyncIterator[None]:
    """Within `by_key`, the statements within may also join by hash; the setting before
    the block is restored after it. For a statement whose every lookup in a large table is
    a LATERAL subquery (a hash join cannot replace it, so each stays a lookup by key per
    row) and whose other joins are to a few rows (a batch's runs, the policy's amounts),
    which a nested loop would look up again for each of the batch's thousands of rows."""
    before = await conn.fetchval("SELECT current_setting('enable_hashjoin')")
    await conn.execute("SET LOCAL enable_hashjoin = on")
    yield
    await conn.execute("SELECT set_config('enable_hashjoin', $1, true)", before)


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10,
                      toast_compression: str = "") -> asyncpg.Pool:
    """A pool whose connections decode jsonb, and compress long values with
    `toast_compression` when given ("pglz" or "lz4")."""
    if toast_compression not in ("", "pglz", "lz4"):
        raise ValueError(f"unknown TOAST compression {toast_compression!r}")
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection,
        server_settings=await _compression_settings(dsn, toast_compression))
    assert pool is not None
    return pool


_CONNECTION_LOST = (asyncpg.InterfaceError, asyncpg.InternalClientError,
                    asyncpg.PostgresError, OSError)


@asynccontextmanager
async def listening(pool: asyncpg.Pool, channel: str, callback: Callable[..., None]
                    ) -> AsyncIterator[None]:
    """Hear PostgreSQL NOTIFY on `channel` while the block runs, on a connection of the
    pool held for it (outside any transaction).

    On a connection the server ended (pg_terminate_backend, a restart) the UNLISTEN and
    the pool's reset fail, and must not replace the reason the block ended (at shutdown,
    its cancellation): the pool replaces such a connection by itself."""
    conn = await pool.acquire()
    try:
        await conn.add_listener(channel, callback)
        yield
    finally:
        try:
            await conn.remove_listener(channel, callback)
        except _CONNECTION_LOST:
            pass
        try:
            await pool.release(conn)
        except _CONNECTION_LOST:
            pass


def alembic_config(dsn: str, script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


async def migrate(dsn: str, script_location: Path) -> None:
    """Bring a service's database to its newest migration (runs Alembic in a thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(dsn, script_location), "head")
