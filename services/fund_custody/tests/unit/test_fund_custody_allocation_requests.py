"""The allocation request handler: a run is funded from its special account when the
account covers it, refused with the shortfall and kept waiting when not; a request is
handled once per run, and one that breaks a rule changes nothing."""

from __future__ import annotations

import pytest

from siquan.contracts.fund_custody_v1 import AllocationApproved, AllocationRejected
from siquan.fund_custody.application.allocations import allocate_to_run
from siquan.fund_custody.application.statements import produce_statement
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.consumer import RuleBroken

from .conftest import KEY, officer


async def test_a_request_the_account_covers_is_approved_and_its_total_reserved(
        uow, given) -> None:
    await given.funded(1_000_000)
    request = given.request(630_000)
    await uow.run(allocate_to_run(request, uow))
    [approved] = uow.published(AllocationApproved)
    assert (approved.run_id, approved.amount_fen, approved.available_fen) == (
        request.run_id, 630_000, 370_000)
    assert await given.balances() == (370_000, 630_000, 0)
    assert uow.store.allocations[request.run_id].status == "approved"


async def test_a_request_beyond_the_balance_is_rejected_with_the_shortfall_and_waits(
        uow, given) -> None:
    await given.funded(400_000)
    request = given.request(630_000)
    await uow.run(allocate_to_run(request, uow))
    [rejected] = uow.published(AllocationRejected)
    assert (rejected.available_fen, rejected.shortfall_fen) == (400_000, 230_000)
    assert uow.store.allocations[request.run_id].status == "waiting"
    assert await given.balances() == (400_000, 0, 0)


async def test_a_request_for_a_run_already_funded_changes_nothing(uow, given) -> None:
    await given.funded(1_000_000)
    request = given.request(630_000)
    await given.done(allocate_to_run(request, uow))
    before = uow.snapshot()
    await uow.run(allocate_to_run(request, uow))
    assert uow.published() == []
    assert uow.store == before


async def test_a_different_request_for_a_known_run_breaks_a_rule_and_changes_nothing(
        uow, given) -> None:
    await given.funded(1_000_000)
    run_id = await given.requested(630_000)
    before = uow.snapshot()
    with pytest.raises(RuleBroken, match="different request"):
        await uow.run(allocate_to_run(given.request(700_000, run_id=run_id), uow))
    assert uow.store == before
    assert uow.published() == []


async def test_a_request_for_a_program_outside_the_catalogue_breaks_a_rule(
        uow, given) -> None:
    request = given.request(1_000, AccountKey("no_such_program", 2026, "420117"))
    with pytest.raises(RuleBroken, match="not in the policy catalogue"):
        await uow.run(allocate_to_run(request, uow))
    assert uow.store.accounts == {}


async def test_a_request_for_money_of_a_closed_year_breaks_a_rule(uow, given) -> None:
    closed = AccountKey(KEY.program_code, 2024, KEY.division_code)
    await given.funded(5_000, closed)
    await given.done(produce_statement(uow, officer(), closed))
    with pytest.raises(RuleBroken, match="closed"):
        await uow.run(allocate_to_run(given.request(1_000, closed), uow))
    assert uow.store.allocations == {}
