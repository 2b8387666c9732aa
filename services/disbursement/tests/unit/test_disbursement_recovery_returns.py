"""An overpaid payment the bank returns after it became a receivable: the money came back,
so the receivable is repaid by that much (once, never above what is outstanding), and the
recovery names the returned payment so fund custody does not credit it twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.disbursement.application import facts
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.application.recovery import RecordRepayment, record_repayment
from siquan.disbursement.application.returns import record_returns
from siquan.disbursement.domain.recovery import BANK_RETURN


async def _overpaid(world: Any) -> tuple[Any, OverpaymentRecordedV2]:
    """Person 1 paid for May, then revoked from 1 May: May's payment is a receivable."""
    await world.payees(2)
    run = (await world.start()).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    payment = next(p for p in world.store.run_payments(run.id)
                   if p.person_key == world.person(1))
    async with world.units() as uow:
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id="cert-1", program_code=world.program,
            person_key=world.person(1), division_code=world.division,
            effective_from=date(2026, 5, 1), reason="finding", revoked_by="approver-1"), uow)
    [found] = world.published(OverpaymentRecordedV2)
    return payment, found


def _returned(payment: Any) -> BankReturn:
    return BankReturn(payment.payment_id, payment.bank_reference, payment.amount_fen,
                      "account closed", date(2026, 6, 4))


async def test_the_return_of_an_overpaid_payment_repays_its_receivable(world: Any) -> None:
    payment, found = await _overpaid(world)
    async with world.units() as uow:
        assert await record_returns(uow, [_returned(payment)], date(2026, 6, 4)) == 1
    [recovery] = world.published(events.RecoveryRecorded)
    assert (recovery.receivable_id, recovery.kind, recovery.amount_fen,
            recovery.outstanding_fen, recovery.returned_payment_id, recovery.recorded_by) == (
        found.receivable_id, "repayment", payment.amount_fen, 0, payment.payment_id,
        BANK_RETURN)
    async with world.units() as uow:
        [listed] = await uow.receivables.search(division_prefix="420117", program_code=None,
                                                status=None, person_key=None)
    assert (listed["outstanding_fen"], listed["status"]) == (0, "repaid")

    async with world.units() as uow:  # the bank reports it again: nothing more
        await record_returns(uow, [_returned(payment)], date(2026, 6, 5))
    assert len(world.published(events.RecoveryRecorded)) == 1


async def test_a_return_after_a_partial_repayment_repays_only_what_is_outstanding(
        world: Any) -> None:
    payment, found = await _overpaid(world)
    async with world.units() as uow:
        await record_repayment(RecordRepayment(world.officer, found.receivable_id, 5_000,
                                               "BANK-1"), uow)
    async with world.units() as uow:
        await record_returns(uow, [_returned(payment)], date(2026, 6, 4))
    by_bank = world.published(events.RecoveryRecorded)[-1]
    assert (by_bank.amount_fen, by_bank.outstanding_fen) == (payment.amount_fen - 5_000, 0)


async def test_a_return_of_a_payment_that_was_owed_touches_no_receivable(world: Any) -> None:
    payment, _ = await _overpaid(world)
    run_payments = world.store.run_payments(payment.run_id)
    owed = next(p for p in run_payments if p.person_key == world.person(2))
    async with world.units() as uow:
        assert await record_returns(uow, [_returned(owed)], date(2026, 6, 4)) == 1
    assert world.published(events.RecoveryRecorded) == []
