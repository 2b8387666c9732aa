"""A change of category backdated to months already paid at a higher standard: what was
paid above the new standard becomes a receivable (cause `standard_lowered`) once however
often the change arrives; nothing when the new standard is equal or higher; the bank's
return of such a payment repays only the part of it that was overpaid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.eligibility_v1 import CertificationCategoryChanged
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.application import facts
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.application.returns import record_returns

CHANGED_FROM = date(2026, 4, 1)


def _owed(world: Any, category: str, period: str) -> int:
    return load_catalogue().amount_for(world.program, category, period, world.division)


async def _paid(world: Any, periods: tuple[str, ...]) -> list[Any]:
    """Person 1 (death) and person 2 paid each period; person 1's payments."""
    await world.payees(2)
    paid = []
    for period in periods:
        run = (await world.start(period)).run
        await world.allocate(run)
        async with world.units(correlation_id=run.id) as uow:
            await pay_chunk(uow, world.bank, run.id)
        paid += [p for p in world.store.run_payments(run.id)
                 if p.person_key == world.person(1)]
    assert {p.status for p in paid} == {"settled"}
    return paid


def _changed(world: Any, to_category: str, n: int = 1, from_category: str = "death"
             ) -> CertificationCategoryChanged:
    return CertificationCategoryChanged(
        change_id=str(uuid.uuid4()), certification_id=f"cert-{n}",
        program_code=world.program, person_key=world.person(n),
        division_code=world.division, from_category=from_category, to_category=to_category,
        effective_from=CHANGED_FROM, reason="test", decided_by="approver-420117-01",
        decided_at=datetime(2026, 6, 3, tzinfo=UTC))


async def _follow(world: Any, event: CertificationCategoryChanged) -> None:
    async with world.units() as uow:
        await facts.follow_category_change(event, uow)


async def test_a_backdated_lower_category_makes_the_difference_a_receivable_once(
        world: Any) -> None:
    paid = await _paid(world, ("2026-03", "2026-04", "2026-05"))
    change = _changed(world, "disability")
    await _follow(world, change)
    await _follow(world, change)  # redelivered
    [found] = world.published(OverpaymentRecordedV2)
    difference = {p: _owed(world, "death", p) - _owed(world, "disability", p)
                  for p in ("2026-04", "2026-05")}
    assert all(fen > 0 for fen in difference.values())
    assert (found.cause, found.ended_from, found.certification_id, found.total_fen) == (
        "standard_lowered", CHANGED_FROM, "cert-1", sum(difference.values()))
    by_id = {p.payment_id: p for p in paid}
    assert sorted((p.period, p.amount_fen, by_id[p.payment_id].period)
                  for p in found.payments) == [
        (period, fen, period) for period, fen in sorted(difference.items())]


async def test_a_backdated_equal_or_higher_category_records_nothing(world: Any) -> None:
    await world.grant(3, "disability")
    await world.register(3)
    assert _owed(world, "disability", "2026-04") < _owed(world, "death", "2026-04")
    await _paid(world, ("2026-04",))
    assert [p.status for p in world.store.payments.values()
            if p.person_key == world.person(3)] == ["settled"]
    await _follow(world, _changed(world, "death"))  # equal
    await _follow(world, _changed(world, "death", 3, "disability"))  # higher
    assert len(world.store.certification_changes) == 2
    assert world.published(OverpaymentRecordedV2) == []


async def test_the_return_of_a_payment_partly_overpaid_repays_only_that_part(
        world: Any) -> None:
    [april] = await _paid(world, ("2026-04",))
    await _follow(world, _changed(world, "disability"))
    [found] = world.published(OverpaymentRecordedV2)
    assert found.total_fen < april.amount_fen
    async with world.units() as uow:
        await record_returns(uow, [BankReturn(april.payment_id, april.bank_reference,
                                              april.amount_fen, "account closed",
                                              date(2026, 6, 4))], date(2026, 6, 4))
    [recovery] = world.published(events.RecoveryRecorded)
    assert (recovery.amount_fen, recovery.outstanding_fen, recovery.returned_payment_id) == (
        found.total_fen, 0, april.payment_id)
