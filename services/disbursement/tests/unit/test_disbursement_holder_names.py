"""The account holder's name (户名): registered with the account, written into the bank's
instruction, never published; a correction of the name alone waits for a second officer
like any change of account."""

from __future__ import annotations

from typing import Any

import pytest

from siquan.disbursement.application import accounts
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.roster import PayeeAccount

NAME, CORRECTED = "朱镕基", "阿卜杜热合曼·买买提"


async def register(world: Any, name: str, n: int = 1) -> accounts.Registration:
    async with world.units() as uow:
        return await accounts.register_payee_account(
            accounts.RegisterPayeeAccount(
                world.officer, world.person(n), PayeeAccount("102", world.account_of(n), name)
            ),
            uow,
        )


async def confirm(world: Any, name: str, n: int = 1) -> accounts.Confirmation:
    async with world.units() as uow:
        return await accounts.confirm_payee_account(
            accounts.ConfirmPayeeAccount(
                world.checker, world.person(n), PayeeAccount("102", world.account_of(n), name)
            ),
            uow,
        )


async def paid_names(world: Any) -> list[str]:
    run = (await world.start()).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        assert await pay_chunk(uow, world.bank, run.id)
    return [i.account_name for _, batch in world.bank.batches for i in batch]


async def test_the_registered_name_is_the_instructions_and_is_in_no_event(world: Any) -> None:
    await world.grant(1)
    await register(world, NAME)

    assert await paid_names(world) == [NAME]
    published = [e.model_dump_json() for u in world.units.units for e in u.published()]
    assert published and not any(NAME in text for text in published)


async def test_a_corrected_name_alone_waits_for_the_checker_who_re_enters_it(world: Any) -> None:
    await world.grant(1)
    await register(world, NAME)
    again = await register(world, NAME)
    assert (again.changed, again.awaiting_confirmation) == (False, False)

    corrected = await register(world, CORRECTED)
    assert (corrected.changed, corrected.awaiting_confirmation) == (True, True)
    with pytest.raises(Refused):
        await confirm(world, NAME)  # the account re-entered under the old name
    await confirm(world, CORRECTED)

    assert await paid_names(world) == [CORRECTED]



async def test_a_correction_registered_after_the_order_was_written_does_not_reach_the_bank(
        world: Any) -> None:
    await world.grant(1)
    await register(world, NAME)
    run = (await world.start()).run
    assert (await register(world, CORRECTED)).awaiting_confirmation
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        assert await pay_chunk(uow, world.bank, run.id)

    assert [i.account_name for _, batch in world.bank.batches for i in batch] == [NAME]

async def test_an_account_registered_without_a_name_is_instructed_with_none(world: Any) -> None:
    await world.payees(1)

    assert await paid_names(world) == [""]


def test_the_name_is_not_in_the_accounts_representation() -> None:
    assert NAME not in repr(PayeeAccount("102", "622202000000010001", NAME))
    assert PayeeAccount("102", "622202000000010001", NAME) == PayeeAccount(
        "102", "622202000000010001"
    )  # the same account, whoever's name
