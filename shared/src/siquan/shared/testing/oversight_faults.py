"""Faults planted in oversight's own processing, for tests of what oversight does when it
fails itself (the message dead-lettered, the evidence incomplete)."""

from __future__ import annotations

import asyncpg

from siquan.shared.testing.environment import Environment


async def fail_certifications_of(env: Environment, person_key: str, *, on: bool) -> None:
    """Make oversight's handler of a person's certification fail (a constraint its insert
    breaks: a permanent error, so the message is dead-lettered), or stop it failing."""
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        if on:
            await conn.execute(
                "ALTER TABLE watched_certifications ADD CONSTRAINT test_refuses_person"
                f" CHECK (person_key <> '{person_key}') NOT VALID")
        else:
            await conn.execute("ALTER TABLE watched_certifications"
                               " DROP CONSTRAINT test_refuses_person")
    finally:
        await conn.close()
