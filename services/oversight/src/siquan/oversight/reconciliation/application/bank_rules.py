"""The bank's word against disbursement's instructions: each `bank_statement.difference.v1`
and `bank_result.mismatch.v1` disbursement publishes becomes a finding with its evidence
(`domain/bank.py`), raised in the transaction that logs the message. A redelivered message
finds its inbox row; the same difference published again finds its finding (its key).
A chunk answering a disputed payment as instructed dismisses its finding
(`close_disputes`, `domain/bank.py`), and so does a difference judged after the chunk
answering its payment (`close_answered`: the two reached different instances)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from siquan.contracts import disbursement_v1 as disbursement
from siquan.oversight.application.deferred import Asked
from siquan.oversight.reconciliation.application.decisions import dismiss
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_finding
from siquan.oversight.reconciliation.application.sources import message_id_of, told_at
from siquan.oversight.reconciliation.domain.bank import (
    DISPUTED_KINDS,
    BankDifference,
    bank_difference_finding,
    closes_dispute,
    dispute_closed,
)
from siquan.shared.registry import handles


@handles(disbursement.BankStatementDifference)
async def judge_statement_difference(e: disbursement.BankStatementDifference,
                                     uow: RuleUnit) -> None:
    await raise_finding(uow, bank_difference_finding(BankDifference(
        source="statement", where=e.statement_id, bank_document=e.statement_batch,
        line=e.line, kind=e.kind, payment_id=e.payment_id, run_id=e.run_id,
        program_code=e.program_code, period=e.period, division_code=e.division_code,
        expected_amount_fen=e.expected_amount_fen, stated_amount_fen=e.stated_amount_fen,
        expected_account=e.expected_account, stated_account=e.stated_account,
        held_status=e.held_status, bank_reference=e.bank_reference,
        message_id=message_id_of(uow), found_at=e.imported_at)))


@handles(disbursement.BankResultMismatch)
async def judge_result_mismatch(e: disbursement.BankResultMismatch, uow: RuleUnit) -> None:
    await raise_finding(uow, bank_difference_finding(BankDifference(
        source="results", where=e.batch, bank_document=e.batch, line=0, kind=e.kind,
        payment_id=e.payment_id, run_id=e.run_id, program_code=e.program_code,
        period=e.period, division_code=e.division_code,
        expected_amount_fen=e.expected_amount_fen, stated_amount_fen=e.stated_amount_fen,
        expected_account=e.expected_account, stated_account=e.stated_account,
        held_status=None, bank_reference=e.bank_reference, message_id=message_id_of(uow),
        found_at=e.found_at)))
    if e.kind in DISPUTED_KINDS:
        uow.later(close_answered, e)


@dataclass(frozen=True)
class Answered:
    """A chunk of a run's payments the bank answered, and when disbursement says it did."""

    chunk: disbursement.PaymentsSettled | disbursement.PaymentsFailed
    at: datetime | None


@handles(disbursement.PaymentsSettled, disbursement.PaymentsFailed)
async def answered(e: disbursement.PaymentsSettled | disbursement.PaymentsFailed,
                   uow: RuleUnit) -> None:
    uow.later(close_disputes, Answered(e, told_at(uow)))


async def close_disputes(uow: RuleUnit, asked: Asked[Answered]) -> None:
    """Dismiss the finding of each disputed payment the batch's chunks answer as
    instructed. One look per batch at the open disputes of its runs (usually none);
    the payments are read only when a run has one."""
    disputes = await uow.findings.open_result_disputes(
        sorted({a.chunk.run_id for a, _ in asked}))
    if not disputes:
        return
    for a, origin in asked:
        outcome = "settled" if isinstance(a.chunk, disbursement.PaymentsSettled) else "failed"
        for payment in a.chunk.payments:
            dispute = disputes.get(payment.payment_id)
            if dispute is not None and closes_dispute(dispute, a.at):
                await dismiss(uow, dispute.finding_id, dispute_closed(
                    payment.payment_id, outcome, a.chunk.chunk, a.chunk.run_id), origin)
                del disputes[payment.payment_id]


async def close_answered(uow: RuleUnit,
                         asked: Asked[disbursement.BankResultMismatch]) -> None:
    """Dismiss the finding of each difference whose payment the bank had answered as
    instructed before the difference was judged: another instance logged the corrected
    chunk first (the batches are judged one at a time, holding the chain head, so one of
    the two always sees the other). One look per batch at the open disputes of its runs;
    the answers are read only for the payments still disputed."""
    disputes = await uow.findings.open_result_disputes(sorted({m.run_id for m, _ in asked}))
    disputed = sorted({m.payment_id for m, _ in asked} & disputes.keys())
    if not disputed:
        return
    answers = await uow.settled.answers(disputed)
    for m, origin in asked:
        dispute, answer = disputes.get(m.payment_id), answers.get(m.payment_id)
        if (dispute is not None and answer is not None and answer.run_id == m.run_id
                and closes_dispute(dispute, answer.at)):
            await dismiss(uow, dispute.finding_id, dispute_closed(
                m.payment_id, answer.outcome, answer.chunk, answer.run_id), origin)
            del disputes[m.payment_id]
