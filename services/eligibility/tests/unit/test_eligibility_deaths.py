"""Deaths from any source, handled on the in-memory unit of work: an officer's record with
its evidence and public security's daily file revoke and end what the person held from the
month after the death, as public security's single message does; each is idempotent (a
second officer, the same file again) and refuses what it cannot take with a reason that
holds nothing of the person."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.eligibility.application import deaths
from siquan.eligibility.application.revocations import end_what_the_dead_held
from siquan.eligibility.domain.death import EvidenceKind
from siquan.eligibility.domain.errors import InvalidRequest, NotFound, OutOfScope, Refused
from siquan.eligibility.testing import APPROVER, REVIEWER, Cycle, officer
from siquan.shared.auth import Officer

DIED = date(2026, 2, 10)
OTHER_COUNTY = officer("reviewer-420102", "township_reviewer", division="420102")


def _record(resident_id: str, *, by: Officer = REVIEWER, died: date = DIED,
            kind: EvidenceKind = "death_certificate", number: str = "HB-0001"
            ) -> deaths.RecordDeath:
    return deaths.RecordDeath(by, resident_id, died, kind, number)


def _file(*lines: str, file_id: str = "GA-420117-20260320") -> deaths.DeathFile:
    text = "\n".join(("report_id,resident_id,date_of_death", *lines)) + "\n"
    return deaths.DeathFile(file_id, "0123456789abcdef", text.encode())


async def test_an_officers_record_revokes_from_the_month_after_the_death(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await cycle.certified(resident)
    done = await cycle.run(deaths.record_death, _record(resident))
    assert (done.result.status, done.result.ended.revoked) == ("recorded", [certification_id])
    [revoked] = done.published(v1.CertificationRevoked)
    assert (revoked.effective_from, revoked.date_of_death) == (date(2026, 3, 1), DIED)
    kept = cycle.store.deaths[done.result.report_id]
    assert (kept.source, kept.evidence_kind, kept.document_number, kept.recorded_by) == (
        "officer", "death_certificate", "HB-0001", REVIEWER.id)
    assert kept.person_key == cycle.key_of(resident)


async def test_a_second_officer_recording_the_same_death_revokes_nothing_again(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    await cycle.run(deaths.record_death, _record(resident))
    again = await cycle.run(deaths.record_death, _record(
        resident, by=APPROVER, kind="village_report", number="村委会-2026-07"))
    assert (again.result.status, again.result.ended) == ("already_recorded",
                                                         deaths.Ended([], []))
    assert again.uow.published() == []
    assert [h[1].kind for h in cycle.store.history] == ["revoked"]
    assert len(cycle.store.deaths) == 2  # the second record is kept as corroboration
    same = await cycle.run(deaths.record_death, _record(
        resident, by=APPROVER, kind="village_report", number="村委会-2026-07"))
    assert same.result.status == "already_recorded" and len(cycle.store.deaths) == 2


async def test_an_officer_record_after_public_securitys_report_is_already_recorded(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    await cycle.run(end_what_the_dead_held, DeathReportedV2(
        report_id="GA-9", resident_id=resident, date_of_death=DIED))
    done = await cycle.run(deaths.record_death, _record(resident))
    assert done.result.status == "already_recorded" and done.uow.published() == []


async def test_a_record_contradicting_the_death_on_record_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    await cycle.run(deaths.record_death, _record(resident))
    before = cycle.snapshot()
    with pytest.raises(Refused, match="another date") as refused:
        await cycle.run(deaths.record_death, _record(resident, died=date(2026, 2, 11)))
    assert resident not in str(refused.value) and "2026-02" not in str(refused.value)
    assert cycle.snapshot() == before


async def test_a_death_in_the_future_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    with pytest.raises(InvalidRequest, match="future"):
        await cycle.run(deaths.record_death, _record(resident, died=date(2027, 1, 1)))
    assert cycle.store.deaths == {}


async def test_a_death_recorded_early_in_the_morning_of_its_day_is_taken(cycle: Cycle
                                                                           ) -> None:
    """07:30 in Beijing is still the day before in UTC: the office's date counts."""
    resident = cycle.people.next()
    await cycle.certified(resident)
    cycle.clock.set(datetime(2026, 3, 4, 23, 30, tzinfo=UTC))  # 2026-03-05 07:30 Beijing
    await cycle.run(deaths.record_death, _record(resident, died=date(2026, 3, 5)))
    assert [d.date_of_death for d in cycle.store.deaths.values()] == [date(2026, 3, 5)]


async def test_an_invalid_resident_id_is_refused_without_echoing_it(cycle: Cycle) -> None:
    with pytest.raises(ValueError, match="GB 11643") as refused:
        await cycle.run(deaths.record_death, _record("110105194912310021"))
    assert "110105194912310021" not in str(refused.value)


async def test_an_officer_outside_the_persons_division_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    with pytest.raises(OutOfScope):
        await cycle.run(deaths.record_death, _record(resident, by=OTHER_COUNTY))
    assert cycle.store.deaths == {}


async def test_a_death_of_someone_holding_nothing_is_kept_and_refuses_an_application(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    done = await cycle.run(deaths.record_death, _record(resident, by=OTHER_COUNTY))
    assert done.result.status == "recorded" and done.uow.published() == []
    with pytest.raises(Refused, match="recorded dead"):
        await cycle.submit(resident)


async def test_a_death_file_reports_each_line_and_revokes_what_it_accepts(
        cycle: Cycle) -> None:
    beneficiary, stranger, officer_recorded = (cycle.people.next() for _ in range(3))
    certification_id = await cycle.certified(beneficiary)
    await cycle.run(deaths.record_death, _record(officer_recorded))
    file = _file(f"GA-1,{beneficiary},2026-02-10",
                 f"GA-2,{stranger},2026-01-31",
                 f"GA-3,{officer_recorded},{DIED}",
                 "GA-4,110105194912310021,2026-01-02",
                 f"GA-5,{cycle.people.next()},2027-01-01",
                 f"GA-6,{cycle.people.next()},2026-02-30",
                 "GA-7,only-two-fields",
                 "",
                 f"GA-1,{beneficiary},2026-02-10",
                 f"GA-8,{beneficiary},2026-02-11")
    done = await cycle.run(deaths.receive_death_file, file)
    report = done.result
    assert [(r["line"], r["result"], r.get("reason")) for r in report["results"]] == [
        (2, "accepted", None), (3, "accepted", None), (4, "duplicate", None),
        (5, "refused", "resident_id_invalid"), (6, "refused", "date_in_future"),
        (7, "refused", "date_invalid"), (8, "refused", "field_count"),
        (10, "duplicate", None), (11, "refused", "date_conflict")]
    assert (report["lines"], report["accepted"], report["duplicate"], report["refused"]) == (
        9, 2, 2, 5)
    assert beneficiary not in repr(report) and stranger not in repr(report)
    [revoked] = done.published(v1.CertificationRevoked)
    assert (revoked.certification_id, revoked.effective_from, revoked.date_of_death) == (
        certification_id, date(2026, 3, 1), date(2026, 2, 10))
    assert cycle.store.deaths["GA-2"].source == "public_security_file"


async def test_the_same_file_again_changes_nothing_and_gets_the_same_report(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    file = _file(f"GA-1,{resident},2026-02-10")
    first = await cycle.run(deaths.receive_death_file, file)
    before = cycle.snapshot()
    again = await cycle.run(deaths.receive_death_file, file)
    assert again.result == first.result and again.uow.published() == []
    assert cycle.snapshot() == before


async def test_another_file_under_a_used_id_is_refused(cycle: Cycle) -> None:
    await cycle.run(deaths.receive_death_file, _file(f"GA-1,{cycle.people.next()},2026-02-10"))
    before = cycle.snapshot()
    with pytest.raises(Refused, match="other content"):
        await cycle.run(deaths.receive_death_file,
                        _file(f"GA-2,{cycle.people.next()},2026-02-10"))
    assert cycle.snapshot() == before


@pytest.mark.parametrize("content", [b"id,who,when\nGA-1,x,2026-01-01\n", b"\xff\xfe\x00",
                                     b""])
async def test_a_file_that_is_no_death_file_is_refused_whole(cycle: Cycle,
                                                            content: bytes) -> None:
    with pytest.raises(InvalidRequest):
        await cycle.run(deaths.receive_death_file,
                        deaths.DeathFile("GA-X", "0123456789abcdef", content))
    assert cycle.store.death_files == {}


async def test_a_file_id_must_be_plain(cycle: Cycle) -> None:
    with pytest.raises(InvalidRequest, match="file id"):
        await cycle.run(deaths.receive_death_file, _file(file_id="../etc"))


# A death recorded in error, corrected ---------------------------------------------------

SECOND_APPROVER = officer("approver-2", "county_approver")


def _correct(report_id: str, *, by: Officer = SECOND_APPROVER) -> deaths.CorrectDeath:
    return deaths.CorrectDeath(by, report_id, "the register shows the person alive",
                               "household_register_extract", "HR-1")


async def test_a_corrected_death_reinstates_its_certifications_as_if_never_revoked(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await cycle.certified(resident)
    await cycle.run(end_what_the_dead_held, DeathReportedV2(
        report_id="GA-20", resident_id=resident, date_of_death=DIED))
    done = await cycle.run(deaths.correct_death, _correct("GA-20"))
    assert (done.result.report_ids, done.result.reinstated) == (["GA-20"],
                                                                [certification_id])
    [corrected] = done.published(v1.DeathCorrected)
    assert (corrected.certification_ids, corrected.reinstated_from, corrected.date_of_death,
            corrected.person_key, corrected.corrected_by, corrected.recorded_by) == (
        (certification_id,), date(2026, 3, 1), DIED, cycle.key_of(resident),
        SECOND_APPROVER.id, None)
    assert done.published(v1.CertificationReinstated) == []
    assert cycle.store.certifications[certification_id].status == "active"

    # the same report delivered again revokes nothing; a second correction is refused
    again = await cycle.run(end_what_the_dead_held, DeathReportedV2(
        report_id="GA-20", resident_id=resident, date_of_death=DIED))
    assert again.uow.published() == []
    with pytest.raises(Refused, match="corrected already"):
        await cycle.run(deaths.correct_death, _correct("GA-20"))
    with pytest.raises(NotFound):
        await cycle.run(deaths.correct_death, _correct("GA-unknown"))


async def test_the_officer_who_recorded_a_death_does_not_correct_it(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.certified(resident)
    recorded = await cycle.run(deaths.record_death, _record(resident, by=APPROVER))
    await cycle.run(deaths.record_death, _record(resident, kind="village_report",
                                                 number="V-1"))
    with pytest.raises(Refused, match="recorded the death cannot correct it"):
        await cycle.run(deaths.correct_death, _correct(recorded.result.report_id,
                                                       by=APPROVER))
    with pytest.raises(OutOfScope):
        await cycle.run(deaths.correct_death, _correct(
            recorded.result.report_id,
            by=officer("approver-420102", "county_approver", division="420102")))
    done = await cycle.run(deaths.correct_death, _correct(recorded.result.report_id))
    assert len(done.result.report_ids) == 2  # the corroborating record is corrected too
    listed = await cycle.run(deaths.list_deaths, deaths.ListDeaths(
        APPROVER, None, DIED, DIED, 50, 0))
    assert {(d["report_id"], d["corrected"]) for d in listed.result} == {
        (report_id, True) for report_id in done.result.report_ids}
