"""Payee agents (代领人) and accounts shared between payees, on the in-memory twins: an
agent's account pays the beneficiary under the agent's name, ending the agency returns to
the beneficiary's own account, and an account shared outside a household or an agency is
held for a second officer and reported."""

from __future__ import annotations

from typing import Any

import pytest

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.application import accounts, facts, fingerprints
from siquan.disbursement.domain.errors import NotFound, Refused
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.sharing import (
    SHARED_OUTSIDE_HOUSEHOLD,
    AccountUser,
    PayeeAgent,
    explained,
    involved_in_duplicate,
    linked,
    shared_outside_household,
)
from siquan.shared.person import account_fingerprint

SECRET = "unit-test-secret"
HOUSEHOLD = "a" * 64


def agent_of(n: int) -> PayeeAgent:
    return PayeeAgent(f"{n:064x}", "4201**********0011", "power_of_attorney", "(2026)委字第7号")


async def register(world: Any, n: int, account: str, *, agent: PayeeAgent | None = None,
                   name: str = "") -> accounts.Registration:
    async with world.units() as uow:
        return await accounts.register_payee_account(accounts.RegisterPayeeAccount(
            world.officer, world.person(n), PayeeAccount("102", account, name),
            account_fingerprint(SECRET, "102", account), agent), uow)


async def confirm(world: Any, n: int, account: str, name: str) -> accounts.Confirmation:
    async with world.units() as uow:
        return await accounts.confirm_payee_account(accounts.ConfirmPayeeAccount(
            world.checker, world.person(n), PayeeAccount("102", account, name)), uow)


def test_sharing_is_explained_by_one_household_or_an_agency_only() -> None:
    a, b = AccountUser("1" * 64), AccountUser("2" * 64)
    assert not explained(a, b)
    assert explained(AccountUser("1" * 64, HOUSEHOLD), AccountUser("2" * 64, HOUSEHOLD))
    assert not explained(AccountUser("1" * 64, HOUSEHOLD), AccountUser("2" * 64, "b" * 64))
    collected = AccountUser("2" * 64, agent_key="1" * 64)
    assert explained(a, collected) and explained(collected, a)
    assert explained(AccountUser("3" * 64, agent_key="9" * 64),
                     AccountUser("4" * 64, agent_key="9" * 64))
    assert involved_in_duplicate([a, collected]) == []
    stranger = AccountUser("5" * 64)
    assert involved_in_duplicate([a, collected, stranger]) == [a, collected, stranger]
    spouse = AccountUser("6" * 64, HOUSEHOLD)
    assert linked([AccountUser("1" * 64, HOUSEHOLD), spouse, collected])
    assert shared_outside_household(stranger, [a, collected])
    assert not shared_outside_household(collected, [a])


async def test_an_agents_account_pays_the_beneficiary_under_the_agents_name(
        world: Any) -> None:
    await world.grant(1)
    agent = agent_of(50)
    registration = await register(world, 1, world.account_of(50), agent=agent, name="李四")
    [announced] = world.published(events.PayeeAccountRegistered)
    current = world.store.current_account(world.person(1))
    assert registration.collected_by_agent and not registration.awaiting_confirmation
    assert (current.account.holder_name, current.agent) == ("李四", agent)
    assert announced.collected_by_agent and announced.agent_person_key == agent.person_key
    assert announced.agent_masked_resident_id == "4201**********0011"
    assert announced.account_fingerprint == account_fingerprint(SECRET, "102",
                                                                world.account_of(50))
    assert world.account_of(50) not in announced.model_dump_json()
    assert "李四" not in announced.model_dump_json()


async def test_the_beneficiary_cannot_be_their_own_agent(world: Any) -> None:
    await world.grant(1)
    with pytest.raises(Refused):
        await register(world, 1, world.account_of(1), agent=agent_of(1))


async def test_ending_the_agency_returns_to_the_beneficiarys_own_account(world: Any) -> None:
    await world.grant(1)
    await register(world, 1, world.account_of(1), name="张三")
    await register(world, 1, world.account_of(50), agent=agent_of(50), name="李四")
    await confirm(world, 1, world.account_of(50), "李四")
    async with world.units() as uow:
        ended = await accounts.end_agency(accounts.EndAgency(world.officer, world.person(1)),
                                          uow)
    current = world.store.current_account(world.person(1))
    assert ended.awaiting_confirmation and not ended.collected_by_agent
    assert (current.account.account_number, current.agent) == (world.account_of(1), None)
    confirmed = await confirm(world, 1, world.account_of(1), "张三")
    assert confirmed.confirmed_by == world.checker.id
    async with world.units() as uow:
        with pytest.raises(NotFound):
            await accounts.end_agency(accounts.EndAgency(world.officer, world.person(1)), uow)


async def test_ending_an_agency_without_an_own_account_is_refused(world: Any) -> None:
    await world.grant(1)
    await register(world, 1, world.account_of(50), agent=agent_of(50), name="李四")
    async with world.units() as uow:
        with pytest.raises(Refused):
            await accounts.end_agency(accounts.EndAgency(world.officer, world.person(1)), uow)


async def test_an_account_shared_by_unrelated_payees_is_held_and_reported(world: Any) -> None:
    await world.grant(1)
    await world.grant(2)
    await register(world, 1, world.account_of(1))
    second = await register(world, 2, world.account_of(1))
    announced = world.published(events.PayeeAccountRegistered)[-1]
    assert second.awaiting_confirmation and second.held_reason == SHARED_OUTSIDE_HOUSEHOLD
    assert announced.shared_outside_household and announced.awaiting_confirmation
    async with world.units() as uow:
        [found] = await accounts.duplicates(uow, world.officer)
    assert {p["person_key"] for p in found["payees"]} == {world.person(1), world.person(2)}
    assert found["masked_account"].endswith(world.account_of(1)[-4:])
    assert world.account_of(1) not in str(found)


async def test_an_account_shared_within_a_household_or_an_agency_is_not(world: Any) -> None:
    for n in (1, 2, 3):
        await world.grant(n)
    for n in (1, 2):
        event = world.granted(n).model_copy(update={"household_key": HOUSEHOLD})
        async with world.units() as uow:
            await facts.keep_certification(event, uow)
    await register(world, 1, world.account_of(1))
    spouse = await register(world, 2, world.account_of(1))
    collected = await register(world, 3, world.account_of(1), agent=agent_of(1), name="张三")
    assert not spouse.awaiting_confirmation and spouse.held_reason is None
    assert not collected.awaiting_confirmation and collected.held_reason is None
    async with world.units() as uow:
        assert await accounts.duplicates(uow, world.officer) == []


async def test_accounts_registered_without_a_fingerprint_are_given_one_in_batches(
        world: Any) -> None:
    """Accounts from before fingerprints (registered with none) get theirs from the stored
    number; each account in force is announced once, a replaced one is not."""
    for n in (1, 2):
        async with world.units() as uow:
            await facts.keep_certification(world.granted(n), uow)
    for n, account in ((1, world.account_of(8)), (1, world.account_of(7)),
                       (2, world.account_of(7))):
        async with world.units() as uow:
            await accounts.register_payee_account(accounts.RegisterPayeeAccount(
                world.officer, world.person(n), PayeeAccount("102", account)), uow)
    assert await world.work().accounts.shared() == []
    before = len(world.units.units)
    assert await fingerprints.backfill_fingerprints(world.units, SECRET, batch_size=2) == 3
    assert await fingerprints.backfill_fingerprints(world.units, SECRET, batch_size=2) == 0
    announced = [e for u in world.units.units[before:]
                 for e in u.published(events.PayeeAccountFingerprinted)]
    shared = account_fingerprint(SECRET, "102", world.account_of(7))
    assert sorted((e.person_key, e.account_fingerprint) for e in announced) == [
        (world.person(1), shared), (world.person(2), shared)]
    [found] = await world.work().accounts.shared()
    assert found.fingerprint == shared and {u.person_key for u in found.users} == {
        world.person(1), world.person(2)}
