"""PostgreSQL access: an asyncpg pool and Alembic migrations run from a service's own tree."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
from alembic import command
from alembic.config import Config
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection, taken directly or from a pool."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size,
                                     init=_init_connection)
    assert pool is not None
    return pool


def alembic_config(dsn: str, script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


async def migrate(dsn: str, script_location: Path) -> None:
    """Bring a service's database to its newest migration (runs Alembic in a thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(dsn, script_location), "head")
