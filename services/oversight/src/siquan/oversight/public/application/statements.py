"""Statements: a person's certifications and, per program and period, what was certified
(the policy amount for their category), whether the run was allocated funds, and what was
paid, failed, returned or skipped — for an auditor by person key (within their division),
or for the person themself after a one-time code (`own_statements`); and, when a payee
agent collects for the person, who (masked) and on what evidence."""

from __future__ import annotations

from dataclasses import replace

from siquan.contracts.policy import load_catalogue
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.domain.statements import Statement, build_statement


def policy_amount(program_code: str, category: str, period: str, division: str) -> int | None:
    """Fen the policy in force owes one person of the category for the period."""
    try:
        return load_catalogue().amount_for(program_code, category, period, division)
    except (KeyError, ValueError):
        return None


async def statement_of(uow: PublicUnit, person_key: str, division_prefix: str = "") -> Statement:
    """Read in the caller's unit (repeatable read: one consistent snapshot)."""
    changes = await uow.ledger.changes_of(person_key, division_prefix)
    lines = await uow.ledger.lines_of(person_key, division_prefix)
    programs = sorted({(c.program_code, c.division_code) for c in changes})
    since = min((c.effective_from for c in changes), default=None)
    runs = await uow.ledger.runs_for(sorted({line.run_id for line in lines}), programs, since)
    agency = await uow.ledger.agency_of(person_key)
    return replace(build_statement(person_key, changes, lines, runs, policy_amount),
                   collected_by=agency)
