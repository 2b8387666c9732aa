"""The year-end settlement (专项结算) of a special account, produced by a treasury officer.

Refused (409) while any run of the account is not settled (waiting or approved), while the
previous fiscal year's account is still open, or if a figure disagrees with the ledger or
the run records by a single fen. Producing it, in one transaction: the statement is stored,
the closing balance is carried forward — out of this year's account (`carried_forward`)
and into the next year's (`brought_forward`, its opening balance) —, this year's account
is closed to any further posting, `YearEndStatementPublished` is queued, and allocations
waiting in the next year that the money now covers are approved. Asking again answers the
statement already produced.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from siquan.contracts.fund_custody_v1 import LevelAmounts, YearEndStatementPublished
from siquan.fund_custody.adapters import allocations, ledger, statements
from siquan.fund_custody.application.appropriations import check_program
from siquan.fund_custody.application.funding import approve_waiting, now, publisher
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.fund_custody.domain.statement import YearEndStatement
from siquan.shared.auth import Officer
from siquan.shared.database import Connection
from siquan.shared.errors import NotFound, Refused
from siquan.shared.outbox import Outbox


async def produce_statement(pool: asyncpg.Pool, outbox: Outbox, officer: Officer,
                            key: AccountKey) -> tuple[dict[str, Any], bool]:
    """The account's year-end statement; True when it was produced by this call."""
    officer.check_scope(key.division_code)
    check_program(key.program_code)
    async with pool.acquire() as conn, conn.transaction():
        account = await ledger.lock_or_open(conn, key)
        existing = await statements.get(conn, account.id)
        if existing is not None:
            return existing, False
        await _check_closable(conn, key, account.id, account.closed)
        records = await allocations.run_records(conn, account.id)
        try:
            statement = YearEndStatement.of(account, records)
            statement_id, produced_at = str(uuid.uuid4()), now()
            await statements.add(conn, statement_id, account.id, statement, officer.id,
                                 produced_at)
            carried = account.carry_forward(statement_id)
            if carried is not None:
                await ledger.record(conn, account, carried)
            await ledger.close(conn, account)
            following = await ledger.lock_or_open(conn, AccountKey(
                key.program_code, key.fiscal_year + 1, key.division_code))
            brought = following.bring_forward(statement_id, statement.closing_fen)
            if brought is not None:
                await ledger.record(conn, following, brought)
        except FundRuleBroken as exc:
            raise Refused(str(exc)) from exc
        published = await outbox.add(conn, _event(statement_id, statement, officer.id,
                                                  produced_at))
        await approve_waiting(conn, following, publisher(outbox, conn, caused_by=published))
        produced = await statements.get(conn, account.id)
    assert produced is not None
    return produced, True


async def statement_of(pool: asyncpg.Pool, officer: Officer,
                       key: AccountKey) -> dict[str, Any]:
    officer.check_scope(key.division_code)
    async with pool.acquire() as conn:
        account = await ledger.find(conn, key)
        found = None if account is None else await statements.get(conn, account.id)
    if found is None:
        raise NotFound(f"no year-end statement for {key}")
    return found


async def _check_closable(conn: Connection, key: AccountKey, account_id: str,
                          closed: bool) -> None:
    if closed:
        raise Refused(f"{key} cannot be settled: a later fiscal year is already closed")
    unsettled = await allocations.unsettled_runs(conn, account_id)
    if unsettled:
        raise Refused(f"{key} cannot be settled: {len(unsettled)} run(s) not settled yet "
                      f"({', '.join(unsettled[:5])})")
    previous = await ledger.find(conn, AccountKey(key.program_code, key.fiscal_year - 1,
                                                  key.division_code))
    if previous is not None and await statements.get(conn, previous.id) is None:
        raise Refused(f"{key} cannot be settled before {key.fiscal_year - 1}'s statement "
                      "carries its balance forward")


def _event(statement_id: str, s: YearEndStatement, officer_id: str,
           produced_at: datetime) -> YearEndStatementPublished:
    return YearEndStatementPublished(
        statement_id=statement_id, program_code=s.key.program_code,
        fiscal_year=s.key.fiscal_year, division_code=s.key.division_code,
        opening_fen=s.opening_fen, appropriated=LevelAmounts.model_validate(
            dict(s.appropriated)), appropriated_total_fen=s.appropriated_total_fen,
        paid_fen=s.paid_fen, returned_fen=s.returned_fen, closing_fen=s.closing_fen,
        runs_settled=s.runs_settled, reserved_fen=s.reserved_fen,
        released_fen=s.released_fen, produced_by=officer_id, produced_at=produced_at)
