"""Entering applications on the in-memory unit of work: one from the form, a survey file,
evidence; duplicates, scope, dead applicants and bad rows refused without changing
anything."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.application import intake
from siquan.eligibility.domain.death import Death
from siquan.eligibility.domain.errors import InvalidRequest, NotFound, OutOfScope, Refused
from siquan.eligibility.testing import (
    CLERK,
    OTHER_TOWNSHIP_CLERK,
    TOWNSHIP_CLERK,
    Cycle,
    full_facts,
)

HEADER = ("resident_id,name,program_code,category,division_code,eligible_from,residence,"
          "family_type,children\n")
FACTS = "rural,only_child_died,male:1985-04-02:died:2008-05-12"


def _survey(*rows: str) -> intake.ImportSurvey:
    return intake.ImportSurvey(TOWNSHIP_CLERK, "survey.csv", (HEADER + "".join(
        f"{r}\n" for r in rows)).encode())


def _row(resident_id: str, division: str = "420117001", category: str = "death",
         facts: str = FACTS) -> str:
    return f"{resident_id},张桂兰,special_assistance,{category},{division},2026-01-01,{facts}"


def _form(resident_id: str, **overrides: Any) -> intake.SubmitApplication:
    fields: dict[str, Any] = {
        "resident_id": resident_id, "name": "王秀英", "program_code": "special_assistance",
        "category": "death", "division_code": "420117", "eligible_from": date(2026, 1, 1),
        **overrides}
    fields.setdefault("facts", full_facts(resident_id, fields["program_code"],
                                          fields["category"]))
    return intake.SubmitApplication(CLERK, **fields)


def _evidence(application_id: str, by: Any = TOWNSHIP_CLERK, content: bytes = b"jpeg"
              ) -> intake.AddEvidence:
    return intake.AddEvidence(by, application_id, "photo", "a.jpg", "image/jpeg", content)


async def test_an_application_is_entered_masked_and_announced(cycle: Cycle) -> None:
    done = await cycle.run(intake.submit_application, _form(cycle.people.next()))
    application_id, conflicts = done.result
    [submitted] = done.published(v1.ApplicationSubmitted)
    assert submitted.application_id == application_id and conflicts == []
    assert submitted.masked_name == "王**"
    assert cycle.store.applications[application_id].status == "submitted"


async def test_a_second_live_application_for_the_program_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.submit(resident)
    before = cycle.snapshot()
    with pytest.raises(Refused, match="already has a live application"):
        await cycle.run(intake.submit_application, _form(resident))
    assert cycle.snapshot() == before


async def test_a_holding_in_another_program_is_reported_as_a_conflict(cycle: Cycle) -> None:
    resident = cycle.people.next()
    first = await cycle.submit(resident)
    done = await cycle.run(intake.submit_application, _form(
        resident, program_code="reward_assistance_rural", category="standard"))
    assert done.result[1] == [{"program_code": "special_assistance", "kind": "application",
                               "id": first}]


async def test_a_person_reported_dead_cannot_apply(cycle: Cycle) -> None:
    resident = cycle.people.next()
    cycle.store.deaths["PS-1"] = Death("PS-1", cycle.key_of(resident), date(2026, 2, 1))
    with pytest.raises(Refused, match=r"recorded dead \(died on 2026-02-01\)"):
        await cycle.run(intake.submit_application, _form(resident))
    assert cycle.store.applications == {}


async def test_an_application_outside_the_officers_division_is_refused(cycle: Cycle) -> None:
    with pytest.raises(OutOfScope):
        await cycle.run(intake.submit_application,
                        _form(cycle.people.next(), division_code="420118"))
    assert cycle.store.applications == {}


async def test_a_survey_keeps_good_rows_and_reports_bad_ones_by_row(cycle: Cycle) -> None:
    done = await cycle.run(intake.import_survey, _survey(
        _row(cycle.people.next()), _row(cycle.people.next(), category="gold"),
        _row(cycle.people.next(), division="420117002"), _row(cycle.people.next()),
        _row(cycle.people.next(), facts=",,")))
    report = done.result
    assert report.rows == 5 and len(report.accepted) == 2
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "category"), (4, "division_code"), (6, "residence"), (6, "family_type"),
        (6, "children")]
    assert {e.error for e in report.errors if e.row == 6} == {
        "missing: the program's criteria need this fact"}
    assert len(done.published(v1.ApplicationSubmitted)) == 2
    assert cycle.store.survey_imports[report.import_id]["accepted"] == 2
    assert set(report.accepted) == set(cycle.store.applications)


async def test_a_survey_row_of_a_person_already_applying_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    await cycle.submit(resident)
    done = await cycle.run(intake.import_survey, _survey(_row(resident)))
    assert done.result.accepted == [] and done.result.errors[0].field == "resident_id"


async def test_a_survey_row_of_a_person_reported_dead_is_refused(cycle: Cycle) -> None:
    resident = cycle.people.next()
    cycle.store.deaths["PS-1"] = Death("PS-1", cycle.key_of(resident), date(2026, 2, 1))
    done = await cycle.run(intake.import_survey, _survey(_row(resident)))
    assert done.result.accepted == [] and "dead" in done.result.errors[0].error


async def test_the_same_person_twice_in_one_survey_keeps_the_first_row(cycle: Cycle) -> None:
    resident = cycle.people.next()
    done = await cycle.run(intake.import_survey, _survey(_row(resident), _row(resident)))
    assert len(done.result.accepted) == 1
    assert done.result.errors[0].row == 3 and "row 2" in done.result.errors[0].error


async def test_a_survey_without_the_required_columns_is_refused(cycle: Cycle) -> None:
    command = intake.ImportSurvey(TOWNSHIP_CLERK, "s.csv", b"resident_id,name\n1,2\n")
    with pytest.raises(InvalidRequest, match="lacks the columns"):
        await cycle.run(intake.import_survey, command)
    assert cycle.store.survey_imports == {}


async def test_evidence_is_kept_with_its_digest(cycle: Cycle) -> None:
    application_id = await cycle.submit(by=TOWNSHIP_CLERK, division_code="420117001",
                                        evidence=False)
    done = await cycle.run(intake.add_evidence, _evidence(application_id))
    kept = cycle.store.evidence[done.result["evidence_id"]]
    assert (kept["application_id"], kept["content"]) == (application_id, b"jpeg")
    assert done.result["size"] == 4 and done.result["sha256"] == kept["sha256"]


async def test_evidence_from_another_township_is_refused(cycle: Cycle) -> None:
    application_id = await cycle.submit(by=TOWNSHIP_CLERK, division_code="420117001",
                                        evidence=False)
    with pytest.raises(OutOfScope):
        await cycle.run(intake.add_evidence, _evidence(application_id, OTHER_TOWNSHIP_CLERK))
    assert cycle.store.evidence == {}


async def test_an_empty_evidence_file_is_refused(cycle: Cycle) -> None:
    application_id = await cycle.submit(by=TOWNSHIP_CLERK, division_code="420117001",
                                        evidence=False)
    with pytest.raises(InvalidRequest, match="empty"):
        await cycle.run(intake.add_evidence, _evidence(application_id, content=b""))
    assert cycle.store.evidence == {}


async def test_evidence_for_an_unknown_application_is_not_found(cycle: Cycle) -> None:
    with pytest.raises(NotFound, match="no application"):
        await cycle.run(intake.add_evidence, _evidence(str(uuid.uuid4()), CLERK))
