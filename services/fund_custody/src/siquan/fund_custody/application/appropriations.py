"""Recording an appropriation (拨款): a treasury officer books money a fiscal level paid into
a special account; waiting allocations it now covers are approved in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from siquan.contracts.fund_custody_v1 import AppropriationRecorded
from siquan.fund_custody.adapters import ledger
from siquan.fund_custody.application.funding import (
    approve_waiting,
    known_program,
    now,
    publisher,
)
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.ledger import FiscalLevel
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.errors import InvalidRequest, Refused
from siquan.shared.outbox import Outbox


@dataclass(frozen=True)
class AppropriationOutcome:
    appropriation_id: str
    available_fen: int
    approved_runs: list[str]
    recorded: bool = True  # False: the document was recorded before; nothing changed


def check_program(program_code: str) -> None:
    if not known_program(program_code):
        raise InvalidRequest(f"program_code {program_code!r} is not in the policy catalogue")


async def record_appropriation(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *,
                               key: AccountKey, level: FiscalLevel, amount_fen: int,
                               document_number: str | None = None) -> AppropriationOutcome:
    """Book the money; a budget document already recorded for the account is answered
    with its first booking (same level and amount) or refused (different ones)."""
    officer.check_scope(key.division_code)
    check_program(key.program_code)
    appropriation_id, recorded_at = str(uuid.uuid4()), now()
    async with pool.acquire() as conn, conn.transaction():
        account = await ledger.lock_or_open(conn, key)
        if document_number is not None:
            seen = await ledger.appropriation_by_document(conn, account, document_number)
            if seen is not None:
                if (seen["fiscal_level"], seen["amount_fen"]) != (level, amount_fen):
                    raise Refused(
                        f"document {document_number} was recorded as {seen['amount_fen']} "
                        f"fen from the {seen['fiscal_level']} level "
                        f"(appropriation {seen['appropriation_id']}); it cannot now be "
                        f"{amount_fen} fen from the {level} level")
                return AppropriationOutcome(seen["appropriation_id"],
                                            account.books.available_fen, [], recorded=False)
        try:
            transaction = account.appropriate(appropriation_id, level, amount_fen)
        except FundRuleBroken as exc:
            raise Refused(str(exc)) from exc
        transaction_id = await ledger.record(conn, account, transaction)
        await ledger.add_appropriation(
            conn, appropriation_id=appropriation_id, account=account, level=level,
            amount_fen=amount_fen, transaction_id=transaction_id, recorded_by=officer.id,
            recorded_at=recorded_at, document_number=document_number)
        recorded = await outbox.add(conn, AppropriationRecorded(
            appropriation_id=appropriation_id, program_code=key.program_code,
            fiscal_year=key.fiscal_year, division_code=key.division_code, fiscal_level=level,
            amount_fen=amount_fen, available_fen=account.books.available_fen,
            recorded_by=officer.id, recorded_at=recorded_at))
        approved = await approve_waiting(conn, account,
                                         publisher(outbox, conn, caused_by=recorded))
    return AppropriationOutcome(appropriation_id, account.books.available_fen, approved)
