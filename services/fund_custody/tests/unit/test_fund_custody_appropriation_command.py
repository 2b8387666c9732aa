"""The appropriation command: a treasury officer of the division books money a fiscal
level paid in; it becomes available, is published, and funds the waiting allocations it
now covers (as caused by the appropriation); a budget document is booked once."""

from __future__ import annotations

import pytest

from siquan.contracts.fund_custody_v1 import AllocationApproved, AppropriationRecorded
from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.application.statements import produce_statement
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.errors import InvalidRequest, OutOfScope, Refused

from .conftest import KEY, officer


def appropriation(amount_fen: int, level: str = "central", key: AccountKey = KEY,
                  document: str | None = None) -> RecordAppropriation:
    return RecordAppropriation(key, level, amount_fen, document)  # type: ignore[arg-type]


async def test_an_appropriation_becomes_available_and_is_published(uow, clock) -> None:
    outcome = await uow.run(record_appropriation(uow, officer(), appropriation(300_000)))
    [recorded] = uow.published(AppropriationRecorded)
    assert (recorded.amount_fen, recorded.available_fen, recorded.fiscal_level,
            recorded.recorded_at) == (300_000, 300_000, "central", clock.now())
    assert (outcome.available_fen, outcome.approved_runs) == (300_000, [])
    assert uow.committed


async def test_an_appropriation_funds_the_waiting_allocations_it_covers_as_their_cause(
        uow, given) -> None:
    await given.funded(400_000)
    waiting = await given.requested(630_000)
    outcome = await uow.run(record_appropriation(uow, officer(),
                                                 appropriation(300_000, "provincial")))
    assert (outcome.approved_runs, outcome.available_fen) == ([waiting], 70_000)
    recorded, approved = uow.pending
    assert isinstance(approved.event, AllocationApproved)
    assert approved.causation_id == recorded.message_id


async def test_a_budget_document_booked_before_books_nothing_twice(uow, given) -> None:
    first = await given.done(record_appropriation(uow, officer(),
                                                  appropriation(5_000, document="财社[2026]1号")))
    before = uow.snapshot()
    again = await uow.run(record_appropriation(uow, officer(),
                                               appropriation(5_000, document="财社[2026]1号")))
    assert (again.recorded, again.appropriation_id) == (False, first.appropriation_id)
    assert uow.store == before
    assert uow.published() == []


async def test_a_budget_document_booked_with_other_figures_is_refused(uow, given) -> None:
    await given.done(record_appropriation(uow, officer(),
                                          appropriation(5_000, document="财社[2026]1号")))
    before = uow.snapshot()
    with pytest.raises(Refused, match="cannot now be"):
        await uow.run(record_appropriation(uow, officer(), appropriation(
            6_000, document="财社[2026]1号")))
    assert uow.store == before


async def test_an_officer_of_another_division_may_not_appropriate(uow) -> None:
    elsewhere = officer(division="420102", officer_id="treasury-420102-01")
    with pytest.raises(OutOfScope):
        await uow.run(record_appropriation(uow, elsewhere, appropriation(5_000)))
    assert uow.store.accounts == {}


async def test_an_appropriation_to_a_program_outside_the_catalogue_is_invalid(uow) -> None:
    with pytest.raises(InvalidRequest):
        await uow.run(record_appropriation(uow, officer(), appropriation(
            5_000, key=AccountKey("no_such_program", 2026, "420117"))))


async def test_an_appropriation_to_a_closed_year_is_refused_and_books_nothing(
        uow, given) -> None:
    closed = AccountKey(KEY.program_code, 2024, KEY.division_code)
    await given.funded(5_000, closed)
    await given.done(produce_statement(uow, officer(), closed))
    before = uow.snapshot()
    with pytest.raises(Refused, match="closed"):
        await uow.run(record_appropriation(uow, officer(), appropriation(1_000, key=closed)))
    assert uow.store == before
