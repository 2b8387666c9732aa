"""A finding of absence waits while oversight has not processed what could disprove it:
which rules wait on which producers' backlog, the broker's counts made into a backlog
(one that cleared within the grace period still counts), and the sweep on the in-memory
unit of work keeping a finding as incomplete evidence, then raising or withdrawing it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.oversight_v1 import FindingRaised, HoldPlaced
from siquan.contracts.topology import subscriptions_of
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.reconciliation.adapters.backlog import BrokerBacklog, Counts
from siquan.oversight.reconciliation.application import eligibility_rules, payment_rules, sweep
from siquan.oversight.reconciliation.application.evidence import COMPLETE, backlog_of
from siquan.shared.clock import FixedClock

Granted = Callable[[], eligibility.CertificationGranted]
"""The unit conftest's `granted` fixture: a new certification each call."""

PAID_WITHOUT = "paid_without_certification"
RUN = {"run_id": "run-1", "program_code": "special_assistance", "period": "2026-11",
       "division_code": "420117"}



def test_a_rule_waits_only_on_the_producers_that_could_hold_its_evidence() -> None:
    queued = backlog_of(dead_letters=[("*", 0)], queued=[("disbursement", 3)])
    dead = backlog_of(dead_letters=[("*", 2)], queued=[])

    assert queued.waiting_for(PAID_WITHOUT) == ()
    assert queued.waiting_for("money_moved_without_run") == (
        "disbursement: 3 message(s) queued",)
    assert dead.waiting_for(PAID_WITHOUT) == ("*: 2 dead letter(s)",)
    assert backlog_of(dead_letters=[("*", 0)], queued=[]).complete
    assert dead.waiting_for("paid_after_death") == ()  # its evidence is the death itself
    assert queued.own_failures().complete and dead.own_failures() == dead


class CountedBacklog(BrokerBacklog):
    def __init__(self) -> None:
        self.now = 100.0
        super().__init__("oversight", subscriptions_of("oversight"), 1.0,
                         monotonic=lambda: self.now)
        self.next = Counts(0, {s.queue: 0 for s in subscriptions_of("oversight")})

    async def counts(self) -> Counts:
        return self.next


async def test_a_backlog_that_just_cleared_still_counts_for_the_grace_period() -> None:
    probe = CountedBacklog()
    eligibility_queue = "siquan.oversight.audit-eligibility"
    probe.next.dead_letters = 1
    assert (await probe()).waiting_for(PAID_WITHOUT) == ("*: 1 dead letter(s)",)

    probe.next.dead_letters, probe.next.queued[eligibility_queue] = 0, 1
    probe.now += 0.2
    busy = await probe()
    probe.next.queued[eligibility_queue] = 0
    probe.now += 0.5
    settling = await probe()
    probe.now += 1.1
    cleared = await probe()

    assert "eligibility: 1 message(s) queued" in busy.waiting_for(PAID_WITHOUT)
    assert settling.waiting_for(PAID_WITHOUT) != ()
    assert not settling.own_failures().complete  # the replayed letter may not be handled
    assert cleared.complete


async def test_an_unknown_queue_state_is_not_taken_for_an_empty_one() -> None:
    probe = CountedBacklog()
    probe.next.dead_letters = None

    assert (await probe()).waiting_for(PAID_WITHOUT) == ("*: queue state unknown",)


async def paid_on(uow: FakeOversightWork, clock: FixedClock, person: str, cert_id: str,
                  payment_id: str) -> FakeOversightWork:
    await uow.receive(disbursement.PaymentsSettled(chunk=0, payments=(
        disbursement.SettledPayment(payment_id=payment_id, person_key=person,
                                    certification_id=cert_id, item="benefit",
                                    amount_fen=21_000, bank_reference="B"),), **RUN),
        payment_rules.judge_chunk)
    await uow.commit()
    clock.advance(timedelta(seconds=uow.config.grace_seconds + 1))
    return FakeOversightWork(clock, store=uow.store)


async def test_a_payment_waits_while_a_dead_letter_may_hold_its_certification_then_clears(
        uow: FakeOversightWork, granted: Granted, clock: FixedClock) -> None:
    cert = granted()
    sweeper = await paid_on(uow, clock, cert.person_key, cert.certification_id, "p-1")
    dead = backlog_of(dead_letters=[("*", 1)], queued=[])

    assert await sweep.uncertified_payments(sweeper, dead) == 0
    assert sweeper.published(FindingRaised) == [] and sweeper.published(HoldPlaced) == []
    assert uow.store.awaiting[f"{PAID_WITHOUT}:p-1"]["status"] == "incomplete_evidence"
    assert not uow.store.payments["p-1"].cert_checked

    late = FakeOversightWork(clock, store=uow.store)
    await late.receive(cert, eligibility_rules.judge_grant)
    await late.commit()
    after = FakeOversightWork(clock, store=uow.store)

    assert await sweep.uncertified_payments(after) == 0
    assert await sweep.held_back_payments(after) == 0
    assert after.published(FindingRaised) == []
    assert uow.store.awaiting[f"{PAID_WITHOUT}:p-1"]["status"] == "withdrawn"


async def test_a_payment_still_without_certification_once_the_backlog_is_gone_is_found(
        uow: FakeOversightWork, clock: FixedClock) -> None:
    sweeper = await paid_on(uow, clock, secrets.token_hex(32), "never", "p-2")
    assert await sweep.uncertified_payments(
        sweeper, backlog_of(dead_letters=[("*", 1)], queued=[])) == 0

    assert await sweep.uncertified_payments(sweeper) == 1
    assert await sweep.held_back_payments(sweeper) == 0
    assert [f.rule for f in sweeper.published(FindingRaised)] == [PAID_WITHOUT]
    assert len(sweeper.published(HoldPlaced)) == 1
    assert uow.store.awaiting[f"{PAID_WITHOUT}:p-2"]["status"] == "raised"


async def test_a_payment_judged_on_arrival_holds_nobody_while_a_change_may_be_unprocessed(
        uow: FakeOversightWork, granted: Granted, clock: FixedClock) -> None:
    cert = granted()
    await uow.receive(cert, eligibility_rules.judge_grant)
    await uow.receive(eligibility.CertificationSuspended(
        certification_id=cert.certification_id, person_key=cert.person_key,
        program_code=cert.program_code, division_code=cert.division_code,
        effective_from=date(2026, 10, 1), reason="review", decided_by="a"),
        eligibility_rules.judge_change)
    await uow.commit()
    uow.config.last_count.backlog = backlog_of(dead_letters=[("*", 1)], queued=[])
    arrival = FakeOversightWork(clock, store=uow.store, config=uow.config)
    await arrival.receive(disbursement.PaymentsSettled(chunk=0, payments=(
        disbursement.SettledPayment(payment_id="p-3", person_key=cert.person_key,
                                    certification_id=cert.certification_id, item="benefit",
                                    amount_fen=21_000, bank_reference="B"),), **RUN),
        payment_rules.judge_chunk)
    await arrival.commit()

    assert arrival.published(FindingRaised) == [] and arrival.published(HoldPlaced) == []
    assert uow.store.awaiting["paid_while_suspended:p-3"]["status"] == "incomplete_evidence"

    sweeper = FakeOversightWork(clock, store=uow.store, config=uow.config)
    still = backlog_of(dead_letters=[("*", 1)], queued=[])
    assert await sweep.held_back_payments(sweeper, still) == 0
    assert uow.store.awaiting["paid_while_suspended:p-3"]["status"] == "incomplete_evidence"
    uow.config.last_count.backlog = COMPLETE

    assert await sweep.held_back_payments(sweeper) == 1
    assert [f.rule for f in sweeper.published(FindingRaised)] == ["paid_while_suspended"]
    assert len(sweeper.published(HoldPlaced)) == 1
    assert uow.store.awaiting["paid_while_suspended:p-3"]["status"] == "raised"
