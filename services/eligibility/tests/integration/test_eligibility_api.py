"""Eligibility as a process on the real broker and database: the HTTP API's rules and the
signed certification it publishes."""

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.residents import ResidentFactory

pytestmark = pytest.mark.integration


def _as(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{officer}"}


@pytest.fixture(scope="module")
def eligibility(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[ServiceProcess]:
    process = ServiceProcess("eligibility",
                             siquan_env.service_env("eligibility", port=free_port()),
                             Path(tmp_path_factory.mktemp("logs")))
    process.start()
    yield process
    process.stop()


def _application(resident_id: str, **overrides: str) -> dict[str, str]:
    return {"resident_id": resident_id, "name": "王秀英", "program_code": "special_assistance",
            "category": "death", "division_code": "420117", "eligible_from": "2026-01-01",
            **overrides}


async def _count(env: Environment, table: str) -> int:
    conn = await asyncpg.connect(env.pg_dsn("eligibility"))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


async def test_approval_by_another_officer_publishes_a_signed_certification(
        siquan_env: Environment, eligibility: ServiceProcess) -> None:
    resident = ResidentFactory().next()
    async with tap(siquan_env, "eligibility") as seen, httpx.AsyncClient(
            base_url=eligibility.url) as http:
        submitted = await http.post("/applications", json=_application(resident),
                                    headers=_as("clerk-420117-01"))
        application_id = submitted.json()["application_id"]
        await http.post(f"/applications/{application_id}/review", json={"outcome": "approved"},
                        headers=_as("reviewer-420117-01"))
        approved = await http.post(f"/applications/{application_id}/approve",
                                   headers=_as("approver-420117-01"))
        granted = await seen.wait_for("certification.granted.v1")
    assert approved.status_code == 200
    body = granted[0].body
    assert body["application_id"] == application_id
    assert (body["reviewed_by"], body["approved_by"]) == ("reviewer-420117-01",
                                                          "approver-420117-01")
    assert body["policy_version"] == "wuhan-2012"
    assert resident not in str(granted[0].body) and body["masked_resident_id"].count("*") == 10
    assert granted[0].headers["x-siquan-signature"]


async def test_approval_by_the_officer_who_reviewed_is_refused_and_changes_nothing(
        siquan_env: Environment, eligibility: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=eligibility.url) as http:
        submitted = await http.post("/applications", json=_application(ResidentFactory().next()),
                                    headers=_as("clerk-420117-01"))
        application_id = submitted.json()["application_id"]
        await http.post(f"/applications/{application_id}/review", json={"outcome": "approved"},
                        headers=_as("dual-420117-01"))
        certifications_before = await _count(siquan_env, "certifications")
        refused = await http.post(f"/applications/{application_id}/approve",
                                  headers=_as("dual-420117-01"))
        shown = await http.get(f"/applications/{application_id}", headers=_as("auditor-420117-01"))
    assert refused.status_code == 409
    assert "reviewed this application and cannot also approve it" in refused.json()["detail"]
    assert shown.json()["status"] == "reviewed"
    assert await _count(siquan_env, "certifications") == certifications_before


async def test_an_invalid_resident_id_is_refused_naming_the_field(
        siquan_env: Environment, eligibility: ServiceProcess) -> None:
    before = await _count(siquan_env, "applications")
    async with httpx.AsyncClient(base_url=eligibility.url) as http:
        refused = await http.post("/applications", json=_application("110105194912310021"),
                                  headers=_as("clerk-420117-01"))
    assert refused.status_code == 422
    error = refused.json()["detail"][0]
    assert error["loc"] == ["body", "resident_id"] and "check digit" in error["msg"]
    assert await _count(siquan_env, "applications") == before


async def test_a_clerk_of_another_county_and_an_anonymous_caller_are_refused(
        eligibility: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=eligibility.url) as http:
        other_county = await http.post("/applications", json=_application(
            ResidentFactory().next()), headers=_as("clerk-420102-01"))
        anonymous = await http.post("/applications", json=_application(
            ResidentFactory().next()))
        wrong_role = await http.post("/applications", json=_application(
            ResidentFactory().next()), headers=_as("treasury-420117-01"))
    assert other_county.status_code == 403 and "420117" in other_county.json()["detail"]
    assert anonymous.status_code == 401
    assert wrong_role.status_code == 403


async def test_a_second_live_application_for_the_same_person_and_program_is_refused(
        eligibility: ServiceProcess) -> None:
    resident = ResidentFactory().next()
    async with httpx.AsyncClient(base_url=eligibility.url) as http:
        first = await http.post("/applications", json=_application(resident),
                                headers=_as("clerk-420117-01"))
        second = await http.post("/applications", json=_application(resident),
                                 headers=_as("clerk-420117-01"))
    assert first.status_code == 201
    assert second.status_code == 409 and "already has a live application" in second.text
