"""The reconciliation rules as handlers on the in-memory unit of work: what each event
records, and what the batch's steps find when it commits."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, timedelta

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.oversight_v1 import FindingRaised, FindingResolved, HoldLifted, HoldPlaced
from siquan.contracts.public_security_v1 import DeathReported
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.application import recording
from siquan.oversight.console import reasons as console_reasons
from siquan.oversight.public.application import ledger
from siquan.oversight.reconciliation.application import (
    eligibility_rules,
    fund_rules,
    payment_rules,
)

OWED, PERIOD = 21_000, "2026-11"
REVIEWER, APPROVER, DISBURSER = "reviewer-1", "approver-1", "disburser-1"
TOLD = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def granted(*, approved_by: str = APPROVER, person: str | None = None
            ) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code="special_assistance", category="death", policy_version="v",
        person_key=person or secrets.token_hex(32), masked_name="王*",
        masked_resident_id="4201**********0011", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by=REVIEWER, approved_by=approved_by,
        approved_at=datetime(2026, 1, 1, tzinfo=UTC))


def run(run_id: str = "run-1") -> dict[str, str]:
    return {"run_id": run_id, "program_code": "special_assistance", "period": PERIOD,
            "division_code": "420117"}


def paid(cert: eligibility.CertificationGranted, *, amount: int = OWED,
         payment_id: str | None = None) -> disbursement.SettledPayment:
    return disbursement.SettledPayment(
        payment_id=payment_id or str(uuid.uuid4()), person_key=cert.person_key,
        certification_id=cert.certification_id, item="benefit", amount_fen=amount,
        bank_reference="B1")


def chunk(*payments: disbursement.SettledPayment, run_id: str = "run-1", number: int = 0
          ) -> disbursement.PaymentsSettled:
    return disbursement.PaymentsSettled(chunk=number, payments=payments, **run(run_id))


async def committed(uow: FakeOversightWork, *events: object) -> FakeOversightWork:
    """Deliver each event to every rule that takes it, in one batch, and commit."""
    batch = FakeOversightWork(uow.clock, store=uow.store)
    for event in events:
        handlers = {
            eligibility.CertificationGranted: [eligibility_rules.judge_grant],
            eligibility.ApplicationReviewed: [eligibility_rules.remember_review],
            eligibility.ApplicationSubmitted: [eligibility_rules.remember_application],
            eligibility.CommunityReviewRecorded: [
                eligibility_rules.remember_community_rejections],
            eligibility.CertificationRevoked: [eligibility_rules.judge_change],
            DeathReported: [eligibility_rules.judge_death],
            eligibility.DeathCorrected: [eligibility_rules.forget_death_recorded_in_error],
            disbursement.PaymentRunStarted: [payment_rules.remember_run],
            disbursement.PaymentsSettled: [payment_rules.judge_chunk],
            disbursement.PaymentsReturned: [payment_rules.forget_returned],
            disbursement.PayeeAccountRegistered: [payment_rules.judge_payee_account],
            disbursement.PayeeAccountConfirmed: [
                payment_rules.judge_payee_account_confirmation],
            fund_custody.AllocationApproved: [fund_rules.remember_reservation],
            fund_custody.SettlementCompleted: [fund_rules.judge_settlement],
        }[type(event)]
        await batch.receive(event, *handlers)  # type: ignore[arg-type]
    await batch.commit()
    return batch


def rules_of(batch: FakeOversightWork) -> list[str]:
    return sorted(f.rule for f in batch.published(FindingRaised))


async def test_a_payment_on_a_certification_in_force_raises_nothing_and_is_checked(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert)
    payment = paid(cert)

    batch = await committed(uow, chunk(payment))

    assert batch.published() == []
    assert uow.store.payments[payment.payment_id].cert_checked


async def test_a_payment_and_its_grant_in_one_batch_are_judged_together(
        uow: FakeOversightWork) -> None:
    cert = granted()

    batch = await committed(uow, chunk(paid(cert)), cert)

    assert batch.published() == []
    assert all(p.cert_checked for p in uow.store.payments.values())


async def test_a_payment_before_its_grant_waits_and_is_judged_when_the_grant_comes(
        uow: FakeOversightWork) -> None:
    cert = granted()
    payment = paid(cert, amount=OWED - 1)
    first = await committed(uow, chunk(payment))
    assert first.published() == [] and not uow.store.payments[payment.payment_id].cert_checked

    later = await committed(uow, cert)

    assert rules_of(later) == ["amount_differs_from_policy"]
    assert uow.store.payments[payment.payment_id].cert_checked


async def test_an_approval_by_the_township_reviewer_is_a_breach_of_discipline(
        uow: FakeOversightWork) -> None:
    cert = granted(approved_by=REVIEWER)

    batch = await committed(uow, cert)

    [finding] = batch.published(FindingRaised)
    assert (finding.rule, finding.category, finding.officer_id) == (
        "reviewer_approved_own_review", "breach_of_discipline", REVIEWER)
    assert batch.pending[0].causation_id == finding.evidence[-1]


async def test_a_certifying_officer_who_registered_the_account_acts_in_two_powers(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, disbursement.PayeeAccountRegistered(
        person_key=cert.person_key, bank_code="ABC", masked_account="****1234",
        registered_by=APPROVER, registered_at=uow.now(), replaces_previous=False))

    assert rules_of(await committed(uow, cert)) == ["officer_in_two_powers"]


def confirmation(person_key: str, checker: str, at: datetime
                 ) -> disbursement.PayeeAccountConfirmed:
    return disbursement.PayeeAccountConfirmed(
        person_key=person_key, bank_code="ABC", masked_account="****1234",
        registered_by="disburser-420117-01", registered_at=at, confirmed_by=checker,
        confirmed_at=at, division_code="420117")


async def test_a_certifying_officer_who_confirmed_an_account_change_acts_in_two_powers(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert)

    batch = await committed(uow, confirmation(cert.person_key, APPROVER, uow.now()))

    [finding] = batch.published(FindingRaised)
    assert (finding.rule, finding.officer_id) == ("officer_in_two_powers", APPROVER)
    assert "confirmed a change" in finding.reason


async def test_a_change_confirmed_by_a_second_disbursement_officer_raises_nothing(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert)

    batch = await committed(uow, confirmation(cert.person_key, "disburser-420117-02",
                                              uow.now()))

    assert batch.published(FindingRaised) == []


async def test_a_payment_after_revocation_is_a_wrong_payment_and_holds_the_payee(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, eligibility.CertificationRevoked(
        certification_id=cert.certification_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", effective_from=date(2026, 6, 1),
        reason="moved", revoked_by=APPROVER))

    batch = await committed(uow, chunk(paid(cert)))

    assert rules_of(batch) == ["paid_after_revocation"]
    [hold] = batch.published(HoldPlaced)
    assert (hold.person_key, hold.program_code) == (cert.person_key, "special_assistance")


async def test_a_death_reported_after_the_money_left_finds_the_payment_and_holds_everything(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, chunk(paid(cert)))

    batch = await committed(uow, DeathReported(report_id="PS-1", person_key=cert.person_key,
                                               date_of_death=date(2026, 9, 30)))

    assert rules_of(batch) == ["paid_after_death"]
    assert batch.published(HoldPlaced)[0].program_code is None


async def test_paying_the_same_period_again_is_a_wrong_payment_once(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, chunk(paid(cert)))

    again = await committed(uow, chunk(paid(cert), number=1))
    redelivered = await committed(uow, chunk(paid(cert), number=1))

    assert rules_of(again) == ["paid_twice"]
    assert rules_of(redelivered) == ["paid_twice"]  # another payment: another finding
    assert len([f for f in uow.store.findings.values() if f["rule"] == "paid_twice"]) == 2


async def test_a_transfer_answered_again_for_a_run_started_over_is_not_paid_twice(
        uow: FakeOversightWork) -> None:
    cert = granted()
    lost = paid(cert)
    await committed(uow, cert, chunk(lost, run_id="run-lost"))
    # the run lost in a restore of disbursement, started again: the bank answered the new
    # payment id with the transfer it had made for the lost run
    answered = paid(cert).model_copy(update={"transferred_as": lost.payment_id})

    again = await committed(uow, chunk(answered, run_id="run-again"))
    # a payment under yet another id that names no transfer is paid twice, and so is one
    # naming another transfer
    twice = await committed(uow, chunk(paid(cert), run_id="run-again", number=1),
                            chunk(paid(cert).model_copy(update={
                                "transferred_as": str(uuid.uuid4())}),
                                  run_id="run-again", number=2))

    assert rules_of(again) == []
    assert rules_of(twice) == ["paid_twice", "paid_twice"]


async def test_a_transfer_answered_again_reported_before_the_lost_run_is_not_paid_twice(
        uow: FakeOversightWork) -> None:
    cert = granted()
    lost = paid(cert)
    answered = paid(cert).model_copy(update={"transferred_as": lost.payment_id})
    await committed(uow, cert, chunk(answered, run_id="run-again"))

    assert rules_of(await committed(uow, chunk(lost, run_id="run-lost"))) == []


async def test_a_payment_the_bank_returned_may_be_paid_again(uow: FakeOversightWork) -> None:
    cert = granted()
    first = paid(cert)
    await committed(uow, cert, chunk(first), disbursement.PaymentsReturned(chunk=0,
        payments=(disbursement.ReturnedPayment(
            payment_id=first.payment_id, person_key=cert.person_key, amount_fen=OWED,
            reason="closed", returned_on=date(2026, 11, 20)),), **run()))

    assert rules_of(await committed(uow, chunk(paid(cert), number=1))) == []


def returned_of(payment: disbursement.SettledPayment) -> disbursement.PaymentsReturned:
    return disbursement.PaymentsReturned(chunk=0, payments=(disbursement.ReturnedPayment(
        payment_id=payment.payment_id, person_key=payment.person_key, amount_fen=OWED,
        reason="closed", returned_on=date(2026, 11, 20)),), **run())


def two_ids() -> tuple[str, str]:
    """Two payment ids in their sort order (the batch's payments are judged in it)."""
    low, high = sorted(str(uuid.uuid4()) for _ in range(2))
    return low, high


async def told(uow: FakeOversightWork, event: object, at: datetime) -> FakeOversightWork:
    """One batch: the event logged in the audit log and judged, its producer saying it
    occurred `at`."""
    batch = FakeOversightWork(uow.clock, store=uow.store)
    handler = {disbursement.PaymentsSettled: payment_rules.judge_chunk,
               disbursement.PaymentsReturned: payment_rules.forget_returned}[type(event)]
    await batch.receive(event, recording.log_event, handler,  # type: ignore[arg-type]
                        headers={"x-siquan-occurred-at": at.isoformat()})
    await batch.commit()
    return batch


async def test_a_retry_judged_before_its_return_reached_oversight_is_dismissed(
        uow: FakeOversightWork) -> None:
    """The return and the retry in two instances' batches, or the return queued behind:
    disbursement told of the return before it made the retry, so the retry pays once."""
    cert = granted()
    first, retry = paid(cert), paid(cert)
    await committed(uow, cert)
    await told(uow, chunk(first), TOLD)
    judged = await told(uow, chunk(retry, number=1), TOLD + timedelta(days=5))
    [raised] = judged.published(FindingRaised)
    assert raised.rule == "paid_twice"

    came_back = await told(uow, returned_of(first), TOLD + timedelta(days=4))

    [resolved] = came_back.published(FindingResolved)
    assert (resolved.finding_id, resolved.outcome) == (raised.finding_id, "dismissed")
    assert first.payment_id in resolved.resolution and retry.payment_id in resolved.resolution
    # worded as the console's pattern reads it (a zh-CN page shows it in Chinese)
    assert console_reasons.finding_reason(resolved.resolution, str) != resolved.resolution
    assert uow.store.findings[raised.finding_id]["status"] == "resolved"
    # told again (a redelivery), it finds nothing left to dismiss
    assert (await told(uow, returned_of(first), TOLD + timedelta(days=4))).published() == []


async def test_a_retry_of_two_payments_returned_together_is_dismissed_once(
        uow: FakeOversightWork) -> None:
    cert = granted()
    first, second, retry = paid(cert), paid(cert), paid(cert)
    await committed(uow, cert)
    await told(uow, chunk(first), TOLD)
    await told(uow, chunk(second, number=1), TOLD)
    [raised] = (await told(uow, chunk(retry, number=2), TOLD + timedelta(days=5))
                ).published(FindingRaised)
    both = disbursement.PaymentsReturned(chunk=0, payments=(
        *returned_of(first).payments, *returned_of(second).payments), **run())

    came_back = await told(uow, both, TOLD + timedelta(days=4))

    [resolved] = came_back.published(FindingResolved)
    assert resolved.finding_id == raised.finding_id


async def test_a_payment_made_while_the_first_was_out_stays_paid_twice_when_it_comes_back(
        uow: FakeOversightWork) -> None:
    cert, other = granted(), granted()
    first, second = paid(cert), paid(cert)
    await committed(uow, cert, other)
    await told(uow, chunk(first), TOLD)
    [raised] = (await told(uow, chunk(second, number=1), TOLD + timedelta(days=2))
                ).published(FindingRaised)

    came_back = await told(uow, returned_of(first), TOLD + timedelta(days=4))

    assert came_back.published(FindingResolved) == []
    assert uow.store.findings[raised.finding_id]["status"] == "open"
    # a retry that still repeats a payment not returned stays paid twice too
    kept, returned, retry = paid(other), paid(other), paid(other)
    await told(uow, chunk(kept, returned, number=2), TOLD)
    [again] = (await told(uow, chunk(retry, number=3), TOLD + timedelta(days=5))
               ).published(FindingRaised)
    assert (await told(uow, returned_of(returned), TOLD + timedelta(days=4))
            ).published(FindingResolved) == []
    assert uow.store.findings[again.finding_id]["status"] == "open"


async def test_a_payment_its_return_and_the_retry_in_one_batch_are_not_paid_twice(
        uow: FakeOversightWork) -> None:
    """The return is written before any chunk of the batch is judged, in whatever order
    the three messages came and whichever payment id sorts first; without the return the
    retry is a second payment."""
    certs = [granted() for _ in range(5)]
    await committed(uow, *certs)
    for cert, ids in zip(certs[:4], (two_ids(), two_ids()[::-1]) * 2, strict=True):
        first, retry = (paid(cert, payment_id=i) for i in ids)
        batch = ((chunk(first), returned_of(first), chunk(retry, number=1)) if cert in certs[:2]
                 else (returned_of(first), chunk(first), chunk(retry, number=1)))
        assert rules_of(await committed(uow, *batch)) == [], (ids, batch)

    first, again = (paid(certs[4], payment_id=i) for i in two_ids())
    unreturned = await committed(uow, chunk(first), chunk(again, number=1))
    assert rules_of(unreturned) == ["paid_twice"]
    [finding] = unreturned.published(FindingRaised)
    assert finding.reason.startswith(f"payment {again.payment_id} pays")


async def test_a_return_logged_before_its_payment_is_stored_still_counts(
        uow: FakeOversightWork) -> None:
    cert = granted()
    first = paid(cert)
    returned = disbursement.PaymentsReturned(chunk=0, payments=(disbursement.ReturnedPayment(
        payment_id=first.payment_id, person_key=cert.person_key, amount_fen=OWED,
        reason="closed", returned_on=date(2026, 11, 20)),), **run())
    batch = FakeOversightWork(uow.clock, store=uow.store)
    await batch.receive(returned, payment_rules.forget_returned, ledger.payments_returned)
    await batch.commit()

    await committed(uow, cert, chunk(first))

    assert uow.store.payments[first.payment_id].returned
    assert rules_of(await committed(uow, chunk(paid(cert), number=1))) == []


async def test_an_account_replaced_just_before_the_run_is_flagged_not_found(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, disbursement.PayeeAccountRegistered(
        person_key=cert.person_key, bank_code="ABC", masked_account="****9999",
        registered_by="clerk-2", registered_at=uow.now() - timedelta(days=3),
        replaces_previous=True),
        disbursement.PaymentRunStarted(payee_count=1, total_fen=OWED, skipped=(),
                                       started_by=DISBURSER, **run()))

    batch = await committed(uow, chunk(paid(cert)))

    assert batch.published() == []
    assert [f["kind"] for f in uow.store.flags.values()] == ["account_changed_before_run"]


async def test_a_settlement_that_does_not_settle_the_reservation_is_a_breach(
        uow: FakeOversightWork) -> None:
    await committed(uow, fund_custody.AllocationApproved(
        allocation_id="a-1", amount_fen=OWED, available_fen=0, **run()))

    batch = await committed(uow, fund_custody.SettlementCompleted(
        reserved_fen=OWED + 500, paid_fen=OWED, released_fen=500, available_fen=0, **run()))

    assert rules_of(batch) == ["settlement_differs_from_allocation"]


async def test_a_settlement_adding_up_to_its_reservation_raises_nothing(
        uow: FakeOversightWork) -> None:
    batch = await committed(uow, fund_custody.AllocationApproved(
        allocation_id="a-1", amount_fen=OWED, available_fen=0, **run()),
        fund_custody.SettlementCompleted(reserved_fen=OWED, paid_fen=OWED - 100,
                                         released_fen=100, available_fen=0, **run()))

    assert batch.published() == []


async def test_a_revocation_for_a_death_after_the_money_left_is_judged_as_the_death(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, chunk(paid(cert)))

    batch = await committed(uow, eligibility.CertificationRevoked(
        certification_id=cert.certification_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", effective_from=date(2026, 10, 1),
        reason="death reported (died 2026-09-30)", revoked_by="system",
        date_of_death=date(2026, 9, 30)))

    assert "paid_after_death" in rules_of(batch)
    assert any(h.program_code is None for h in batch.published(HoldPlaced))


async def test_a_death_corrected_dismisses_what_it_alone_found_and_lifts_the_hold(
        uow: FakeOversightWork) -> None:
    cert = granted()
    await committed(uow, cert, chunk(paid(cert)), eligibility.CertificationRevoked(
        certification_id=cert.certification_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", effective_from=date(2026, 10, 1),
        reason="death reported (died 2026-09-30)", revoked_by="system",
        date_of_death=date(2026, 9, 30)))
    [hold] = [h for h in uow.store.holds.values() if h["lifted_at"] is None]
    corrected = eligibility.DeathCorrected(
        correction_id=str(uuid.uuid4()), report_id="GA-1", person_key=cert.person_key,
        date_of_death=date(2026, 9, 30), certification_ids=(cert.certification_id,),
        reinstated_from=date(2026, 10, 1), reason="the wrong person",
        corrected_by=APPROVER, corrected_at=datetime(2026, 10, 20, tzinfo=UTC))

    batch = await committed(uow, corrected)

    [lifted] = batch.published(HoldLifted)
    assert (lifted.hold_id, lifted.person_key) == (hold["hold_id"], cert.person_key)
    assert {r.outcome for r in batch.published(FindingResolved)} == {"dismissed"}
    assert cert.person_key not in uow.store.deaths
    assert (await committed(uow, corrected)).published() == []  # handled again: nothing


def submitted(application_id: str) -> eligibility.ApplicationSubmitted:
    return eligibility.ApplicationSubmitted(
        application_id=application_id, program_code="special_assistance", category="death",
        person_key=secrets.token_hex(32), masked_name="王*", division_code="420117",
        township_code="420117001", submitted_by="clerk-1",
        submitted_at=datetime(2026, 1, 5, tzinfo=UTC))


def community_review(outcomes: dict[str, str]) -> eligibility.CommunityReviewRecorded:
    return eligibility.CommunityReviewRecorded(
        review_id=str(uuid.uuid4()), division_code="420117", township_code="420117001",
        held_on=date(2026, 1, 5),
        present=12, recorded_by="clerk-1", recorded_at=datetime(2026, 1, 5, tzinfo=UTC),
        part=1, parts=1, entries=tuple(eligibility.CommunityReviewEntry(
            application_id=a, person_key=secrets.token_hex(32), outcome=outcome,
            reason="not resident" if outcome == "failed" else "")
            for a, outcome in outcomes.items()))


async def test_an_application_the_community_failed_is_not_counted_late(
        uow: FakeOversightWork) -> None:
    """Eligibility ends an application its community review failed; oversight's timeliness
    must not count it as still waiting for its certification (nor the review as a second
    application), in whichever order the review and the application arrive."""
    failed, failed_first, passed = (str(uuid.uuid4()) for _ in range(3))

    await committed(uow, submitted(failed), submitted(passed),
                    community_review({failed: "failed", passed: "passed",
                                      failed_first: "failed"}))
    await committed(uow, submitted(failed_first))
    figures = await uow.watched.timeliness(
        now=datetime(2026, 6, 1, tzinfo=UTC), target_days=30,
        since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2027, 1, 1, tzinfo=UTC))

    [division] = figures
    assert (division.counted, division.on_time) == (1, 0)  # only the one that passed waits
    assert len(division.late_evidence) == 1
