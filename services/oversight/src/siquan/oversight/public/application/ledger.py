"""Keeping each person's ledger from the events as they are logged: certification changes
from eligibility, and from disbursement every payment failed or returned, every payee a
run skipped (with the reason) and the payee agent who collects for the person. Settled
payments are the ones the rules store, stored once; statements read them with these
lines."""

from __future__ import annotations

from typing import Any

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.base import Event
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.domain.masking import shown_name, shown_resident_id
from siquan.oversight.public.domain.statements import (
    Agency,
    CertificationChange,
    PaymentLine,
)
from siquan.shared.registry import handles

_CHANGES: dict[type[Event], str] = {
    eligibility.CertificationGranted: "granted",
    eligibility.CertificationRenewed: "renewed",
    eligibility.CertificationRevoked: "revoked",
    eligibility.CertificationLapsed: "lapsed",
    eligibility.CertificationSuspended: "suspended",
    eligibility.CertificationReinstated: "reinstated",
}


def _field(event: Event, name: str) -> Any:
    """A field some of the changes have, None on the others (asked of the model's fields:
    a pydantic model raises, at some cost, for an attribute it lacks)."""
    return getattr(event, name) if name in type(event).model_fields else None


@handles(*_CHANGES)
async def certification_changed(event: Any, uow: PublicUnit) -> None:
    granted = isinstance(event, eligibility.CertificationGranted)
    uow.ledger.record_change(event.person_key, CertificationChange(
        certification_id=event.certification_id, change=_CHANGES[type(event)],
        program_code=event.program_code, division_code=event.division_code,
        effective_from=event.effective_from, seq=0,
        category=event.category if granted else None,
        valid_until=_field(event, "valid_until"), reason=_field(event, "reason"),
        masked_name=shown_name(event.masked_name) if granted else None,
        masked_resident_id=shown_resident_id(event.masked_resident_id) if granted else None))


def _line(run: Any, outcome: str, **rest: Any) -> PaymentLine:
    return PaymentLine(outcome=outcome, run_id=run.run_id, program_code=run.program_code,
                       period=run.period, division_code=run.division_code, **rest)


@handles(disbursement.PayeeAccountRegistered)
async def payee_agency(event: disbursement.PayeeAccountRegistered, uow: PublicUnit) -> None:
    """Who collects for the person, for their statement: an agent (masked), or nobody once
    an account of the person's own is registered."""
    agency = None
    if event.collected_by_agent and event.agent_masked_resident_id is not None:
        agency = Agency(event.agent_masked_resident_id, event.agent_evidence_kind or "other",
                        event.registered_at)
    uow.ledger.record_agency(event.person_key, agency, event.registered_at)


@handles(disbursement.PaymentRunStarted)
async def payees_skipped(run: disbursement.PaymentRunStarted, uow: PublicUnit) -> None:
    uow.ledger.record_lines([
        (s.person_key, f"{run.run_id}/{s.certification_id}",
         _line(run, "skipped", certification_id=s.certification_id, reason=s.reason))
        for s in run.skipped])


@handles(disbursement.PaymentsReturned)
async def payments_returned(chunk: disbursement.PaymentsReturned, uow: PublicUnit) -> None:
    """Settled payments the bank returned later: they no longer count as paid."""
    uow.ledger.record_lines([
        (p.person_key, p.payment_id,
         _line(chunk, "returned", amount_fen=p.amount_fen, reason=p.reason))
        for p in chunk.payments])


@handles(disbursement.PaymentsFailed)
async def payments_failed(chunk: disbursement.PaymentsFailed, uow: PublicUnit) -> None:
    uow.ledger.record_lines([
        (p.person_key, p.payment_id,
         _line(chunk, "failed", amount_fen=p.amount_fen, reason=p.reason))
        for p in chunk.payments])
