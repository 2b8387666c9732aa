"""After certification, on the in-memory unit of work: yearly renewal, the county's own
suspensions, reinstatements and revocations, and the deadline steps that close notices
and lapse what was not renewed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.adapters.memory import FakeEligibilityWork
from siquan.eligibility.application import certifications, deadlines, reconfirmation
from siquan.eligibility.application.notices import close_due_notices
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.testing import APPROVER, Cycle, officer


def _renew(year: int, *ids: str) -> reconfirmation.Reconfirm:
    return reconfirmation.Reconfirm(APPROVER, year, [
        reconfirmation.Confirmation(i, "in_person") for i in ids])


def _decide(certification_id: str, action: certifications.Action
            ) -> certifications.DecideCertification:
    return certifications.DecideCertification(APPROVER, certification_id, action,
                                              "the household moved")


async def test_a_renewal_in_the_window_extends_validity_to_the_next_year(
        cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    cycle.advance_to(date(2026, 12, 1))
    done = await cycle.run(reconfirmation.reconfirm, _renew(2027, certification_id))
    [renewed] = done.published(v1.CertificationRenewed)
    assert renewed.valid_until == date(2027, 12, 31)
    assert cycle.store.certifications[certification_id].valid_until == date(2027, 12, 31)


async def test_a_renewal_before_the_window_opens_is_refused(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    before = cycle.snapshot()
    with pytest.raises(Refused, match="renewal for 2027 is open from 2026-10-01"):
        await cycle.run(reconfirmation.reconfirm, _renew(2027, certification_id))
    assert cycle.snapshot() == before


async def test_a_renewal_naming_one_certification_twice_is_refused(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    with pytest.raises(InvalidRequest, match="twice"):
        await cycle.run(reconfirmation.reconfirm, _renew(2027, certification_id,
                                                     certification_id))


async def test_the_county_suspends_and_reinstates_with_a_reason(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    suspended = await cycle.run(certifications.decide, _decide(certification_id, "suspend"))
    reinstated = await cycle.run(certifications.decide,
                                 _decide(certification_id, "reinstate"))
    assert suspended.published(v1.CertificationSuspended)[0].reason == "the household moved"
    assert reinstated.published(v1.CertificationReinstated)[0].decided_by == APPROVER.id
    assert [h[1].kind for h in cycle.store.history] == ["suspended", "reinstated"]


async def test_a_revoked_certification_cannot_be_reinstated(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    await cycle.run(certifications.decide, _decide(certification_id, "revoke"))
    with pytest.raises(Refused, match="is revoked"):
        await cycle.run(certifications.decide, _decide(certification_id, "reinstate"))
    assert cycle.store.certifications[certification_id].status == "revoked"


async def test_an_officer_of_another_county_cannot_decide(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    stranger = officer("approver-2", "county_approver", division="420118")
    with pytest.raises(Refused):
        await cycle.run(certifications.decide, certifications.DecideCertification(
            stranger, certification_id, "revoke", "no"))
    assert cycle.store.certifications[certification_id].status == "active"


async def test_the_deadline_step_closes_a_due_notice_and_names_blocked_entries(
        cycle: Cycle) -> None:
    (objected, _), notice = await cycle.closed_notice(2)
    async with cycle.unit() as uow:
        await uow.objections.file("c1", objected, cycle.clock.now())
    done = await cycle.step(close_due_notices)
    [closed] = done.published(v1.NoticeClosed)
    assert done.result == 1 and closed.blocked_application_ids == (objected,)
    assert cycle.store.notices[notice.id].status == "closed"


async def test_the_deadline_step_leaves_a_notice_that_is_not_due(cycle: Cycle) -> None:
    notice = await cycle.to_notice([await cycle.submit()])
    done = await cycle.step(close_due_notices)
    assert done.result == 0 and done.uow.published() == []
    assert cycle.store.notices[notice.id].status == "open"


async def test_the_lapse_step_lapses_what_was_not_renewed_by_the_deadline(
        cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    cycle.advance_to(date(2027, 1, 31))
    on_deadline = await cycle.step(certifications.lapse_unrenewed)
    cycle.advance_to(date(2027, 2, 1))
    after = await cycle.step(certifications.lapse_unrenewed)
    assert on_deadline.result == 0
    [lapsed] = after.published(v1.CertificationLapsed)
    assert (lapsed.certification_id, lapsed.effective_from) == (certification_id,
                                                                date(2027, 2, 1))
    assert cycle.store.certifications[certification_id].status == "lapsed"


async def test_the_deadlines_loop_works_in_chunks_until_nothing_is_left(
        cycle: Cycle) -> None:
    for _ in range(3):
        await cycle.certified()
    cycle.advance_to(date(2027, 2, 1))
    units: list[FakeEligibilityWork] = []

    @asynccontextmanager
    async def unit() -> AsyncIterator[FakeEligibilityWork]:
        async with cycle.unit() as uow:
            units.append(uow)
            yield uow

    async def two_at_a_time(uow: Work) -> int:
        return await certifications.lapse_unrenewed(uow, limit=2)

    lapsed = await deadlines.until_done(unit, two_at_a_time, 2)
    assert lapsed == 3 and len(units) == 2
    assert {c.status for c in cycle.store.certifications.values()} == {"lapsed"}
