"""What oversight and public security report, handled on the in-memory unit of work:
objections block and unblock notice entries, findings suspend or revoke, deaths revoke
and end — each idempotent and indifferent to the order messages arrive in."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.oversight_v1 import ComplaintFiled, ComplaintResolved, FindingRaised
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.eligibility.application import approvals
from siquan.eligibility.application.objections import block_the_entry, settle_the_objection
from siquan.eligibility.application.revocations import act_on_finding, end_what_the_dead_held
from siquan.eligibility.domain.death import Death
from siquan.eligibility.testing import APPROVER, Cycle
from siquan.shared.consumer import RuleBroken
from siquan.shared.registry import event_classes

FILED_AT = datetime(2026, 3, 3, 9, tzinfo=UTC)


def _objection(application_id: str, category: str = "notice_objection") -> ComplaintFiled:
    return ComplaintFiled(complaint_id=str(uuid.uuid4()), tracking_number="TS-1",
                          category=category, application_id=application_id,
                          division_code="420117", filed_at=FILED_AT)


def _resolution(complaint: ComplaintFiled, outcome: str) -> ComplaintResolved:
    return ComplaintResolved(complaint_id=complaint.complaint_id,
                             application_id=complaint.application_id, outcome=outcome,
                             resolution="checked the register", resolved_by="auditor-1",
                             resolved_at=FILED_AT)


def _finding(certification_id: str, decision: str) -> FindingRaised:
    return FindingRaised(finding_id=str(uuid.uuid4()), category="wrong_eligibility_decision",
                         rule="household_register_mismatch", certification_id=certification_id,
                         evidence=(str(uuid.uuid4()),), decision=decision,
                         reason="a second child", raised_at=datetime(2026, 6, 15, tzinfo=UTC))


def _death(cycle: Cycle, resident_id: str, died: date = date(2026, 4, 20)) -> DeathReported:
    return DeathReported(report_id=str(uuid.uuid4()), date_of_death=died,
                         person_key=cycle.key_of(resident_id))


def test_each_handler_declares_the_event_it_takes() -> None:
    assert event_classes(block_the_entry) == (ComplaintFiled,)
    assert event_classes(settle_the_objection) == (ComplaintResolved,)
    assert event_classes(act_on_finding) == (FindingRaised,)
    assert event_classes(end_what_the_dead_held) == (DeathReported, DeathReportedV2)


async def test_an_objection_to_a_notice_entry_blocks_it(cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    done = await cycle.run(block_the_entry, _objection(application_id))
    assert cycle.store.open_objections(application_id) == 1
    assert done.uow.published() == []


async def test_a_complaint_that_is_no_objection_blocks_nothing(cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    await cycle.run(block_the_entry, _objection(application_id, "ineligible_paid_or_listed"))
    assert cycle.store.objections == {}


async def test_an_objection_to_an_unknown_application_is_a_broken_rule(cycle: Cycle) -> None:
    with pytest.raises(RuleBroken, match="no known application"):
        await cycle.run(block_the_entry, _objection(str(uuid.uuid4())))
    assert cycle.store.objections == {}


async def test_a_dismissed_objection_unblocks_the_entry(cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    complaint = _objection(application_id)
    await cycle.run(block_the_entry, complaint)
    done = await cycle.run(settle_the_objection, _resolution(complaint, "dismissed"))
    assert cycle.store.open_objections(application_id) == 0
    assert cycle.store.applications[application_id].status == "on_notice"
    assert done.uow.published() == []


async def test_an_upheld_objection_rejects_the_application_and_says_so(cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    complaint = _objection(application_id)
    await cycle.run(block_the_entry, complaint)
    done = await cycle.run(settle_the_objection, _resolution(complaint, "upheld"))
    [reviewed] = done.published(v1.ApplicationReviewed)
    assert (reviewed.stage, reviewed.outcome) == ("notice_objection", "rejected")
    assert cycle.store.applications[application_id].status == "rejected"


async def test_a_resolution_before_its_filing_leaves_the_entry_unblocked(cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    complaint = _objection(application_id)
    await cycle.run(settle_the_objection, _resolution(complaint, "dismissed"))
    await cycle.run(block_the_entry, complaint)
    assert cycle.store.open_objections(application_id) == 0


async def test_a_finding_suspends_the_certification_from_its_date(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    done = await cycle.run(act_on_finding, _finding(certification_id, "suspend"))
    [suspended] = done.published(v1.CertificationSuspended)
    assert suspended.effective_from == date(2026, 6, 15)
    assert suspended.decided_by.startswith("finding:")
    assert cycle.store.certifications[certification_id].status == "suspended"


async def test_a_finding_revokes_the_certification(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    done = await cycle.run(act_on_finding, _finding(certification_id, "revoke"))
    assert [e.certification_id for e in done.published(v1.CertificationRevoked)] == [
        certification_id]
    assert cycle.store.certifications[certification_id].status == "revoked"


async def test_a_finding_on_a_revoked_certification_changes_nothing(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    await cycle.run(act_on_finding, _finding(certification_id, "revoke"))
    done = await cycle.run(act_on_finding, _finding(certification_id, "suspend"))
    assert done.uow.published() == []
    assert [h[1].kind for h in cycle.store.history] == ["revoked"]


async def test_a_finding_naming_an_unknown_certification_is_a_broken_rule(
        cycle: Cycle) -> None:
    with pytest.raises(RuleBroken):
        await cycle.run(act_on_finding, _finding(str(uuid.uuid4()), "revoke"))


async def test_a_death_revokes_from_the_first_day_of_the_next_month(cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await cycle.certified(resident)
    done = await cycle.run(end_what_the_dead_held, _death(cycle, resident))
    [revoked] = done.published(v1.CertificationRevoked)
    assert (revoked.certification_id, revoked.effective_from) == (certification_id,
                                                                  date(2026, 5, 1))
    assert cycle.store.certifications[certification_id].status == "revoked"


async def test_a_death_ends_the_persons_live_applications(cycle: Cycle) -> None:
    resident = cycle.people.next()
    application_id = await cycle.submit(resident)
    done = await cycle.run(end_what_the_dead_held, _death(cycle, resident))
    [ended] = done.published(v1.ApplicationReviewed)
    assert (ended.application_id, ended.stage) == (application_id, "death_reported")
    assert cycle.store.applications[application_id].status == "rejected"


async def test_a_repeated_death_report_changes_nothing(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    report = _death(cycle, resident)
    await cycle.run(end_what_the_dead_held, report)
    again = await cycle.run(end_what_the_dead_held, report)
    assert again.uow.published() == []
    assert len(cycle.store.deaths) == 1 and len(cycle.store.history) == 1


async def test_an_entry_approved_after_a_death_it_missed_ends_instead(cycle: Cycle) -> None:
    [application_id], notice = await cycle.closed_notice()
    entered = cycle.store.applications[application_id]
    # recorded while the application was being entered, so it did not end it
    cycle.store.deaths["PS-1"] = Death("PS-1", entered.person_key, date(2026, 3, 1))
    done = await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice.id))
    assert done.result.certified == []
    assert done.result.ended[0]["application_id"] == application_id
    assert [e.stage for e in done.published(v1.ApplicationReviewed)] == ["death_reported"]
    assert done.published(v1.CertificationGranted) == []
    assert cycle.store.certifications == {}


async def test_a_death_reported_by_resident_id_revokes_and_ends_what_the_person_held(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await cycle.certified(resident)
    report = DeathReportedV2(report_id="GA-1", resident_id=resident,
                             date_of_death=date(2026, 4, 20))
    done = await cycle.run(end_what_the_dead_held, report)
    [revoked] = done.published(v1.CertificationRevoked)
    assert (revoked.certification_id, revoked.effective_from) == (certification_id,
                                                                  date(2026, 5, 1))
    assert "2026-04-20" in revoked.reason and revoked.date_of_death == date(2026, 4, 20)
    assert cycle.store.deaths["GA-1"].person_key == cycle.key_of(resident)


async def test_one_death_reported_under_both_versions_revokes_once(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    await cycle.run(end_what_the_dead_held, DeathReportedV2(
        report_id="GA-2", resident_id=resident, date_of_death=date(2026, 4, 20)))
    again = await cycle.run(end_what_the_dead_held, _death(cycle, resident))
    assert again.published(v1.CertificationRevoked) == []
    assert len(cycle.store.history) == 1


def test_a_death_report_with_an_invalid_resident_id_is_refused() -> None:
    with pytest.raises(ValueError, match="resident"):
        DeathReportedV2(report_id="GA-3", resident_id="110105194912310021",
                        date_of_death=date(2026, 4, 20))
