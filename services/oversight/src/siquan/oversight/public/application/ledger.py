"""Keeping each person's ledger from the events as they are logged: certification changes
from eligibility, and from disbursement every payment settled or failed and every payee a
run skipped (with the reason). Statements are read from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.base import Event
from siquan.contracts.topology import RoutingKey
from siquan.oversight.public.adapters import ledger
from siquan.oversight.public.domain.masking import shown_name, shown_resident_id
from siquan.oversight.public.domain.statements import CertificationChange, PaymentLine
from siquan.shared.database import Connection

_CHANGES: dict[type[Event], str] = {
    eligibility.CertificationGranted: "granted",
    eligibility.CertificationRenewed: "renewed",
    eligibility.CertificationRevoked: "revoked",
    eligibility.CertificationLapsed: "lapsed",
    eligibility.CertificationSuspended: "suspended",
    eligibility.CertificationReinstated: "reinstated",
}


async def certification_changed(conn: Connection, event: Any) -> None:
    granted = isinstance(event, eligibility.CertificationGranted)
    await ledger.record_change(conn, event.person_key, CertificationChange(
        certification_id=event.certification_id, change=_CHANGES[type(event)],
        program_code=event.program_code, division_code=event.division_code,
        effective_from=event.effective_from, seq=0,
        category=event.category if granted else None,
        valid_until=getattr(event, "valid_until", None),
        reason=getattr(event, "reason", None),
        masked_name=shown_name(event.masked_name) if granted else None,
        masked_resident_id=shown_resident_id(event.masked_resident_id) if granted else None))


def _line(run: Any, outcome: str, **rest: Any) -> PaymentLine:
    return PaymentLine(outcome=outcome, run_id=run.run_id, program_code=run.program_code,
                       period=run.period, division_code=run.division_code, **rest)


async def run_started(conn: Connection, run: disbursement.PaymentRunStarted) -> None:
    await ledger.record_lines(conn, [
        (s.person_key, f"{run.run_id}/{s.certification_id}",
         _line(run, "skipped", certification_id=s.certification_id, reason=s.reason))
        for s in run.skipped])


async def payments_settled(conn: Connection, chunk: disbursement.PaymentsSettled) -> None:
    await ledger.record_lines(conn, [
        (p.person_key, p.payment_id,
         _line(chunk, "settled", certification_id=p.certification_id, item=p.item,
               amount_fen=p.amount_fen))
        for p in chunk.payments])


async def payments_returned(conn: Connection, chunk: Any) -> None:
    """Settled payments the bank returned later: they no longer count as paid."""
    await ledger.record_lines(conn, [
        (p.person_key, p.payment_id,
         _line(chunk, "returned", amount_fen=p.amount_fen, reason=p.reason))
        for p in chunk.payments])


async def payments_failed(conn: Connection, chunk: disbursement.PaymentsFailed) -> None:
    await ledger.record_lines(conn, [
        (p.person_key, p.payment_id,
         _line(chunk, "failed", amount_fen=p.amount_fen, reason=p.reason))
        for p in chunk.payments])


LEDGER_WATCHERS: dict[str, Callable[[Connection, Any], Awaitable[None]]] = {
    **dict.fromkeys((str(event.routing_key) for event in _CHANGES), certification_changed),
    RoutingKey.RUN_STARTED: run_started,
    RoutingKey.PAYMENTS_SETTLED: payments_settled,
    RoutingKey.PAYMENTS_FAILED: payments_failed,
    RoutingKey.PAYMENTS_RETURNED: payments_returned,
}
"""What each event type adds to the ledger, by routing key."""
