"""Statements: a person's certifications and, per program and period, what was certified
(the policy amount for their category), whether the run was allocated funds, and what was
paid, failed, returned or skipped — for an auditor by person key (within their division),
or for a complainant by the tracking number of a complaint that named the person."""

from __future__ import annotations

from siquan.contracts.policy import load_catalogue
from siquan.oversight.public.application.lookup import look_up
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.domain.statements import Statement, build_statement
from siquan.shared.errors import NotFound


def policy_amount(program_code: str, category: str, period: str, division: str) -> int | None:
    """Fen the policy in force owes one person of the category for the period."""
    try:
        return load_catalogue().amount_for(program_code, category, period, division)
    except (KeyError, ValueError):
        return None


async def statement_of(uow: PublicUnit, person_key: str, division_prefix: str = ""
                       ) -> Statement:
    """Read in the caller's unit (repeatable read: one consistent snapshot)."""
    changes = await uow.ledger.changes_of(person_key, division_prefix)
    lines = await uow.ledger.lines_of(person_key, division_prefix)
    programs = sorted({(c.program_code, c.division_code) for c in changes})
    since = min((c.effective_from for c in changes), default=None)
    runs = await uow.ledger.runs_for(sorted({line.run_id for line in lines}), programs, since)
    return build_statement(person_key, changes, lines, runs, policy_amount)


async def statement_for_complaint(uow: PublicUnit, tracking_number: str) -> Statement:
    complaint = await look_up(uow.complaints, tracking_number)
    if complaint.person_key is None:
        raise NotFound("this complaint names no person (give a resident ID when filing)")
    return await statement_of(uow, complaint.person_key)
