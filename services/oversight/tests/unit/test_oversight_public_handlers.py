"""The public side's handlers on the in-memory unit of work: the notice board kept from
eligibility's notices, each person's ledger, complaints filed, handled and escalated."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, timedelta

import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.oversight_v1 import ComplaintFiled, ComplaintResolved
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.public.application import handling, ledger, notices
from siquan.oversight.public.application.intake import FileComplaint, file_complaint
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.domain.complaints import FieldRefused
from siquan.oversight.reconciliation.application import payment_rules
from siquan.oversight.settings import OversightSettings
from siquan.shared.auth import Officer
from siquan.shared.clock import FixedClock
from siquan.shared.errors import OutOfScope, Refused

CONFIG = PublicConfig.from_settings(OversightSettings(amqp_url="amqp://x", pg_dsn="pg://x"))
AUDITOR = Officer(id="auditor-420117-01", name="审计", roles=("auditor",), division="420117",
                  token_sha256="0" * 64)
RUN = {"run_id": "run-1", "program_code": "special_assistance", "period": "2026-11",
       "division_code": "420117"}


def notice(application_id: str, *, published_on: date = date(2026, 11, 2),
           name: str = "张*") -> eligibility.NoticePublished:
    return eligibility.NoticePublished(
        notice_id="n-1", program_code="special_assistance", policy_version="v",
        division_code="420117", published_on=published_on,
        closes_on=published_on + timedelta(days=7), notice_days=7, published_by="o",
        total_entries=1, part=1, parts=1, entries=(eligibility.NoticeEntry(
            application_id=application_id, category="death", masked_name=name,
            masked_resident_id="4201**********0011"),))


def objection(application_id: str) -> FileComplaint:
    return FileComplaint(category="notice_objection", description="不符合", channel="web",
                         anonymous=True, application_id=application_id)


async def test_a_notice_is_posted_with_its_entries_masked_again(
        uow: FakeOversightWork) -> None:
    application = str(uuid.uuid4())
    await uow.receive(notice(application, name="张三丰"), notices.post_notice)

    [entry] = uow.store.notice_entries.values()
    assert entry["masked_name"] == "张**"
    assert uow.store.notices["n-1"]["status"] == "posted"


async def test_a_close_seen_before_its_notice_still_closes_it(uow: FakeOversightWork) -> None:
    await uow.receive(eligibility.NoticeClosed(
        notice_id="n-1", program_code="special_assistance", division_code="420117",
        closed_on=date(2026, 11, 9), total_entries=1, blocked_application_ids=()),
        notices.close_notice)
    await uow.receive(notice(str(uuid.uuid4())), notices.post_notice)

    assert uow.store.notices["n-1"]["status"] == "closed"


async def test_a_grant_enters_the_persons_ledger_masked(uow: FakeOversightWork) -> None:
    person = secrets.token_hex(32)
    await uow.receive(eligibility.CertificationGranted(
        certification_id="c-1", application_id="a-1", program_code="special_assistance",
        category="death", policy_version="v", person_key=person, masked_name="王五",
        masked_resident_id="420117199001010011", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by="r", approved_by="a",
        approved_at=uow.now()), ledger.certification_changed)

    [change] = await uow.ledger.changes_of(person, "")
    assert (change.change, change.masked_name, change.masked_resident_id) == (
        "granted", "王*", "4201**********0011")


async def test_a_failed_payment_is_a_line_once_however_often_it_is_reported(
        uow: FakeOversightWork) -> None:
    person = secrets.token_hex(32)
    failed = disbursement.PaymentsFailed(chunk=0, payments=(disbursement.FailedPayment(
        payment_id="p-1", person_key=person, amount_fen=21_000, reason="account closed"),),
        **RUN)
    await uow.receive(failed, ledger.payments_failed)
    await uow.receive(failed, ledger.payments_failed)

    assert [(line.outcome, line.amount_fen, line.reason)
            for line in await uow.ledger.lines_of(person, "")] == [
        ("failed", 21_000, "account closed")]


async def test_a_transfer_answered_again_for_a_run_started_over_is_one_line(
        uow: FakeOversightWork) -> None:
    person = secrets.token_hex(32)

    def settled(payment_id: str, run_id: str, transferred_as: str | None = None
                ) -> disbursement.PaymentsSettled:
        return disbursement.PaymentsSettled(chunk=0, payments=(disbursement.SettledPayment(
            payment_id=payment_id, person_key=person, certification_id="c-1",
            item="benefit", amount_fen=21_000, bank_reference="B1",
            transferred_as=transferred_as),), **{**RUN, "run_id": run_id})
    await uow.receive(settled("p-lost", "run-lost"), payment_rules.judge_chunk)
    await uow.receive(settled("p-again", "run-again", "p-lost"), payment_rules.judge_chunk)

    assert [(line.outcome, line.run_id, line.amount_fen)
            for line in await uow.ledger.lines_of(person, "")] == [
        ("settled", "run-lost", 21_000)]


async def test_a_payee_a_run_skipped_gets_a_line_with_the_reason(
        uow: FakeOversightWork) -> None:
    person = secrets.token_hex(32)
    await uow.receive(disbursement.PaymentRunStarted(
        payee_count=0, total_fen=0, started_by="d", skipped=(disbursement.SkippedPayee(
            person_key=person, certification_id="c-1", reason="hold"),), **RUN),
        ledger.payees_skipped)

    [line] = await uow.ledger.lines_of(person, "")
    assert (line.outcome, line.reason, line.run_id) == ("skipped", "hold", "run-1")


async def test_an_objection_to_a_posted_entry_is_filed_due_within_its_notice(
        uow: FakeOversightWork) -> None:
    application = str(uuid.uuid4())
    await uow.receive(notice(application, published_on=uow.today()), notices.post_notice)

    complaint = await file_complaint(uow, CONFIG, objection(application))

    [filed] = uow.published(ComplaintFiled)
    assert (filed.complaint_id, filed.application_id) == (complaint.complaint_id, application)
    assert complaint.due_day(CONFIG.zone) <= uow.today() + timedelta(days=7)
    assert await uow.complaints.by_tracking_number(complaint.tracking_number) == complaint


async def test_an_objection_to_an_application_not_posted_is_refused_and_nothing_is_filed(
        uow: FakeOversightWork) -> None:
    with pytest.raises(FieldRefused):
        await file_complaint(uow, CONFIG, objection(str(uuid.uuid4())))

    assert uow.published() == [] and uow.store.complaints == {}


async def test_a_hotline_operator_may_not_file_for_another_county(
        uow: FakeOversightWork) -> None:
    with pytest.raises(OutOfScope):
        await file_complaint(uow, CONFIG, FileComplaint(
            category="officer_misconduct", description="x", channel="hotline",
            anonymous=True, division_code="110105", taken_by=AUDITOR))


async def web_complaint(uow: FakeOversightWork) -> str:
    complaint = await file_complaint(uow, CONFIG, FileComplaint(
        category="not_paid_in_full", description="少发", channel="web", anonymous=True,
        division_code="420117"))
    return complaint.complaint_id


async def test_an_auditor_assigns_a_handler_and_the_complaint_stays_open(
        uow: FakeOversightWork) -> None:
    complaint_id = await web_complaint(uow)

    assigned = await handling.assign(uow, AUDITOR, complaint_id, "handler-7")

    assert (assigned.handler, assigned.status) == ("handler-7", "open")


async def test_a_resolved_complaint_takes_no_handler(uow: FakeOversightWork) -> None:
    complaint_id = await web_complaint(uow)
    await handling.resolve(uow, AUDITOR, complaint_id, "dismissed", "no grounds")

    with pytest.raises(Refused):
        await handling.assign(uow, AUDITOR, complaint_id, "handler-7")


async def test_a_resolution_is_published_answering_the_filing(
        uow: FakeOversightWork) -> None:
    complaint_id = await web_complaint(uow)
    [filing] = uow.pending

    resolved = await handling.resolve(uow, AUDITOR, complaint_id, "upheld", "补发")

    assert resolved.status == "resolved"
    answer = uow.pending[-1]
    assert isinstance(answer.event, ComplaintResolved)
    assert (answer.correlation_id, answer.causation_id) == (filing.message_id,
                                                            filing.message_id)


async def test_a_resolved_complaint_cannot_be_resolved_again(uow: FakeOversightWork) -> None:
    complaint_id = await web_complaint(uow)
    await handling.resolve(uow, AUDITOR, complaint_id, "upheld", "补发")

    with pytest.raises(Refused):
        await handling.resolve(uow, AUDITOR, complaint_id, "dismissed", "again")
    assert len(uow.published(ComplaintResolved)) == 1


async def test_a_complaint_still_open_after_its_due_day_is_escalated(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    complaint_id = await web_complaint(uow)
    clock.advance(timedelta(days=30))

    assert await handling.escalate_overdue(uow) == 1
    escalated = await uow.complaints.by_id(complaint_id)
    assert escalated is not None and escalated.status == "escalated"
    assert await handling.escalate_overdue(uow) == 0
