"""The bank pays each payable amount once: an instruction's key is derived from the person,
the program, the period, the item and the orders of it written before, never drawn. A run
started again on a database restored from a backup that predates it sends the keys the bank
already holds, and moves no money again; a payment that moved no money is paid again under
a key of its own."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.adapters.memory_bank import MemoryBank
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.application.ports import BankUnavailable
from siquan.disbursement.domain.payment import INSTRUCTION_KEYS, instruction_key


def test_the_key_names_the_payable_amount_and_the_orders_of_it_before() -> None:
    key = instruction_key("a" * 64, "special_assistance", "2026-05", "benefit", 0)
    assert key == instruction_key("a" * 64, "special_assistance", "2026-05", "benefit", 0)
    others = {instruction_key("b" * 64, "special_assistance", "2026-05", "benefit", 0),
              instruction_key("a" * 64, "minimum_living", "2026-05", "benefit", 0),
              instruction_key("a" * 64, "special_assistance", "2026-04", "benefit", 0),
              instruction_key("a" * 64, "special_assistance", "2026-05", "top_up", 0),
              instruction_key("a" * 64, "special_assistance", "2026-05", "benefit", 1)}
    assert key not in others and len(others) == 5


def test_the_key_is_the_name_based_uuid_of_the_payable_amount() -> None:
    # the bank holds keys already issued: the derivation never changes
    for person, program, period, item, earlier in [
            ("a" * 64, "special_assistance", "2026-05", "benefit", 0),
            ("f3" * 32, "minimum_living", "2025-12", "top_up", 7),
            ("人员-1", "special_assistance", "once-2026-03", "one_off", 12)]:
        assert instruction_key(person, program, period, item, earlier) == str(uuid.uuid5(
            INSTRUCTION_KEYS, f"{person}|{program}|{period}|{item}|{earlier}"))



@given(st.text(), st.text(), st.text(), st.text(), st.integers(min_value=0))
def test_any_payable_amount_gets_its_name_based_uuid(person: str, program: str, period: str,
                                                       item: str, earlier: int) -> None:
    assert instruction_key(person, program, period, item, earlier) == str(uuid.uuid5(
        INSTRUCTION_KEYS, f"{person}|{program}|{period}|{item}|{earlier}"))

async def paid_run(world: Any, period: str = "2026-05") -> Any:
    run = (await world.start(period)).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        assert await pay_chunk(uow, world.bank, run.id)
    return run


async def test_a_run_started_again_after_a_restore_is_answered_not_paid_again(
        world: Any) -> None:
    await world.payees(3)
    first = await paid_run(world)
    references = {p.person_key: p.bank_reference for p in world.store.run_payments(first.id)}
    # the database restored from a backup taken before the run: the roster, not the run
    restored = type(world)()
    restored.bank = world.bank
    await restored.payees(3)

    again = await paid_run(restored)

    assert again.id != first.id
    assert len(world.bank.transfers) == 3  # no money moved the second time
    assert {p.person_key: (p.status, p.bank_reference)
            for p in restored.store.run_payments(again.id)} == {
        person: ("settled", reference) for person, reference in references.items()}
    [settled] = restored.published(events.PaymentsSettled)
    assert len(settled.payments) == 3


async def restored_after(world: Any, payees: int) -> Any:
    """Disbursement restored from a backup taken before any run: the roster, the same bank."""
    restored = type(world)()
    restored.bank = world.bank
    await restored.payees(payees)
    return restored


async def test_a_payment_answered_with_an_earlier_transfer_is_settled_naming_it(
        world: Any) -> None:
    await world.payees(3)
    first = await paid_run(world)
    lost = {p.person_key: p.payment_id for p in world.store.run_payments(first.id)}
    restored = await restored_after(world, 3)

    again = await paid_run(restored)

    [settled] = restored.published(events.PaymentsSettled)
    assert {p.person_key: p.transferred_as for p in settled.payments} == lost
    assert {p.person_key: p.transferred_as for p in restored.store.run_payments(again.id)
            } == lost
    assert all(p.payment_id not in lost.values() for p in settled.payments)


async def test_a_payment_the_bank_transfers_now_names_no_earlier_transfer(world: Any) -> None:
    await world.payees(2)
    run = await paid_run(world)
    [settled] = world.published(events.PaymentsSettled)
    assert [p.transferred_as for p in settled.payments] == [None, None]
    assert "transferred_as" not in settled.model_dump(exclude_unset=True)["payments"][0]
    assert {p.transferred_as for p in world.store.run_payments(run.id)} == {None}


async def test_an_earlier_transfer_is_still_named_when_the_bank_s_answer_was_lost(
        world: Any) -> None:
    await world.payees(2)
    first = await paid_run(world)
    lost = {p.person_key: p.payment_id for p in world.store.run_payments(first.id)}
    restored = await restored_after(world, 2)
    run = (await restored.start("2026-05")).run
    await restored.allocate(run)
    restored.bank.silent = True
    with pytest.raises(BankUnavailable):
        async with restored.units(correlation_id=run.id) as uow:
            await pay_chunk(uow, restored.bank, run.id)

    async with restored.units(correlation_id=run.id) as uow:  # the payer tries again
        assert await pay_chunk(uow, restored.bank, run.id)

    [settled] = restored.published(events.PaymentsSettled)
    assert {p.person_key: p.transferred_as for p in settled.payments} == lost
    assert len(world.bank.transfers) == 2


async def test_a_payment_refused_by_the_bank_is_paid_again_under_a_key_of_its_own(
        world: Any) -> None:
    world.bank = MemoryBank(refused_accounts=[world.account_of(1)])
    await world.payees(2)
    may_run = await paid_run(world)
    assert world.statuses(may_run.id) == {
        world.person(1): "failed", world.person(2): "settled"}
    await world.register(1, "6222020000000099999")  # the account corrected

    await paid_run(world, "2026-06")

    may = [i for i in world.bank.transfers if "2026-05" in i.remittance
           and i.account_number in (world.account_of(1), "6222020000000099999")]
    assert [i.account_number for i in may] == [world.account_of(1), "6222020000000099999"]
    assert may[0].instruction_key != may[1].instruction_key
    assert world.bank.recorded[may[1].payment_id].outcome == "settled"
