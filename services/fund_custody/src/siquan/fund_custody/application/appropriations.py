"""Recording an appropriation (拨款): a treasury officer books money a fiscal level paid into
a special account; waiting allocations it now covers are approved in the same unit of work,
as caused by the appropriation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from siquan.contracts.fund_custody_v1 import AppropriationRecorded
from siquan.fund_custody.application.funding import approve_waiting, known_program
from siquan.fund_custody.application.ports import FundCustodyUnit, RecordedAppropriation
from siquan.fund_custody.domain.ledger import FiscalLevel
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.auth import Officer
from siquan.shared.errors import InvalidRequest, Refused


@dataclass(frozen=True)
class RecordAppropriation:
    key: AccountKey
    level: FiscalLevel
    amount_fen: int
    document_number: str | None = None


@dataclass(frozen=True)
class AppropriationOutcome:
    appropriation_id: str
    available_fen: int
    approved_runs: list[str]
    recorded: bool = True  # False: the document was recorded before; nothing changed


def check_program(program_code: str) -> None:
    if not known_program(program_code):
        raise InvalidRequest(f"program_code {program_code!r} is not in the policy catalogue")


async def record_appropriation(uow: FundCustodyUnit, officer: Officer,
                               command: RecordAppropriation) -> AppropriationOutcome:
    """Book the money; a budget document already recorded for the account is answered
    with its first booking (same level and amount) or refused (different ones)."""
    officer.check_scope(command.key.division_code)
    check_program(command.key.program_code)
    account = await uow.accounts.lock_or_open(command.key)
    if command.document_number is not None:
        seen = await uow.appropriations.by_document(account.id, command.document_number)
        if seen is not None:
            _check_same_booking(seen, command)
            return AppropriationOutcome(seen.id, account.books.available_fen, [],
                                        recorded=False)
    appropriation_id = str(uuid.uuid4())
    transaction = account.appropriate(appropriation_id, command.level, command.amount_fen)
    transaction_id = await uow.ledger.record(account, transaction)
    recorded = RecordedAppropriation(
        appropriation_id, account.id, command.level, command.amount_fen, transaction_id,
        officer.id, uow.now(), command.document_number)
    await uow.appropriations.add(recorded)
    uow.follow(uow.publish(_event(account, recorded)))
    approved = await approve_waiting(uow, account)
    return AppropriationOutcome(appropriation_id, account.books.available_fen, approved)


def _check_same_booking(seen: RecordedAppropriation, command: RecordAppropriation) -> None:
    if (seen.level, seen.amount_fen) != (command.level, command.amount_fen):
        raise Refused(
            f"document {command.document_number} was recorded as {seen.amount_fen} fen from "
            f"the {seen.level} level (appropriation {seen.id}); it cannot now be "
            f"{command.amount_fen} fen from the {command.level} level")


def _event(account: SpecialAccount, a: RecordedAppropriation) -> AppropriationRecorded:
    key = account.key
    return AppropriationRecorded(
        appropriation_id=a.id, program_code=key.program_code, fiscal_year=key.fiscal_year,
        division_code=key.division_code, fiscal_level=a.level, amount_fen=a.amount_fen,
        available_fen=account.books.available_fen, recorded_by=a.recorded_by,
        recorded_at=a.recorded_at)
