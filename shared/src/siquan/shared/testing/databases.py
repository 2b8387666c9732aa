"""A database of its own for a test: created on the session's PostgreSQL with the
statements the test needs, reached through a pool as a service's (`create_pool`: its
codecs), and dropped afterwards, connections and all."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from siquan.shared.database import create_pool


@asynccontextmanager
async def scratch_pool(admin_dsn: str, prefix: str, *statements: str
                       ) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a new database named `<prefix>_<random>`, after running `statements`."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            created = await create_pool(admin_dsn.rsplit("/", 1)[0] + f"/{name}")
            try:
                async with created.acquire() as conn:
                    for statement in statements:
                        await conn.execute(statement)
                yield created
            finally:
                await created.close()
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
