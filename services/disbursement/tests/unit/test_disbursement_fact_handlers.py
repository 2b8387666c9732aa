"""Eligibility's, public security's and oversight's facts kept by their handlers: repeated
or reordered messages end in the same state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import (
    CertificationLapsed,
    CertificationReinstated,
    CertificationRenewed,
    CertificationRevoked,
    CertificationSuspended,
)
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced
from siquan.contracts.public_security_v1 import DeathReported
from siquan.disbursement.application import facts

LIFTED_AT = datetime(2026, 5, 2, tzinfo=UTC)


def change(kind: Any, world: Any, effective_from: date, **more: Any) -> Any:
    return kind(certification_id="cert-1", program_code=world.program,
                person_key=world.person(1), division_code=world.division,
                effective_from=effective_from, reason="test", decided_by="system", **more)


def revoked(world: Any, effective_from: date) -> CertificationRevoked:
    return CertificationRevoked(certification_id="cert-1", program_code=world.program,
                                person_key=world.person(1), division_code=world.division,
                                effective_from=effective_from, reason="moved",
                                revoked_by="approver-420117-01")


async def handle(world: Any, handler: Any, event: Any) -> None:
    uow = world.work()
    await handler(event, uow)
    await world.finish(uow)


async def test_a_granted_certification_is_kept_once_however_often_it_arrives(
        world: Any) -> None:
    await world.grant(1)
    await world.grant(1, "disability")
    kept = world.store.certification("cert-1")
    assert (kept.category, len(world.store.certifications)) == ("death", 1)


async def test_a_revocation_that_overtakes_its_grant_still_ends_the_certification(
        world: Any) -> None:
    await handle(world, facts.end_revoked_certification, revoked(world, date(2026, 3, 1)))
    await world.grant(1)
    kept = world.store.certification("cert-1")
    assert kept.active_in("2026-02") and not kept.active_in("2026-03")


async def test_of_a_revocation_and_a_lapse_the_earliest_end_wins(world: Any) -> None:
    await world.grant(1)
    await handle(world, facts.end_lapsed_certification,
                 change(CertificationLapsed, world, date(2026, 4, 1)))
    await handle(world, facts.end_revoked_certification, revoked(world, date(2026, 6, 1)))
    assert world.store.certification("cert-1").effective_until == date(2026, 4, 1)


async def test_a_reinstatement_before_its_suspension_still_ends_it(world: Any) -> None:
    await world.grant(1)
    await handle(world, facts.reinstate_certification,
                 change(CertificationReinstated, world, date(2026, 4, 1)))
    await handle(world, facts.suspend_certification,
                 change(CertificationSuspended, world, date(2026, 3, 1)))
    kept = world.store.certification("cert-1")
    assert not kept.suspended
    assert kept.suspensions == ((date(2026, 3, 1), date(2026, 4, 1)),)


async def test_a_suspension_after_a_reinstatement_is_open_again(world: Any) -> None:
    await world.grant(1)
    for kind, day in ((CertificationSuspended, date(2026, 3, 1)),
                      (CertificationSuspended, date(2026, 5, 1)),
                      (CertificationReinstated, date(2026, 4, 1))):
        handler = facts.suspend_certification if kind is CertificationSuspended \
            else facts.reinstate_certification
        await handle(world, handler, change(kind, world, day))
    assert world.store.certification("cert-1").suspended


async def test_a_death_ends_benefits_from_the_next_month_and_the_earliest_report_wins(
        world: Any) -> None:
    await world.grant(1)
    for day in (date(2026, 5, 20), date(2026, 4, 9), date(2026, 5, 20)):
        await handle(world, facts.record_death, DeathReported(
            report_id=f"r-{day}", person_key=world.person(1), date_of_death=day))
    kept = world.store.certification("cert-1")
    assert kept.benefits_end == date(2026, 5, 1)
    assert kept.active_in("2026-04") and not kept.active_in("2026-05")


async def test_a_hold_lifted_before_it_was_placed_stays_lifted(world: Any) -> None:
    key = world.person(1)
    await handle(world, facts.lift_hold, HoldLifted(
        hold_id="h-1", person_key=key, reason="unfounded", lifted_by="auditor",
        lifted_at=LIFTED_AT))
    await handle(world, facts.place_hold, HoldPlaced(
        hold_id="h-1", person_key=key, program_code=None, reason="complaint",
        placed_by="auditor"))
    assert not world.store.held(key, world.program)


async def test_a_hold_on_one_program_does_not_hold_another(world: Any) -> None:
    key = world.person(1)
    await handle(world, facts.place_hold, HoldPlaced(
        hold_id="h-1", person_key=key, program_code="reward_assistance_rural",
        reason="complaint", placed_by="auditor"))
    assert world.store.held(key, "reward_assistance_rural")
    assert not world.store.held(key, world.program)


async def test_a_renewal_changes_nothing(world: Any) -> None:
    await world.grant(1)
    before = world.store.certification("cert-1")
    await handle(world, facts.note_renewal, change(CertificationRenewed, world,
                                                   date(2026, 1, 1),
                                                   valid_until=date(2027, 12, 31)))
    assert world.store.certification("cert-1") == before


async def test_a_revocation_for_a_death_keeps_the_death_as_a_report_would(world: Any) -> None:
    await world.grant(1)
    event = revoked(world, date(2026, 5, 1)).model_copy(
        update={"date_of_death": date(2026, 4, 9)})
    await handle(world, facts.end_revoked_certification, event)
    assert world.store.deaths[world.person(1)] == date(2026, 5, 1)


async def test_a_revocation_for_another_reason_keeps_no_death(world: Any) -> None:
    await world.grant(1)
    await handle(world, facts.end_revoked_certification, revoked(world, date(2026, 5, 1)))
    assert world.person(1) not in world.store.deaths
