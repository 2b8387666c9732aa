"""`offsets.apply_offsets`: receivables oldest first, payments oldest period first, never
below zero on either side; only the person themself or their household. And the run
handler on the in-memory twins: a run withholds a household's open receivable from what
it owes, records each offset, and a period taken whole is not paid again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.contracts.policy import Citation, install, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend, layered
from siquan.disbursement.application import facts
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.domain.offsets import OpenReceivable, apply_offsets
from siquan.disbursement.domain.roster import PayeeAccount, PlannedPayment

ACCOUNT = PayeeAccount("102", "6222000000000001")
EARLY, LATE = datetime(2031, 2, 1, tzinfo=UTC), datetime(2031, 3, 1, tzinfo=UTC)


def _payment(period: str, fen: int, *, arrear: bool = False) -> PlannedPayment:
    return PlannedPayment("c-2", "p-2", period, fen, ACCOUNT, arrear=arrear)


def _owed(receivable_id: str, fen: int, at: datetime, *, person: str = "p-1",
          households: frozenset[str] = frozenset({"h"})) -> OpenReceivable:
    return OpenReceivable(receivable_id, person, households, fen, at)


def test_the_oldest_receivable_takes_the_oldest_period_first_and_the_rest_is_paid() -> None:
    late, early = _owed("r-late", 500, LATE), _owed("r-early", 14_000, EARLY)
    left, taken = apply_offsets([_payment("2031-05", 21_000),
                                 _payment("2031-04", 21_000, arrear=True)], "h", [late, early])
    assert [(t.receivable_id, t.period, t.offset_fen, t.arrear) for t in taken] == [
        ("r-early", "2031-04", 14_000, True), ("r-late", "2031-04", 500, True)]
    assert [(p.period, p.amount_fen) for p in left] == [("2031-04", 6_500),
                                                        ("2031-05", 21_000)]
    assert (early.outstanding_fen, late.outstanding_fen) == (0, 0)


def test_an_entitlement_taken_whole_is_not_paid_and_the_receivable_stays_open() -> None:
    owed = _owed("r", 50_000, EARLY)
    left, taken = apply_offsets([_payment("2031-04", 21_000)], "h", [owed])
    assert left == [] and [t.offset_fen for t in taken] == [21_000]
    assert owed.outstanding_fen == 29_000


def test_other_households_are_untouched_and_the_person_is_their_own_household() -> None:
    elsewhere = _owed("r", 9_000, EARLY, households=frozenset({"other"}))
    payments = [_payment("2031-04", 21_000)]
    assert apply_offsets(payments, "h", [elsewhere]) == (payments, [])
    assert apply_offsets(payments, None, [elsewhere]) == (payments, [])
    own = _owed("r", 9_000, EARLY, person="p-2", households=frozenset())
    left, taken = apply_offsets(payments, None, [own])
    assert [p.amount_fen for p in left] == [12_000] and own.outstanding_fen == 0
    assert [(t.receivable_id, t.entitlement_fen, t.offset_fen) for t in taken] == [
        ("r", 21_000, 9_000)]


@pytest.fixture
def offsets_allowed() -> Iterator[None]:
    """A published version allowing offsets from June 2026; the seed again afterwards."""
    seed = seed_catalogue()
    base = seed.in_force("special_assistance", date(2026, 6, 1), "420117")
    install(layered(seed, [amend(base, PolicyChanges(offset_allowed=True),
                                 version="offset-2026", effective_from=date(2026, 6, 1),
                                 citation=Citation(document="鄂卫健发〔2026〕2号",
                                                   clause="抵扣"))]))
    yield
    install(None)


async def _paid(world: Any, period: str) -> Any:
    run = (await world.start(period)).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    return run


def _amounts(world: Any, run: Any) -> list[tuple[int, str, int]]:
    number = {world.person(n): n for n in (1, 2, 3)}
    return sorted((number[p.person_key], p.period, p.amount_fen)
                  for p in world.store.run_payments(run.id))


async def test_a_run_withholds_a_households_receivable_and_records_each_offset(
        world: Any, offsets_allowed: None) -> None:
    home, elsewhere = "a" * 64, "b" * 64
    for n, category, household in ((1, "death", home), (2, "disability", home),
                                   (3, "death", elsewhere)):
        event = world.granted(n, category).model_copy(update={"household_key": household})
        async with world.units() as uow:
            await facts.keep_certification(event, uow)
        await world.register(n)
    may = await _paid(world, "2026-05")  # no offsets before June: the policy of May
    assert _amounts(world, may) == [(1, "2026-05", 21_000), (2, "2026-05", 15_000),
                                    (3, "2026-05", 21_000)]
    async with world.units() as uow:  # person 1 revoked from May: May is overpaid
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id="cert-1", program_code=world.program,
            person_key=world.person(1), division_code=world.division,
            effective_from=date(2026, 5, 1), reason="finding", revoked_by="approver-1"),
            uow)
    [overpaid] = world.published(OverpaymentRecordedV2)
    assert overpaid.total_fen == 21_000

    june = await _paid(world, "2026-06")  # person 2's June is taken whole
    assert _amounts(world, june) == [(3, "2026-06", 21_000)]
    assert (june.payee_count, june.total_fen) == (1, 21_000)
    july = await _paid(world, "2026-07")  # the rest from July; June is not paid again
    assert _amounts(world, july) == [(2, "2026-07", 9_000), (3, "2026-07", 21_000)]
    assert july.total_fen == 30_000

    taken = [(e.receivable_id, e.kind, e.amount_fen, e.outstanding_fen, e.recorded_by)
             for e in world.published(events.RecoveryRecorded)]
    assert taken == [(overpaid.receivable_id, "offset", 15_000, 6_000, world.officer.id),
                     (overpaid.receivable_id, "offset", 6_000, 0, world.officer.id)]
    assert [(run_id, o.person_key, o.period, o.entitlement_fen, o.offset_fen)
            for run_id, _, o in world.store.offsets] == [
        (june.id, world.person(2), "2026-06", 15_000, 15_000),
        (july.id, world.person(2), "2026-07", 15_000, 6_000)]
    august = await _paid(world, "2026-08")  # the receivable is closed: paid in full
    assert _amounts(world, august) == [(2, "2026-08", 15_000), (3, "2026-08", 21_000)]
