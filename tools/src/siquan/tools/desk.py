"""A client for the certification cycle over eligibility's HTTP API, acting as named
officers: what the benchmark, the tests and an operator script use to drive applications
through community review, township review, the public notice and approval.

A `FileClock` may be given to move a service started with `SIQUAN_CLOCK_FILE` past a
notice period (tests and benchmarks only)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from siquan.shared.clock import FileClock, SystemClock
from siquan.shared.testing.facts import (
    evidence_file,
    household_registration,
    qualifying_household,
    required_evidence,
)

CLERK, REVIEWER, APPROVER = "clerk-420117-01", "reviewer-420117-01", "approver-420117-01"
AUDITOR, DUAL = "auditor-420117-01", "dual-420117-01"


PURPOSE = "certification cycle casework"
"""The purpose the desk states for the records it reads (each read is recorded)."""


def as_(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{officer}", "X-Purpose": PURPOSE}


def application(resident_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid special-assistance application in county 420117 (override any field), with
    the household facts its program and category need (`household=None`: without them)."""
    body = {"resident_id": resident_id, "name": "王秀英", "program_code": "special_assistance",
            "category": "death", "division_code": "420117", "eligible_from": "2026-01-01",
            **overrides}
    if "household" not in overrides:
        body["household"] = qualifying_household(
            resident_id, body["program_code"], body["category"],
            date.fromisoformat(body["eligible_from"]))
    elif overrides["household"] is None:
        del body["household"]
    return body


def evidence_archive(documents: Iterable[tuple[str, str, str, bytes]]) -> bytes:
    """A ZIP for `POST /evidence/batch`: each (application id, kind, file name, content)
    under `<application id>/<file name>`, named in `manifest.csv`."""
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\n")
    writer.writerow(["application_id", "kind", "file"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for application_id, kind, filename, content in documents:
            path = f"{application_id}/{filename}"
            writer.writerow([application_id, kind, path])
            archive.writestr(path, content)
        archive.writestr("manifest.csv", manifest.getvalue())
    return out.getvalue()


def required_documents(applications: Iterable[tuple[str, str, str]]
                       ) -> list[tuple[str, str, str, bytes]]:
    """The stand-in scans of the documents each (application id, program, category)
    needs, for `evidence_archive`."""
    return [(application_id, kind, name, content)
            for application_id, program_code, category in applications
            for kind in required_evidence(program_code, category)
            for name, content, _ in [evidence_file(kind)]]


class Refusal(AssertionError):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.request.method} {response.request.url.path} → "
                         f"{response.status_code}: {response.text[:2000]}")
        self.response = response


class Desk:
    """The officers of county 420117 at work."""

    def __init__(self, http: httpx.AsyncClient, clock: FileClock | None = None) -> None:
        self.http, self.clock = http, clock

    def advance(self, days: int) -> None:
        assert self.clock is not None
        self.clock.set(self.clock.now() + timedelta(days=days))

    def advance_to(self, day: date) -> None:
        """Move the clock to 10:00 on `day` in the office's zone (02:00 UTC in Beijing)
        unless it is already later."""
        assert self.clock is not None
        if self.clock.today() < day:
            self.clock.set(datetime.combine(day, time(10), self.clock.zone))

    def today(self) -> date:
        return (self.clock or SystemClock()).today()

    async def call(self, method: str, path: str, officer: str, *, expect: int | None = None,
                   **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, headers=as_(officer), **kwargs)
        if expect is not None and response.status_code != expect:
            raise Refusal(response)
        return response

    async def submit(self, resident_id: str, *, officer: str = CLERK, evidence: bool = True,
                     **overrides: Any) -> str:
        """Enter an application and, with `evidence`, file the documents its program
        requires (approval is refused without them)."""
        body = application(resident_id, **overrides)
        response = await self.call("POST", "/applications", officer, expect=201, json=body)
        application_id = str(response.json()["application_id"])
        if evidence:
            await self.file_evidence(application_id, body["program_code"], body["category"],
                                     officer=officer)
        return application_id

    async def register_household(self, resident_id: str, facts: dict[str, Any], *,
                                 division: str = "420117", officer: str = REVIEWER) -> str:
        """The resident's household in the register, the resident its head, with the
        household's part of `facts`; its id."""
        response = await self.call("POST", "/households", officer, expect=201, json=(
            household_registration(resident_id, "王秀英", facts, division)))
        return str(response.json()["household_id"])

    async def file_evidence(self, application_id: str, program_code: str, category: str, *,
                            officer: str = CLERK) -> list[str]:
        kinds = required_evidence(program_code, category)
        for kind in kinds:
            await self.call("POST", f"/applications/{application_id}/evidence", officer,
                            expect=201, data={"kind": kind},
                            files={"file": evidence_file(kind)})
        return kinds

    async def file_evidence_archive(self, archive: bytes, *, officer: str = CLERK,
                                    expect: int | None = 201) -> httpx.Response:
        """A batch of scans in one request (`evidence_archive`)."""
        return await self.call("POST", "/evidence/batch", officer, expect=expect,
                               files={"archive": ("evidence.zip", archive, "application/zip")})

    async def import_survey(self, filename: str, content: bytes, *, officer: str = CLERK
                            ) -> dict[str, Any]:
        response = await self.call("POST", "/applications/import", officer, expect=201,
                                   files={"file": (filename, content)})
        report: dict[str, Any] = response.json()
        return report

    async def community_review(self, ids: list[str], *, division: str = "420117",
                               officer: str = CLERK, failed: dict[str, str] | None = None,
                               expect: int | None = 201) -> httpx.Response:
        return await self.call("POST", "/community-reviews", officer, expect=expect, json={
            "division_code": division, "held_on": self.today().isoformat(), "present": 23,
            "passed": ids, "failed": [{"application_id": k, "reason": v}
                                      for k, v in (failed or {}).items()]})

    async def township_review(self, ids: list[str], *, officer: str = REVIEWER,
                              rejected: dict[str, str] | None = None,
                              expect: int | None = 200) -> httpx.Response:
        return await self.call("POST", "/township-reviews", officer, expect=expect, json={
            "approved": ids, "rejected": [{"application_id": k, "reason": v}
                                          for k, v in (rejected or {}).items()]})

    async def publish(self, ids: list[str] | None, *, program: str = "special_assistance",
                      division: str = "420117", officer: str = REVIEWER) -> dict[str, Any]:
        response = await self.call("POST", "/notices", officer, expect=201, json={
            "program_code": program, "division_code": division, "application_ids": ids})
        notice: dict[str, Any] = response.json()
        return notice

    async def to_notice(self, ids: list[str], *, program: str = "special_assistance",
                        division: str = "420117", reviewer: str = REVIEWER,
                        recorder: str = CLERK) -> dict[str, Any]:
        """Community review, township review and a public notice for these applications."""
        await self.community_review(ids, division=division, officer=recorder)
        await self.township_review(ids, officer=reviewer)
        return await self.publish(ids, program=program, division=division)

    async def approve_notice(self, notice_id: str, *, officer: str = APPROVER,
                             expect: int | None = 200, **extra: Any) -> httpx.Response:
        return await self.call("POST", "/approvals", officer, expect=expect,
                               json={"notice_id": notice_id, **extra})

    async def certify(self, resident_id: str, **overrides: Any) -> tuple[str, str]:
        """The whole chain for one person, moving the clock past the notice:
        (application id, certification id)."""
        application_id = await self.submit(resident_id, **overrides)
        notice = await self.to_notice(
            [application_id], program=overrides.get("program_code", "special_assistance"),
            division=overrides.get("division_code", "420117"))
        self.advance_to(date.fromisoformat(notice["closes_on"]))
        approved = await self.approve_notice(notice["notice_id"])
        return application_id, str(approved.json()["certified"][0]["certification_id"])

    async def show(self, application_id: str, officer: str = AUDITOR) -> dict[str, Any]:
        response = await self.call("GET", f"/applications/{application_id}", officer,
                                   expect=200)
        shown: dict[str, Any] = response.json()
        return shown

    async def certification(self, certification_id: str, officer: str = AUDITOR,
                            **params: str) -> dict[str, Any]:
        response = await self.call("GET", f"/certifications/{certification_id}", officer,
                                   expect=200, params=params)
        shown: dict[str, Any] = response.json()
        return shown
