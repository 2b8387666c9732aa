"""The sweep's parts on the in-memory unit of work: what can only be found missing after a
grace period or a deadline."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.oversight_v1 import FindingRaised
from siquan.oversight.adapters.memory import FakeOversightWork, FakeUnits
from siquan.oversight.reconciliation.application import (
    eligibility_rules,
    fund_rules,
    payment_rules,
    sweep,
)
from siquan.oversight.reconciliation.application.evidence import Backlog
from siquan.shared.clock import FixedClock

Granted = Callable[[], eligibility.CertificationGranted]
"""The unit conftest's `granted` fixture: a new certification each call."""

RUN = {"run_id": "run-1", "program_code": "special_assistance", "period": "2026-11",
       "division_code": "420117"}



async def test_a_payment_whose_certification_never_came_is_found_after_the_grace_period(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    await uow.receive(disbursement.PaymentsSettled(chunk=0, payments=(
        disbursement.SettledPayment(payment_id="p-1", person_key=secrets.token_hex(32),
                                    certification_id="never", item="benefit",
                                    amount_fen=21_000, bank_reference="B"),), **RUN),
        payment_rules.judge_chunk)
    await uow.commit()
    sweeper = FakeOversightWork(clock, store=uow.store)
    assert await sweep.uncertified_payments(sweeper) == 0

    clock.advance(timedelta(seconds=uow.config.grace_seconds + 1))

    assert await sweep.uncertified_payments(sweeper) == 1
    assert [f.rule for f in sweeper.published(FindingRaised)] == ["paid_without_certification"]
    assert uow.store.payments["p-1"].cert_checked


async def test_money_reserved_for_a_run_nobody_started_is_found_after_the_grace_period(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    await uow.receive(fund_custody.AllocationApproved(
        allocation_id="a-1", amount_fen=99_900, available_fen=0, **RUN),
        fund_rules.remember_reservation)
    await uow.commit()
    clock.advance(timedelta(seconds=uow.config.grace_seconds + 1))
    sweeper = FakeOversightWork(clock, store=uow.store)

    assert await sweep.unmatched_movements(sweeper) == 1
    [finding] = sweeper.published(FindingRaised)
    assert (finding.rule, finding.amount_fen) == ("money_moved_without_run", 99_900)
    assert await sweep.unmatched_movements(sweeper) == 0


async def test_a_certified_person_left_unpaid_is_found_only_after_the_deadline(
        uow: FakeOversightWork, granted: Granted, clock: FixedClock) -> None:
    paid, unpaid = granted(), granted()
    for cert in (paid, unpaid):
        await uow.receive(cert, eligibility_rules.judge_grant)
    await uow.receive(disbursement.PaymentRunStarted(
        payee_count=1, total_fen=21_000, skipped=(), started_by="d", **RUN),
        payment_rules.remember_run)
    await uow.receive(disbursement.PaymentsSettled(chunk=0, payments=(
        disbursement.SettledPayment(payment_id="p-1", person_key=paid.person_key,
                                    certification_id=paid.certification_id, item="benefit",
                                    amount_fen=21_000, bank_reference="B"),), **RUN),
        payment_rules.judge_chunk)
    await uow.commit()
    sweeper = FakeOversightWork(clock, store=uow.store)
    assert await sweep.omissions(sweeper) == 0

    clock.set(datetime(2027, 1, 5, tzinfo=UTC))

    assert await sweep.omissions(sweeper) == 1
    [finding] = sweeper.published(FindingRaised)
    assert (finding.rule, finding.person_key) == ("certified_not_paid", unpaid.person_key)
    assert await sweep.omissions(sweeper) == 0


async def test_a_division_certifying_too_few_applications_in_time_is_found(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    submitted = datetime(2026, 1, 5, tzinfo=UTC)
    for n in range(10):
        await uow.receive(eligibility.ApplicationSubmitted(
            application_id=f"a-{n}", program_code="special_assistance", category="death",
            person_key=secrets.token_hex(32), masked_name="王*", division_code="420117",
            submitted_by="clerk", submitted_at=submitted),
            eligibility_rules.remember_application)
    await uow.commit()

    assert await sweep.timeliness(FakeOversightWork(clock, store=uow.store)) == 1
    assert [f["rule"] for f in uow.store.findings.values()] == [
        "certification_timeliness_below_target"]


async def test_timeliness_is_not_judged_while_eligibility_s_messages_wait_for_oversight(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    """Applications oversight saw submitted long ago, while eligibility's messages are still
    queued for it (their decisions may be among them): no finding until they are in."""
    for n in range(10):
        await uow.receive(eligibility.ApplicationSubmitted(
            application_id=f"a-{n}", program_code="special_assistance", category="death",
            person_key=secrets.token_hex(32), masked_name="王*", division_code="420117",
            submitted_by="clerk", submitted_at=datetime(2026, 1, 5, tzinfo=UTC)),
            eligibility_rules.remember_application)
    await uow.commit()
    behind = Backlog({"eligibility": "3 messages queued for oversight"})
    other = Backlog({"disbursement": "2 messages queued for oversight"})

    assert await sweep.timeliness(FakeOversightWork(clock, store=uow.store), behind) == 0
    assert uow.store.findings == {}
    assert await sweep.timeliness(FakeOversightWork(clock, store=uow.store), other) == 1


async def test_a_rejected_application_does_not_count_even_if_rejected_before_it_was_logged(
        uow: FakeOversightWork) -> None:
    await uow.receive(eligibility.ApplicationReviewed(
        application_id="a-1", program_code="special_assistance", person_key="b" * 64,
        division_code="420117", outcome="rejected", reason="no", reviewed_by="r",
        reviewed_at=datetime(2026, 1, 6, tzinfo=UTC)), eligibility_rules.remember_review)
    await uow.receive(eligibility.ApplicationSubmitted(
        application_id="a-1", program_code="special_assistance", category="death",
        person_key="b" * 64, masked_name="王*", division_code="420117", submitted_by="clerk",
        submitted_at=datetime(2026, 1, 5, tzinfo=UTC)), eligibility_rules.remember_application)

    assert uow.store.applications["a-1"]["rejected"] is True


async def test_a_sweep_runs_each_part_in_its_own_unit_of_work(clock: FixedClock) -> None:
    units = FakeUnits(clock)
    sweeper = sweep.Sweeper(units, timeliness_seconds=3600.0)

    assert await sweeper.sweep() == 0
    assert await sweeper.sweep() == 0
    assert [u.committed for u in units.opened] == [True] * 9  # timeliness once an hour
