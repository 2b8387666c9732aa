"""The year-end settlement (专项结算) of a special account, produced by a treasury officer.

Refused (409) while any run of the account is not settled (waiting or approved), while the
previous fiscal year's account is still open, or if a figure disagrees with the ledger or
the run records by a single fen. Producing it, in one unit of work: the statement is
stored, the closing balance is carried forward — out of this year's account
(`carried_forward`) and into the next year's (`brought_forward`, its opening balance) —,
this year's account is closed to any further posting, `YearEndStatementPublished` is
published, and allocations waiting in the next year that the money now covers are approved
(as caused by the statement). Asking again answers the statement already produced.
"""

from __future__ import annotations

import uuid
from typing import Any

from siquan.contracts.fund_custody_v1 import LevelAmounts, YearEndStatementPublished
from siquan.fund_custody.application.appropriations import check_program
from siquan.fund_custody.application.funding import approve_waiting
from siquan.fund_custody.application.ports import FundCustodyUnit, StoredStatement
from siquan.fund_custody.domain.special_account import (
    LAST_FISCAL_YEAR,
    AccountKey,
    SpecialAccount,
)
from siquan.fund_custody.domain.statement import YearEndStatement
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound, Refused


async def produce_statement(uow: FundCustodyUnit, officer: Officer,
                            key: AccountKey) -> tuple[StoredStatement, bool]:
    """The account's year-end statement; True when it was produced by this call."""
    officer.check_scope(key.division_code)
    check_program(key.program_code)
    if key.fiscal_year >= LAST_FISCAL_YEAR:
        raise Refused(f"{key} cannot be settled: its closing balance would be carried into "
                      f"{key.fiscal_year + 1}, after the last fiscal year kept "
                      f"({LAST_FISCAL_YEAR})")
    account = await uow.accounts.lock_or_open(key)
    existing = await uow.statements.get(account.id)
    if existing is not None:
        return existing, False
    await _check_closable(uow, account)
    statement = YearEndStatement.of(account, await uow.allocations.run_records(account.id))
    stored = StoredStatement(str(uuid.uuid4()), account.id, statement, officer.id, uow.now())
    await uow.statements.add(stored)
    carried = account.carry_forward(stored.statement_id)
    if carried is not None:
        await uow.ledger.record(account, carried)
    await uow.accounts.close(account, uow.now())
    following = await uow.accounts.lock_or_open(AccountKey(
        key.program_code, key.fiscal_year + 1, key.division_code))
    brought = following.bring_forward(stored.statement_id, statement.closing_fen)
    if brought is not None:
        await uow.ledger.record(following, brought)
    uow.follow(uow.publish(published(stored)))
    await approve_waiting(uow, following)
    return stored, True


async def statement_of(uow: FundCustodyUnit, officer: Officer,
                       key: AccountKey) -> StoredStatement:
    officer.check_scope(key.division_code)
    account = await uow.accounts.find(key)
    found = None if account is None else await uow.statements.get(account.id)
    if found is None:
        raise NotFound(f"no year-end statement for {key}")
    return found


async def _check_closable(uow: FundCustodyUnit, account: SpecialAccount) -> None:
    key = account.key
    if account.closed:
        raise Refused(f"{key} cannot be settled: a later fiscal year is already closed")
    unsettled = await uow.allocations.unsettled_runs(account.id)
    if unsettled:
        raise Refused(f"{key} cannot be settled: {len(unsettled)} run(s) not settled yet "
                      f"({', '.join(unsettled[:5])})")
    previous = await uow.accounts.find(AccountKey(key.program_code, key.fiscal_year - 1,
                                                  key.division_code))
    if previous is not None and await uow.statements.get(previous.id) is None:
        raise Refused(f"{key} cannot be settled before {key.fiscal_year - 1}'s statement "
                      "carries its balance forward")


def published(stored: StoredStatement) -> YearEndStatementPublished:
    s = stored.statement
    return YearEndStatementPublished(
        statement_id=stored.statement_id, program_code=s.key.program_code,
        fiscal_year=s.key.fiscal_year, division_code=s.key.division_code,
        opening_fen=s.opening_fen, appropriated=LevelAmounts.model_validate(
            dict(s.appropriated)), appropriated_total_fen=s.appropriated_total_fen,
        paid_fen=s.paid_fen, returned_fen=s.returned_fen, closing_fen=s.closing_fen,
        runs_settled=s.runs_settled, reserved_fen=s.reserved_fen,
        released_fen=s.released_fen, produced_by=stored.produced_by,
        produced_at=stored.produced_at, recovered_fen=s.recovered_fen)


def as_dict(stored: StoredStatement) -> dict[str, Any]:
    """The statement as the API shows it."""
    s = stored.statement
    return {
        "statement_id": stored.statement_id, "program_code": s.key.program_code,
        "fiscal_year": s.key.fiscal_year, "division_code": s.key.division_code,
        "opening_fen": s.opening_fen, "appropriated": dict(s.appropriated),
        "appropriated_total_fen": s.appropriated_total_fen, "paid_fen": s.paid_fen,
        "returned_fen": s.returned_fen, "closing_fen": s.closing_fen,
        "runs_settled": s.runs_settled, "reserved_fen": s.reserved_fen,
        "released_fen": s.released_fen, "recovered_fen": s.recovered_fen,
        "produced_by": stored.produced_by,
        "produced_at": stored.produced_at}
