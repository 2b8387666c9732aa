"""A service's start waits out its database: each step that fails because the database is
away (a session ended under it mid-query, as a restart does) is done again until the start's
deadline; any other error ends the start at once."""

from __future__ import annotations

import time

import asyncpg
import pytest

from siquan.shared.runtime import while_database_away


def _session_ended_mid_query() -> Exception:
    """What asyncpg raises when the server ends the session inside a unit's transaction: the
    query's ConnectionDoesNotExistError, then the transaction's exit on a closed connection."""
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError(
                "connection was closed in the middle of operation")
        except asyncpg.exceptions.ConnectionDoesNotExistError as lost:
            raise asyncpg.InterfaceError(
                "cannot call Transaction.__aexit__(): the underlying connection is closed"
            ) from lost
    except asyncpg.InterfaceError as exc:
        return exc


async def test_a_step_the_database_went_away_under_is_done_again() -> None:
    calls = 0

    async def load_policies() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise _session_ended_mid_query()

    await while_database_away(load_policies, time.monotonic() + 30, "eligibility")

    assert calls == 3


async def test_any_other_error_ends_the_start_at_once() -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a roster file that does not parse")

    with pytest.raises(ValueError, match="roster"):
        await while_database_away(broken, time.monotonic() + 30, "eligibility")
    assert calls == 1


async def test_the_database_still_away_at_the_deadline_ends_the_start() -> None:
    async def away() -> None:
        raise _session_ended_mid_query()

    with pytest.raises(asyncpg.InterfaceError):
        await while_database_away(away, time.monotonic() - 1, "eligibility")
