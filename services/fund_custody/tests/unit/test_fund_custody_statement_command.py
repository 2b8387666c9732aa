"""The year-end statement command: it balances to the fen, carries the closing balance
into next year's account (which may fund a run waiting there) and closes the year; it is
refused while a run is unsettled or last year is open, and produced once."""

from __future__ import annotations

import pytest

from siquan.contracts.fund_custody_v1 import AllocationApproved, YearEndStatementPublished
from siquan.fund_custody.application.statements import produce_statement, statement_of
from siquan.fund_custody.domain.special_account import LAST_FISCAL_YEAR, AccountKey
from siquan.shared.errors import NotFound, Refused

from .conftest import KEY, officer

YEAR = AccountKey(KEY.program_code, 2025, KEY.division_code)
NEXT = AccountKey(KEY.program_code, 2026, KEY.division_code)


async def test_the_statement_carries_the_closing_balance_forward_and_closes_the_year(
        uow, given) -> None:
    run_id = await given.approved_run(80_000, 50_000, YEAR)
    await given.paid(run_id, 0, 21_000, 21_000, key=YEAR)
    await given.settled_run(run_id, 50_000, 42_000, key=YEAR)
    stored, new = await uow.run(produce_statement(uow, officer(), YEAR))
    s = stored.statement
    assert new
    assert (s.opening_fen, s.appropriated_total_fen, s.paid_fen, s.closing_fen,
            s.runs_settled, s.reserved_fen, s.released_fen) == (0, 80_000, 42_000, 38_000, 1,
                                                                 50_000, 8_000)
    [event] = uow.published(YearEndStatementPublished)
    assert event.closing_fen == 38_000
    closed, following = await uow.accounts.find(YEAR), await uow.accounts.find(NEXT)
    assert closed.closed and closed.books.carried_forward_fen == 38_000
    assert (following.books.brought_forward_fen, following.books.available_fen) == (
        38_000, 38_000)


async def test_asking_for_the_statement_again_answers_the_first(uow, given) -> None:
    await given.funded(10_000, YEAR)
    first, _ = await given.done(produce_statement(uow, officer(), YEAR))
    again, new = await uow.run(produce_statement(uow, officer(), YEAR))
    assert (new, again) == (False, first)
    assert uow.published() == []


async def test_a_year_with_a_run_not_settled_cannot_be_closed(uow, given) -> None:
    run_id = await given.approved_run(80_000, 50_000, YEAR)
    before = uow.snapshot()
    with pytest.raises(Refused, match=run_id):
        await uow.run(produce_statement(uow, officer(), YEAR))
    assert uow.store == before


async def test_a_year_cannot_be_closed_before_the_year_before_it(uow, given) -> None:
    await given.funded(10_000, YEAR)
    await given.funded(10_000, NEXT)
    with pytest.raises(Refused, match="2025's statement"):
        await uow.run(produce_statement(uow, officer(), NEXT))


async def test_the_balance_brought_forward_funds_a_run_waiting_in_the_next_year(
        uow, given) -> None:
    await given.funded(70_000, YEAR)
    waiting = await given.requested(60_000, NEXT)
    await uow.run(produce_statement(uow, officer(), YEAR))
    [approved] = uow.published(AllocationApproved)
    assert (approved.run_id, approved.available_fen) == (waiting, 10_000)
    statement, approval = uow.pending
    assert isinstance(statement.event, YearEndStatementPublished)
    assert approval.causation_id == statement.message_id


async def test_reading_a_statement_not_produced_is_not_found(uow, given) -> None:
    await given.funded(10_000, YEAR)
    with pytest.raises(NotFound):
        await statement_of(uow, officer(), YEAR)


async def test_the_last_fiscal_year_kept_cannot_be_closed(uow, given) -> None:
    last = AccountKey(KEY.program_code, LAST_FISCAL_YEAR, KEY.division_code)
    await given.funded(10_000, last)
    before = uow.snapshot()
    with pytest.raises(Refused, match="after the last fiscal year kept"):
        await uow.run(produce_statement(uow, officer(), last))
    assert uow.store == before
