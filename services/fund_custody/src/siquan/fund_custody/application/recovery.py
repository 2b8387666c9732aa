"""Receivables (追回) in the ledger: what disbursement found paid for periods nothing was owed
for is owed back to the special account of the fiscal year that paid it, each level its
share as the spending was (each run's overpaid amount by the shares of the run's period);
repayments credit the account's available balance, write-offs give the receivable up.

Every run a receivable names must be a run this account paid; a recovery that overtakes
its receivable waits for it (`NotYet`); a receivable or recovery seen again books nothing.
A recovery booked after the receivable's year closed is booked too (`book_recovery`).
"""

from __future__ import annotations

import logging

from siquan.contracts.disbursement_v1 import RecoveryRecorded
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.types import division_scope
from siquan.fund_custody.application.figures import shares_in
from siquan.fund_custody.application.funding import approve_waiting
from siquan.fund_custody.application.ports import FundCustodyUnit
from siquan.fund_custody.application.returns import open_account_for
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.receivable import Receivable, shares_of_runs
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.auth import Officer
from siquan.shared.consumer import NotYet
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


@handles(OverpaymentRecordedV2)
async def recognise_receivable(event: OverpaymentRecordedV2, uow: FundCustodyUnit) -> None:
    if await uow.receivables.get(event.receivable_id) is not None:
        log.info("receivable %s already booked; ignored", event.receivable_id)
        return
    if sum(p.amount_fen for p in event.payments) != event.total_fen:
        raise FundRuleBroken(f"receivable {event.receivable_id}: its payments do not add "
                             f"up to {event.total_fen} fen")
    key = AccountKey(event.program_code, event.fiscal_year, event.division_code)
    by_run: dict[str, int] = {}
    periods: dict[str, str] = {}
    for payment in event.payments:
        by_run[payment.run_id] = by_run.get(payment.run_id, 0) + payment.amount_fen
        periods[payment.run_id] = payment.run_period
    for run_id, fen in by_run.items():
        allocation = await uow.allocations.get(run_id)
        if allocation is None or allocation.key != key:
            raise FundRuleBroken(f"receivable {event.receivable_id} names run {run_id}, "
                                 f"which {key} did not pay")
        if fen > allocation.net_paid_fen:
            raise FundRuleBroken(f"receivable {event.receivable_id}: {fen} fen overpaid by "
                                 f"run {run_id}, which paid {allocation.net_paid_fen} fen")
    found = await uow.accounts.find(key)
    assert found is not None  # its runs' allocations name it
    account = await uow.accounts.lock(found.id)
    parts = shares_of_runs((fen, shares_in(key, periods[run_id]))
                           for run_id, fen in sorted(by_run.items()))
    receivable = Receivable(event.receivable_id, account.id, parts)
    transaction = account.recognise_receivable(event.receivable_id, parts)
    await uow.receivables.add(
        receivable, certification_id=event.certification_id, cause=event.cause,
        ended_from=event.ended_from,
        payments=[p.model_dump(mode="json") for p in event.payments], at=event.recorded_at)
    await uow.ledger.record(account, transaction)


@handles(RecoveryRecorded)
async def book_recovery(event: RecoveryRecorded, uow: FundCustodyUnit) -> None:
    """Each level's part of the recovery (in proportion to what it still holds) leaves the
    receivable; where the money is depends on the kind:

    - a repayment comes into the receivable's account as available money — or, once that
      year is closed, into the first open later year's account (收回以前年度支出, as a
      return after year-end is), while the closed year's receivable is settled;
    - the bank's return of an overpaid payment (`returned_payment_id`) brought the money
      back through `payments.returned` already: the receivable is settled, nothing is
      credited a second time;
    - an offset was withheld from a later payment, so it never left: settled likewise;
    - a write-off gives the receivable up.
    Settling and writing off move no money, so a closed year allows them."""
    if await uow.receivables.has_recovery(event.recovery_id):
        log.info("recovery %s already booked; ignored", event.recovery_id)
        return
    if await uow.receivables.get(event.receivable_id) is None:
        raise NotYet(f"recovery {event.recovery_id} of receivable {event.receivable_id}, "
                     "not booked yet")
    found = await uow.receivables.get(event.receivable_id)
    assert found is not None
    account = await uow.accounts.lock(found.special_account_id)
    receivable = await uow.receivables.get(event.receivable_id)  # as of the lock
    assert receivable is not None
    if event.amount_fen > receivable.outstanding_fen:
        raise FundRuleBroken(f"recovery {event.recovery_id}: {event.amount_fen} fen against "
                             f"{receivable.outstanding_fen} fen outstanding")
    if event.returned_payment_id is not None and event.kind != "repayment":
        raise FundRuleBroken(f"recovery {event.recovery_id}: a bank return is a repayment, "
                             f"not {event.kind}")
    credited: SpecialAccount | None = None
    if event.kind == "repayment" and event.returned_payment_id is None:
        credited = await open_account_for(uow, account)
    parts = receivable.recover(event.kind, event.amount_fen)
    await uow.receivables.add_recovery(
        event.receivable_id, event.recovery_id, event.kind, parts, reference=event.reference,
        recorded_by=event.recorded_by, approved_by=event.approved_by, at=event.recorded_at,
        returned_payment_id=event.returned_payment_id,
        credited_to=None if credited is None else credited.id)
    if event.kind == "write_off":
        transaction = account.write_off(event.recovery_id, parts)
    elif credited is account:
        transaction = account.take_repayment(event.recovery_id, parts)
    else:
        transaction = account.settle_receivable(event.recovery_id, parts)
    await uow.ledger.record(account, transaction)
    if credited is not None and credited is not account:
        await uow.ledger.record(credited, credited.take_prior_year_repayment(
            event.recovery_id, event.amount_fen))
    if credited is not None:
        await approve_waiting(uow, credited)


async def receivables_of(uow: FundCustodyUnit, officer: Officer, *,
                         program_code: str | None, fiscal_year: int | None,
                         division_code: str | None) -> list[dict[str, object]]:
    """Receivables within the officer's division (or the one asked for, in scope)."""
    if division_code is not None:
        officer.check_scope(division_code)
    prefix = division_code or division_scope(officer.division)
    return await uow.receivables.listed(division_prefix=prefix, program_code=program_code,
                                        fiscal_year=fiscal_year)
