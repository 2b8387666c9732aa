"""The bank's word against disbursement's instructions: each `bank_statement.difference.v1`
and `bank_result.mismatch.v1` disbursement publishes becomes a finding with its evidence
(`domain/bank.py`), raised in the transaction that logs the message. A redelivered message
finds its inbox row; the same difference published again finds its finding (its key)."""

from __future__ import annotations

from siquan.contracts import disbursement_v1 as disbursement
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_finding
from siquan.oversight.reconciliation.application.sources import message_id_of
from siquan.oversight.reconciliation.domain.bank import BankDifference, bank_difference_finding
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
        message_id=message_id_of(uow))))


@handles(disbursement.BankResultMismatch)
async def judge_result_mismatch(e: disbursement.BankResultMismatch, uow: RuleUnit) -> None:
    await raise_finding(uow, bank_difference_finding(BankDifference(
        source="results", where=e.batch, bank_document=e.batch, line=0, kind=e.kind,
        payment_id=e.payment_id, run_id=e.run_id, program_code=e.program_code,
        period=e.period, division_code=e.division_code,
        expected_amount_fen=e.expected_amount_fen, stated_amount_fen=e.stated_amount_fen,
        expected_account=e.expected_account, stated_account=e.stated_account,
        held_status=None, bank_reference=e.bank_reference, message_id=message_id_of(uow))))
