"""Each difference the bank states against disbursement's instructions becomes one finding
with its evidence: payment id, expected and stated amounts and masked accounts; the same
difference delivered again raises nothing new. A result line's finding is dismissed when
the bank's corrected answer pays (or refuses) the payment as instructed after it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts.oversight_v1 import FindingRaised, FindingResolved, HoldPlaced
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.application.recording import log_event
from siquan.oversight.reconciliation.application import bank_rules
from siquan.oversight.reconciliation.domain.bank import masked

RUN = str(uuid.uuid4())
ACCOUNT, OTHER = "6222020000000010001", "6222020000000099999"


def difference(kind: str = "amount_differs", *, statement_id: str | None = None,
               line: int = 3, stated_fen: int = 21_500, **fields: Any
               ) -> disbursement.BankStatementDifference:
    values: dict[str, Any] = {
        "statement_id": statement_id or str(uuid.uuid4()),
        "statement_batch": "BOC-420117-20260531", "statement_sha256": "0" * 64,
        "run_id": RUN, "program_code": "special_assistance", "period": "2026-05",
        "division_code": "420117", "kind": kind, "line": line,
        "payment_id": str(uuid.uuid4()), "expected_amount_fen": 21_000,
        "stated_amount_fen": stated_fen, "expected_account": masked(ACCOUNT),
        "stated_account": masked(ACCOUNT), "held_status": "settled",
        "bank_reference": "BOC0001", "imported_by": "disburser-420117-01",
        "imported_at": datetime(2026, 6, 2, 9, tzinfo=UTC), **fields}
    return disbursement.BankStatementDifference(**values)


async def delivered(uow: FakeOversightWork, event: Any, message_id: str | None = None
                    ) -> FakeOversightWork:
    batch = FakeOversightWork(uow.clock, store=uow.store)
    handler = (bank_rules.judge_statement_difference
               if isinstance(event, disbursement.BankStatementDifference)
               else bank_rules.judge_result_mismatch)
    await batch.receive(event, handler, message_id=message_id)
    await batch.commit()
    return batch


async def test_a_statement_line_with_another_amount_is_a_finding_with_its_evidence(
        uow: FakeOversightWork) -> None:
    message_id = str(uuid.uuid4())
    event = difference()

    batch = await delivered(uow, event, message_id)

    [raised] = batch.published(FindingRaised)
    assert (raised.rule, raised.category, raised.run_id) == (
        "bank_statement_differs", "wrong_payment", RUN)
    assert raised.evidence == (message_id,)
    assert batch.published(HoldPlaced) == []  # a bank's word holds no payee
    [stored] = uow.store.findings.values()
    assert stored["details"] == {
        "source": "statement", "kind": "amount_differs", "payment_id": event.payment_id,
        "line": 3, "bank_document": "BOC-420117-20260531", "expected_amount_fen": 21_000,
        "stated_amount_fen": 21_500, "expected_account": "***************0001",
        "stated_account": "***************0001", "held_status": "settled",
        "bank_reference": "BOC0001", "found_at": "2026-06-02T09:00:00+00:00"}
    assert event.payment_id in stored["reason"] and "21500 fen" in stored["reason"]


async def test_the_same_difference_again_raises_nothing_new(uow: FakeOversightWork) -> None:
    event = difference("account_differs", stated_account=masked(OTHER), stated_fen=21_000)
    await delivered(uow, event)

    again = await delivered(uow, event)  # the same difference published again

    assert again.published(FindingRaised) == []
    assert len(uow.store.findings) == 1


async def test_each_line_of_a_statement_is_its_own_finding(uow: FakeOversightWork) -> None:
    statement = str(uuid.uuid4())
    await delivered(uow, difference(statement_id=statement, line=1))
    await delivered(uow, difference("missing_from_statement", statement_id=statement, line=0,
                                    stated_fen=None, stated_account=None))
    await delivered(uow, difference("unknown_payment", statement_id=statement, line=2,
                                    expected_amount_fen=None, expected_account=None,
                                    held_status=None))

    kinds = sorted(f["details"]["kind"] for f in uow.store.findings.values())
    assert kinds == ["amount_differs", "missing_from_statement", "unknown_payment"]


async def test_an_account_number_never_reaches_a_finding_whatever_the_producer_sent(
        uow: FakeOversightWork) -> None:
    await delivered(uow, difference("account_differs", stated_account=OTHER,
                                    stated_fen=21_000))

    [stored] = uow.store.findings.values()
    assert OTHER not in str(stored) and stored["details"]["stated_account"].endswith("9999")


def mismatch(batch: str = "run-0-abc", *, payment_id: str | None = None,
             stated_fen: int = 12_000) -> disbursement.BankResultMismatch:
    return disbursement.BankResultMismatch(
        batch=batch, run_id=RUN, program_code="special_assistance", period="2026-05",
        division_code="420117", kind="amount_differs",
        payment_id=payment_id or str(uuid.uuid4()), expected_amount_fen=21_000,
        stated_amount_fen=stated_fen, expected_account=masked(ACCOUNT),
        stated_account=masked(ACCOUNT), outcome="settled", bank_reference="B9",
        found_at=datetime(2026, 6, 2, tzinfo=UTC))


async def test_the_bank_answering_a_re_sent_payment_alike_raises_nothing_new(
        uow: FakeOversightWork) -> None:
    """A payment whose result differs stays unanswered and is instructed again in another
    batch; the bank stating the same difference there is the same finding, and another
    difference (another amount) a finding of its own."""
    first = mismatch("run-0-abc")
    await delivered(uow, first)

    again = await delivered(uow, mismatch("run-0-def", payment_id=first.payment_id))
    otherwise = await delivered(uow, mismatch("run-0-ghi", payment_id=first.payment_id,
                                              stated_fen=13_000))

    assert again.published(FindingRaised) == []
    [other] = otherwise.published(FindingRaised)
    assert "13000 fen" in other.reason
    assert sorted(f["details"]["bank_document"] for f in uow.store.findings.values()) == [
        "run-0-abc", "run-0-ghi"]


async def test_a_result_line_that_is_not_its_instruction_is_a_finding_too(
        uow: FakeOversightWork) -> None:
    event = mismatch()

    batch = await delivered(uow, event)

    [raised] = batch.published(FindingRaised)
    assert raised.rule == "bank_result_differs"
    [stored] = uow.store.findings.values()
    assert (stored["details"]["expected_amount_fen"],
            stored["details"]["stated_amount_fen"]) == (21_000, 12_000)


def answer(payment_id: str, *, refused: bool = False, chunk: int = 7
           ) -> disbursement.PaymentsSettled | disbursement.PaymentsFailed:
    common: dict[str, Any] = {"run_id": RUN, "program_code": "special_assistance",
                              "period": "2026-05", "division_code": "420117", "chunk": chunk}
    person = "a" * 64
    if refused:
        return disbursement.PaymentsFailed(**common, payments=[disbursement.FailedPayment(
            payment_id=payment_id, person_key=person, amount_fen=21_000,
            reason="account frozen")])
    return disbursement.PaymentsSettled(**common, payments=[disbursement.SettledPayment(
        payment_id=payment_id, person_key=person, certification_id=str(uuid.uuid4()),
        item="2026-05", amount_fen=21_000, bank_reference="B10")])


async def answered(uow: FakeOversightWork, event: Any, at: datetime) -> FakeOversightWork:
    """The chunk delivered with its producer's occurred-at `at`."""
    uow.clock.set(at)  # type: ignore[attr-defined]
    batch = FakeOversightWork(uow.clock, store=uow.store)
    await batch.receive(event, log_event, bank_rules.answered)  # logged, as consumed
    await batch.commit()
    return batch


@pytest.mark.parametrize("refused", [False, True])
async def test_the_bank_answering_a_disputed_payment_as_instructed_closes_its_finding(
        uow: FakeOversightWork, refused: bool) -> None:
    disputed = mismatch()  # found 2026-06-02 00:00 UTC
    await delivered(uow, disputed)
    [finding_id] = uow.store.findings

    batch = await answered(uow, answer(disputed.payment_id, refused=refused),
                           datetime(2026, 6, 3, 9, tzinfo=UTC))

    [resolved] = batch.published(FindingResolved)
    assert (resolved.finding_id, resolved.outcome) == (finding_id, "dismissed")
    assert disputed.payment_id in resolved.resolution
    assert ("refused" if refused else "settled") in resolved.resolution
    assert "chunk 7" in resolved.resolution
    assert uow.store.findings[finding_id]["status"] == "resolved"


@pytest.mark.parametrize("refused", [False, True])
async def test_a_difference_judged_after_the_corrected_answer_is_dismissed_at_once(
        uow: FakeOversightWork, refused: bool) -> None:
    """The corrected chunk reached one instance and the difference another, which judged
    it later: the finding is raised, for the record, and dismissed in the same batch."""
    disputed = mismatch()  # found 2026-06-02 00:00 UTC
    await answered(uow, answer(disputed.payment_id, refused=refused, chunk=9),
                   datetime(2026, 6, 3, 9, tzinfo=UTC))

    batch = await delivered(uow, disputed)

    [raised] = batch.published(FindingRaised)
    [resolved] = batch.published(FindingResolved)
    assert (resolved.finding_id, resolved.outcome) == (raised.finding_id, "dismissed")
    assert ("refused" if refused else "settled") in resolved.resolution
    assert "chunk 9" in resolved.resolution
    assert uow.store.findings[raised.finding_id]["status"] == "resolved"


async def test_a_difference_about_a_payment_answered_before_it_stays_open_judged_late(
        uow: FakeOversightWork) -> None:
    disputed = mismatch()
    await answered(uow, answer(disputed.payment_id), datetime(2026, 6, 1, 23, tzinfo=UTC))
    await answered(uow, answer(str(uuid.uuid4())), datetime(2026, 6, 3, 9, tzinfo=UTC))

    batch = await delivered(uow, disputed)

    assert len(batch.published(FindingRaised)) == 1
    assert batch.published(FindingResolved) == []
    [finding] = uow.store.findings.values()
    assert finding["status"] == "open"


async def test_an_answer_from_before_the_difference_closes_nothing(
        uow: FakeOversightWork) -> None:
    """A line that differs about a payment the bank had answered already (a second, wrong
    line) stays for an auditor, however late the earlier answer reaches oversight."""
    disputed = mismatch()
    await delivered(uow, disputed)

    batch = await answered(uow, answer(disputed.payment_id),
                           datetime(2026, 6, 1, 23, tzinfo=UTC))

    assert batch.published(FindingResolved) == []
    [finding] = uow.store.findings.values()
    assert finding["status"] == "open"


async def test_other_payments_and_lines_of_no_payment_close_nothing(
        uow: FakeOversightWork) -> None:
    disputed = mismatch()
    await delivered(uow, disputed)
    stray = disbursement.BankResultMismatch.model_validate(
        {**mismatch().model_dump(), "kind": "not_in_batch", "expected_amount_fen": None,
         "expected_account": None})
    await delivered(uow, stray)
    later = datetime(2026, 6, 3, 9, tzinfo=UTC)

    other = await answered(uow, answer(str(uuid.uuid4())), later)
    of_no_payment = await answered(uow, answer(stray.payment_id), later)

    assert other.published(FindingResolved) == of_no_payment.published(FindingResolved) == []
    assert {f["status"] for f in uow.store.findings.values()} == {"open"}


async def test_a_finding_an_auditor_resolved_meanwhile_keeps_the_auditors_outcome(
        uow: FakeOversightWork) -> None:
    disputed = mismatch()
    await delivered(uow, disputed)
    [finding_id] = uow.store.findings
    await uow.findings.resolve_finding(
        finding_id, outcome="confirmed", resolution="the bank paid 120 yuan: recover it",
        resolved_by="auditor-420117-01", resolved_at=datetime(2026, 6, 2, 15, tzinfo=UTC),
        message_id=str(uuid.uuid4()))

    batch = await answered(uow, answer(disputed.payment_id),
                           datetime(2026, 6, 3, 9, tzinfo=UTC))

    assert batch.published(FindingResolved) == []
    assert (uow.store.findings[finding_id]["outcome"],
            uow.store.findings[finding_id]["resolved_by"]) == ("confirmed", "auditor-420117-01")
