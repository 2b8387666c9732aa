"""Every officer read of a person's record or statement leaves a trace: eligibility refuses a
read without a stated purpose and publishes each read (`person_record.read.v1`); oversight
keeps those and its own statement reads, lists them per officer and period for auditors,
counts them per officer and day, and raises `unusual_personal_data_reads` when an officer
reads more than the configured number in a day. Services run as separate processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.shared.operator.client import Officers, ServiceClient
from siquan.shared.operator.county_cycle import Beneficiary, submit_application
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e
LIMIT = 3


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("cluster"))
    with running_cluster(siquan_env, base / "logs", extra_env={
            "oversight": {"SIQUAN_READS_PER_OFFICER_PER_DAY": str(LIMIT)}}) as running:
        yield running


def as_officer(officer: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{officer}", **headers}


async def submitted(cluster: Cluster) -> tuple[str, str]:
    """(application id, person key) of a new application."""
    resident_id = ResidentFactory().next()
    clerk = ServiceClient(cluster.url("eligibility"))
    try:
        answer = await submit_application(clerk, Beneficiary(
            resident_id, "郑桂兰", "special_assistance", "death"), "2026-01-01")
    finally:
        await clerk.close()
    return answer["application_id"], person_key(cluster.env.person_key_secret, resident_id)


async def reads_of(cluster: Cluster, officer: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=cluster.url("oversight"),
                                 headers=as_officer(Officers.auditor)) as auditor:
        answer = await auditor.get("/personal-data-reads", params={"officer_id": officer})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["reads"]
    return found


async def test_a_read_without_a_purpose_is_refused_and_each_read_is_recorded(
        cluster: Cluster) -> None:
    application_id, key = await submitted(cluster)
    async with httpx.AsyncClient(base_url=cluster.url("eligibility")) as eligibility:
        unstated = await eligibility.get(f"/applications/{application_id}",
                                         headers=as_officer(Officers.approver))
        stated = await eligibility.get(f"/applications/{application_id}",
                                       params={"purpose": "复核申请材料"},
                                       headers=as_officer(Officers.approver))
    async with httpx.AsyncClient(base_url=cluster.url("oversight"),
                                 headers=as_officer(Officers.auditor)) as auditor:
        statement = await auditor.get(f"/statements/{key}",
                                      headers={"X-Purpose": "complaint TS-2026-000001"})

    assert unstated.status_code == 422 and "purpose" in unstated.text
    assert stated.status_code == 200 and statement.status_code == 200

    async def approver_read() -> list[dict[str, Any]]:
        return [r for r in await reads_of(cluster, Officers.approver)
                if r["person_key"] == key]

    [read] = await eventually(approver_read, what="oversight recorded the approver's read")
    assert (read["record"], read["record_id"], read["purpose"], read["service"]) == (
        "application", application_id, "复核申请材料", "eligibility")
    [own] = [r for r in await reads_of(cluster, Officers.auditor) if r["person_key"] == key]
    assert (own["record"], own["purpose"], own["service"]) == (
        "statement", "complaint TS-2026-000001", "oversight")


async def test_an_officer_reading_more_than_the_daily_limit_raises_a_finding(
        cluster: Cluster) -> None:
    people = [await submitted(cluster) for _ in range(LIMIT + 1)]
    async with httpx.AsyncClient(base_url=cluster.url("eligibility")) as eligibility:
        for application_id, _ in people:
            shown = await eligibility.get(f"/applications/{application_id}",
                                          params={"purpose": "spot check"},
                                          headers=as_officer(Officers.reviewer))
            assert shown.status_code == 200

    async def finding() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=cluster.url("oversight"),
                                     headers=as_officer(Officers.auditor)) as auditor:
            found = await auditor.get("/findings", params={
                "rule": "unusual_personal_data_reads", "officer_id": Officers.reviewer})
        assert found.status_code == 200, found.text
        listed: list[dict[str, Any]] = found.json()
        return listed

    [raised] = await eventually(finding, what="the finding about the reviewer's reads")
    async with httpx.AsyncClient(base_url=cluster.url("oversight"),
                                 headers=as_officer(Officers.auditor)) as auditor:
        volume = (await auditor.get("/personal-data-reads/volume")).json()

    assert raised["category"] == "breach_of_discipline"
    assert raised["officer_id"] == Officers.reviewer
    [mine] = [v for v in volume["volume"] if v["officer_id"] == Officers.reviewer]
    assert mine["reads"] == LIMIT + 1 and mine["persons"] == LIMIT + 1
    assert volume["limit_per_day"] == LIMIT
    approver = [v for v in volume["volume"] if v["officer_id"] == Officers.approver]
    assert all(v["reads"] <= LIMIT for v in approver)
    unflagged = await finding_for(cluster, Officers.approver)
    assert unflagged == []


async def finding_for(cluster: Cluster, officer: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=cluster.url("oversight"),
                                 headers=as_officer(Officers.auditor)) as auditor:
        found = await auditor.get("/findings", params={
            "rule": "unusual_personal_data_reads", "officer_id": officer})
    listed: list[dict[str, Any]] = found.json()
    return listed
