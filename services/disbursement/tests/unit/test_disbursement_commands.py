"""The officers' commands, handled on the in-memory twins: registering an account, starting
a run, retrying a run's refused payments."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.application import accounts, retries
from siquan.disbursement.application.payer import complete_run, pay_chunk
from siquan.disbursement.domain.errors import NotFound, OutOfScope, Refused
from siquan.disbursement.domain.payable import AWAITING_CONFIRMATION, NO_ACCOUNT
from siquan.disbursement.domain.retry import ACCOUNT_NOT_FIXED
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer

ELSEWHERE = Officer(id="disburser-420102-01", name="test", roles=("disbursement_officer",),
                    division="420102", token_sha256="0" * 64)


async def register(world: Any, account: str, officer: Officer | None = None) -> Any:
    await world.grant(1)
    async with world.units() as uow:
        return await accounts.register_payee_account(accounts.RegisterPayeeAccount(
            officer or world.officer, world.person(1), PayeeAccount("102", account)), uow)


async def test_a_first_account_is_registered_and_announced_masked(world: Any) -> None:
    registration = await register(world, "622202000000012345")
    [announced] = world.published(events.PayeeAccountRegistered)
    assert (registration.changed, registration.replaces_previous) == (True, False)
    assert announced.masked_account == "**************2345"
    assert "622202" not in announced.model_dump_json()


async def test_registering_the_current_account_again_changes_and_announces_nothing(
        world: Any) -> None:
    await register(world, "622202000000012345")
    again = await register(world, "622202000000012345")
    assert not again.changed
    assert len(world.published(events.PayeeAccountRegistered)) == 1


async def test_a_new_account_replaces_the_current_one_and_says_since_when_it_was(
        world: Any) -> None:
    await register(world, "622202000000012345")
    first_at = world.clock.now()
    world.clock.advance(timedelta(days=3))
    await register(world, "622202000000067890")
    replaced = world.published(events.PayeeAccountRegistered)[-1]
    assert (replaced.replaces_previous, replaced.previous_registered_at) == (True, first_at)
    assert world.store.current_account(world.person(1)).account.account_number.endswith(
        "67890")


async def test_an_officer_of_another_division_registers_nothing(world: Any) -> None:
    with pytest.raises(OutOfScope):
        await register(world, "622202000000012345", ELSEWHERE)
    assert world.store.accounts == [] and world.published(events.PayeeAccountRegistered) == []


async def test_the_division_is_the_certifications_and_a_first_account_needs_no_checker(
        world: Any) -> None:
    registration = await register(world, "622202000000012345")
    [announced] = world.published(events.PayeeAccountRegistered)
    assert (registration.division_code, announced.division_code) == ("420117", "420117")
    assert not registration.awaiting_confirmation and not announced.awaiting_confirmation


async def test_nobody_registers_an_account_for_a_person_without_a_certification_held(
        world: Any) -> None:
    async with world.units() as uow:
        with pytest.raises(NotFound) as refused:
            await accounts.register_payee_account(accounts.RegisterPayeeAccount(
                world.officer, world.person(7), PayeeAccount("102", "622202000000012345")),
                uow)
    assert world.person(7) not in str(refused.value)
    assert world.store.accounts == []


async def test_a_change_awaits_a_second_officer_and_the_run_skips_the_payee_until_then(
        world: Any) -> None:
    await world.grant(2)
    await world.register(2)
    await register(world, "622202000000012345")
    change = await register(world, "622202000000067890")
    assert change.awaiting_confirmation
    assert world.published(events.PayeeAccountRegistered)[-1].awaiting_confirmation
    started = await world.start()
    assert [(s.person_key, s.reason) for s in started.skipped] == [
        (world.person(1), AWAITING_CONFIRMATION)]

    confirmation = await world.confirm(1, "622202000000067890")
    [confirmed] = world.published(events.PayeeAccountConfirmed)
    assert (confirmation.registered_by, confirmation.confirmed_by) == (
        world.officer.id, world.checker.id)
    assert (confirmed.registered_by, confirmed.confirmed_by, confirmed.masked_account) == (
        world.officer.id, world.checker.id, "**************7890")
    again = await world.start("2026-06")
    assert again.run.payee_count == 3 and again.skipped == []  # person 1's May too
    assert {p.account_number for p in world.store.run_payments(again.run.id)
            if p.person_key == world.person(1)} == {"622202000000067890"}


async def test_the_maker_cannot_confirm_a_change_nor_can_an_officer_elsewhere(
        world: Any) -> None:
    await register(world, "622202000000012345")
    await register(world, "622202000000067890")
    with pytest.raises(OutOfScope) as same:
        await world.confirm(1, "622202000000067890", world.officer)
    with pytest.raises(OutOfScope):
        await world.confirm(1, "622202000000067890", ELSEWHERE)
    assert "cannot confirm" in str(same.value)
    assert world.store.current_account(world.person(1)).confirmed_at is None
    assert world.published(events.PayeeAccountConfirmed) == []


async def test_a_confirmation_must_name_the_changed_account_and_a_change_must_be_waiting(
        world: Any) -> None:
    await register(world, "622202000000012345")
    with pytest.raises(NotFound):
        await world.confirm(1, "622202000000012345")
    await register(world, "622202000000067890")
    with pytest.raises(Refused):
        await world.confirm(1, "622202000000099999")
    assert world.published(events.PayeeAccountConfirmed) == []


async def test_starting_a_run_freezes_the_roster_and_asks_for_its_allocation(
        world: Any) -> None:
    await world.payees(2)
    await world.grant(3, "disability")
    started = await world.start()
    run = started.run
    [announced] = world.published(events.PaymentRunStarted)
    [requested] = world.published(events.AllocationRequested)
    assert (run.payee_count, run.total_fen) == (2, 42_000)
    assert [(s.person_key, s.reason) for s in announced.skipped] == [
        (world.person(3), NO_ACCOUNT)]
    assert (requested.run_id, requested.total_fen, requested.fiscal_year) == (
        run.id, 42_000, 2026)
    assert len(world.store.run_payments(run.id)) == 2
    assert world.units.units[-1].cause.correlation_id == run.id


async def test_a_run_is_cut_into_chunks_for_the_payers(world: Any) -> None:
    await world.payees(5)
    run = (await world.start(chunk_size=2)).run
    chunks = sorted(k for (r, k) in world.store.chunks if r == run.id)
    assert chunks == [0, 1, 2]


async def test_a_run_with_nobody_to_pay_is_refused_and_leaves_nothing_behind(
        world: Any) -> None:
    await world.grant(1)
    with pytest.raises(Refused, match="nobody to pay"):
        await world.start()
    assert (world.store.runs, world.store.payments) == ({}, {})
    assert world.published(events.PaymentRunStarted) == []


async def test_a_second_run_for_the_same_period_pays_nobody_twice(world: Any) -> None:
    await world.payees(2)
    await world.start()
    with pytest.raises(Refused, match="nobody to pay"):
        await world.start()
    assert len(world.store.payments) == 2


async def test_a_period_the_program_does_not_pay_is_refused(world: Any) -> None:
    await world.payees(1)
    with pytest.raises(Refused, match="monthly"):
        await world.start("2026")


async def refused_run(world: Any) -> Any:
    await world.payees(2)
    world.bank.refused_accounts.add(world.account_of(2))
    run = (await world.start()).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        assert await pay_chunk(uow, world.bank, run.id)
    async with world.units(correlation_id=run.id) as uow:
        assert await complete_run(uow, run.id)
    return run


async def test_a_retry_pays_a_refused_payment_again_once_its_account_is_corrected(
        world: Any) -> None:
    run = await refused_run(world)
    async with world.units() as uow:
        await accounts.register_payee_account(accounts.RegisterPayeeAccount(
            world.officer, world.person(2), PayeeAccount("102", "622202000009999999")), uow)
    await world.confirm(2, "622202000009999999")
    async with world.units() as uow:
        started = await retries.retry_run(retries.RetryRun(world.officer, run.id), uow)
    retried = world.store.run_payments(started.run.id)
    assert (started.run.kind, started.run.retry_of, started.run.payee_count) == (
        "retry", run.id, 1)
    assert [(p.person_key, p.account_number) for p in retried] == [
        (world.person(2), "622202000009999999")]


async def test_a_retry_to_the_account_the_bank_refused_is_refused(world: Any) -> None:
    run = await refused_run(world)
    with pytest.raises(Refused, match=ACCOUNT_NOT_FIXED):
        async with world.units() as uow:
            await retries.retry_run(retries.RetryRun(world.officer, run.id), uow)
    assert {p.run_id for p in world.store.payments.values()} == {run.id}


async def test_a_certification_that_started_after_the_period_is_not_on_its_roster(
        world: Any) -> None:
    await world.payees(1)
    await world.grant(2, starts=date(2026, 6, 1))
    await world.register(2)
    started = await world.start()
    assert (started.run.payee_count, started.skipped) == (1, [])
