"""The rules disbursement's events can break: every settled payment is judged as its chunk
arrives (certification, death, amount, paid twice, the run's officer), one chunk with a
handful of statements however many payments it carries; payee accounts registered by the
officer who decided the certification; accounts replaced shortly before a run paid them
(a flag, not a finding)."""

from __future__ import annotations

from siquan.contracts import disbursement_v1 as disbursement
from siquan.oversight.reconciliation.adapters import settled, watched
from siquan.oversight.reconciliation.application.context import Seen
from siquan.oversight.reconciliation.application.judging import judge_items
from siquan.oversight.reconciliation.domain.conduct import registered_by_decider
from siquan.oversight.reconciliation.domain.findings import Flag
from siquan.oversight.reconciliation.domain.payments import RunFacts, SettledItem, paid_twice

ACCOUNT_CHANGED = "account_changed_before_run"


async def on_run_started(seen: Seen, e: disbursement.PaymentRunStarted) -> None:
    await watched.add_run(seen.conn, run_id=e.run_id, program_code=e.program_code,
                          period=e.period, division_code=e.division_code,
                          message_id=seen.message_id, started_by=e.started_by,
                          started_at=seen.occurred_at)


async def on_allocation_requested(seen: Seen, e: disbursement.AllocationRequested) -> None:
    await watched.add_run(seen.conn, run_id=e.run_id, program_code=e.program_code,
                          period=e.period, division_code=e.division_code,
                          message_id=seen.message_id)


def _items(seen: Seen, e: disbursement.PaymentsSettled) -> list[SettledItem]:
    """The chunk's payments, each for the period it pays (an arrear's own)."""
    return [SettledItem(p.payment_id, p.person_key, p.certification_id, e.program_code,
                        p.period or e.period, p.item, p.amount_fen, e.division_code,
                        e.run_id, seen.message_id) for p in e.payments]


async def on_settled(seen: Seen, e: disbursement.PaymentsSettled) -> None:
    items = _items(seen, e)
    judgements = await judge_items(seen.conn, items)
    known = {pid for pid, j in judgements.items() if not j.pending}
    new = await settled.insert_chunk(seen.conn, items, known)
    fresh = [i for i in items if i.payment_id in new]
    run = await watched.run(seen.conn, e.run_id)
    for item in fresh:
        await seen.raiser.findings(judgements[item.payment_id].findings)
    earlier = await settled.earlier_payments(seen.conn, new)
    for item in fresh:
        if item.payment_id in earlier:
            await seen.raiser.finding(paid_twice(item, *earlier[item.payment_id], run=run))
    await _flag_account_changes(seen, fresh, run)


async def on_returned(seen: Seen, e: disbursement.PaymentsReturned) -> None:
    """Money the bank sent back: the payment no longer pays its period, and a retry may."""
    await settled.mark_returned(seen.conn, (p.payment_id for p in e.payments))


async def _flag_account_changes(seen: Seen, items: list[SettledItem], run: RunFacts | None
                                ) -> None:
    if not items or run is None or run.started_at is None:
        return
    since = run.started_at - seen.config.account_change_window
    changed = await watched.account_changes_since(seen.conn, (i.person_key for i in items),
                                                  since)
    for item in items:
        if item.person_key not in changed:
            continue
        await seen.raiser.flag(Flag(
            kind=ACCOUNT_CHANGED, dedup_key=f"{ACCOUNT_CHANGED}:{item.payment_id}",
            reason=f"the payee's account was replaced within "
                   f"{seen.config.account_change_window.days} days before run "
                   f"{item.run_id} paid it",
            evidence=(changed[item.person_key], item.message_id),
            person_key=item.person_key, run_id=item.run_id, program_code=item.program_code,
            period=item.period, division_code=item.division_code))


async def on_payee_account(seen: Seen, e: disbursement.PayeeAccountRegistered) -> None:
    await watched.add_payee_account(
        seen.conn, person_key=e.person_key, registered_by=e.registered_by,
        registered_at=e.registered_at, replaces_previous=e.replaces_previous,
        message_id=seen.message_id)
    for cert in await watched.certifications_of_person(seen.conn, e.person_key):
        found = registered_by_decider(cert, e.registered_by, seen.message_id)
        if found is not None:
            await seen.raiser.finding(found)
