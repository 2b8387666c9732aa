"""Disbursement pays a person for a period in one of two programs the policy declares
exclusive, even when both reach it certified (before the declaration, by a migrated roster
or in error): a run skips the person, with the reason, where the other program paid them
for the period or holds their older certification in force for it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import asyncpg
import pytest

from siquan.contracts.policy import load_catalogue
from siquan.disbursement.adapters.runs import PgRuns
from siquan.disbursement.domain.roster import EXCLUSIVE_PAID
from siquan.shared.person import person_key
from siquan.shared.testing.messages import tap

from .conftest import SECRET, account_number, resident_id

REWARD, ASSISTANCE = "contraception_reward", "reward_assistance_rural"


def key(n: int) -> str:
    return person_key(SECRET, resident_id(n))


async def _pay(world: Any, period: str, program: str) -> dict[str, Any]:
    """Start the program's run, let fund custody approve it and wait for its end: the
    run's answer."""
    async with tap(world.env, "disbursement") as seen:
        started = await world.start_run(period, program)
        assert started.status_code == 201, started.text
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")
    body: dict[str, Any] = started.json()
    return body


async def test_a_person_certified_in_two_exclusive_programs_is_paid_by_one(
        world: Any) -> None:
    catalogue = load_catalogue()
    assert ASSISTANCE in catalogue.exclusive_with(REWARD)
    world.start()
    # 1: the reward first, then assistance too; 2: assistance only; 3: assistance first,
    # then the reward too
    for n, program, since in ((1, REWARD, date(2024, 1, 1)),
                              (1, ASSISTANCE, date(2025, 1, 1)),
                              (2, ASSISTANCE, date(2025, 1, 1)),
                              (3, ASSISTANCE, date(2024, 1, 1)),
                              (3, REWARD, date(2025, 1, 1))):
        await world.grant(n, "standard", since, program=program,
                          policy_version="national-2009")
    await world.await_certifications(5)
    for n in (1, 2, 3):
        assert (await world.register(n)).status_code == 201

    reward = await _pay(world, "2026", REWARD)
    assert reward["control_totals"]["payee_count"] == 1
    assert [(s["person_key"], s["reason"]) for s in reward["skipped"]] == [
        (key(3), EXCLUSIVE_PAID)]  # assistance holds the older certification

    assistance = await _pay(world, "2026", ASSISTANCE)
    assert assistance["control_totals"]["payee_count"] == 2
    assert [(s["person_key"], s["reason"]) for s in assistance["skipped"]] == [
        (key(1), EXCLUSIVE_PAID)]  # the reward paid them for 2026 already
    kept = await world.run(assistance["run_id"])
    assert [s["reason"] for s in kept["skipped"]] == [EXCLUSIVE_PAID]

    paid = await world.db_rows("SELECT person_key, program_code, period, amount_fen"
                               " FROM payments WHERE status = 'settled'")
    amount = {program: catalogue.amount_for(program, "standard", "2026")
              for program in (REWARD, ASSISTANCE)}
    assert sorted(tuple(r) for r in paid) == sorted([
        (key(1), REWARD, "2026", amount[REWARD]),
        (key(2), ASSISTANCE, "2026", amount[ASSISTANCE]),
        (key(3), ASSISTANCE, "2026", amount[ASSISTANCE])])
    transfers = await world.bank_transfers()
    assert Counter(t["account_number"] for t in transfers) == {
        account_number(n): 1 for n in (1, 2, 3)}


async def test_starts_of_two_exclusive_programs_wait_for_each_other_in_a_division(
        world: Any) -> None:
    """The roster of one exclusive program's run is frozen after the other's payments are
    committed, whatever their periods: its start waits for the other's to commit. Runs of
    a program exclusive with neither, or in another division, do not wait."""
    catalogue = load_catalogue()
    assert ASSISTANCE in catalogue.exclusive_with(REWARD)
    unrelated = next(p for p in ("special_assistance", "girls_scholarship")
                     if not catalogue.exclusive_with(p) & {REWARD, ASSISTANCE}
                     and p not in (REWARD, ASSISTANCE))
    first = await asyncpg.connect(world.env.pg_dsn("disbursement"))
    second = await asyncpg.connect(world.env.pg_dsn("disbursement"))
    try:
        async with first.transaction():
            await PgRuns(first).lock_roster(REWARD, "2026", "420117",
                                            exclusive_with=catalogue.exclusive_with(REWARD))

            async def start(program: str, period: str, division: str) -> None:
                async with second.transaction():
                    await second.execute("SET LOCAL lock_timeout = '300ms'")
                    await PgRuns(second).lock_roster(
                        program, period, division,
                        exclusive_with=catalogue.exclusive_with(program))

            with pytest.raises(asyncpg.LockNotAvailableError):
                await start(ASSISTANCE, "2026-03", "420117")
            await start(ASSISTANCE, "2026-03", "420102")
            await start(unrelated, "2026-03", "420117")
        await start(ASSISTANCE, "2026-03", "420117")  # the first committed
    finally:
        await first.close()
        await second.close()
