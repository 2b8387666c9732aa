"""Mandatory criteria and evidence through eligibility's API, the services as separate
processes on the real broker and database: an application without the facts its
program's criteria read is refused with the list of what is missing; one whose facts do
not qualify is refused by the criterion; one without the evidence the program requires
cannot be approved (the approval names what is missing) until the evidence is filed; a
complete one is certified and reaches disbursement."""

from datetime import date
from typing import Any

import pytest

from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    file_evidence,
    submit_application,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.facts import qualifying_household
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PEOPLE = ResidentFactory(DIVISION, birth_year=1961)


def _body(person: Beneficiary, household: dict[str, Any] | None) -> dict[str, Any]:
    return {"resident_id": person.resident_id, "name": person.name,
            "program_code": person.program_code, "category": person.category,
            "division_code": DIVISION, "eligible_from": "2026-01-01",
            **({"household": household} if household is not None else {})}


async def _refused(cycle: CountyCycle, method: str, path: str, officer: str,
                   **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(RefusedByService) as refused:
        await cycle.eligibility.call(method, path, officer, **kwargs)
    response = refused.value.response
    return response.status_code, response.json()


async def _to_closed_notice(cycle: CountyCycle, application_id: str) -> None:
    await cycle.eligibility.call("POST", "/community-reviews", Officers.clerk, json={
        "division_code": DIVISION, "held_on": cycle._today().isoformat(), "present": 21,
        "passed": [application_id]})
    await cycle.eligibility.call("POST", "/township-reviews", Officers.reviewer,
                                 json={"approved": [application_id]})
    notice = await cycle.eligibility.call("POST", "/notices", Officers.reviewer, json={
        "program_code": "special_assistance", "division_code": DIVISION,
        "application_ids": [application_id]})
    cycle._move_clock_to(date.fromisoformat(notice["closes_on"]))


async def test_incomplete_facts_and_missing_evidence_are_refused_and_complete_ones_certified(
        cluster: Cluster) -> None:
    cycle = CountyCycle.of(cluster)
    try:
        # without facts: incomplete, each missing fact named, nothing personal echoed
        bare = Beneficiary(PEOPLE.next(), "孙丽华", "special_assistance", "death")
        status, problem = await _refused(cycle, "POST", "/applications", Officers.clerk,
                                         json=_body(bare, None))
        assert status == 422 and "incomplete" in problem["detail"]
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [
            ("household.applicant_role", "missing"), ("household.residence", "missing"),
            ("household.family_type", "missing"), ("household.children", "missing")]
        assert bare.resident_id not in str(problem) and bare.name not in str(problem)

        # facts that do not qualify: refused by the criterion, not skipped
        facts = qualifying_household(bare.resident_id, "special_assistance", "death")
        facts.update(family_type="one_child", children=[
            {"birth_date": "1988-05-01", "sex": "male", "status": "alive"}])
        status, problem = await _refused(cycle, "POST", "/applications", Officers.clerk,
                                         json=_body(bare, facts))
        assert status == 422
        assert {e["type"] for e in problem["errors"]} == {"criterion"}
        assert "family type one_child does not qualify" in problem["detail"]

        # the resident ID's own age is checked: a parent born 1980 is 46, not 49
        young = Beneficiary(ResidentFactory(DIVISION, birth_year=1980).next(), "钱小红",
                            "special_assistance", "death")
        status, problem = await _refused(
            cycle, "POST", "/applications", Officers.clerk, json=_body(young, (
                qualifying_household(young.resident_id, "special_assistance", "death"))))
        assert status == 422 and [e["field"] for e in problem["errors"]] == ["eligible_from"]

        applications = await cycle.eligibility.call(
            "GET", "/applications?program_code=special_assistance", Officers.auditor)
        assert applications["items"] == []

        # complete facts, no evidence filed: the approval is refused with what is missing
        lacking = Beneficiary(PEOPLE.next(), "周桂芳", "special_assistance", "disability")
        submitted = await submit_application(cycle.eligibility, lacking, "2026-01-01",
                                             evidence=False)
        application_id = submitted["application_id"]
        await _to_closed_notice(cycle, application_id)
        status, problem = await _refused(cycle, "POST",
                                         f"/applications/{application_id}/approve",
                                         Officers.approver)
        assert status == 409
        assert [e["field"] for e in problem["errors"]] == [
            "evidence.household_register", "evidence.child_disability_card"]
        shown = await cycle.eligibility.call("GET", f"/applications/{application_id}",
                                             Officers.auditor)
        assert shown["status"] == "notice_closed"

        # with the evidence on file it is certified, as is a complete application
        await file_evidence(cycle.eligibility, application_id, "special_assistance",
                            "disability")
        approved = await cycle.eligibility.call(
            "POST", f"/applications/{application_id}/approve", Officers.approver)
        assert approved["status"] == "certified" and approved["certification_id"]

        complete = Beneficiary(PEOPLE.next(), "吴淑兰", "special_assistance", "death")
        certification_id = await cycle.certify(complete)

        async def in_disbursement() -> bool:
            roster = await cycle.disbursement.call(
                "GET", f"/certifications?program_code=special_assistance"
                f"&division_code={DIVISION}", Officers.disburser)
            return int(roster["active"]) >= 2

        await eventually(in_disbursement, timeout=60, what="both certifications known")
        shown = await cycle.eligibility.call("GET", f"/certifications/{certification_id}",
                                             Officers.auditor)
        assert shown["status"] == "active"
    finally:
        await cycle.close()
