"""Complaints and reports without login: the web form and JSON give a tracking number the
complainant looks up (never their contact); anonymous reports work; bad input is refused
naming the field; the hotline operator enters calls; auditors assign and resolve; every
complaint is published when filed and when resolved."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from siquan.contracts.topology import RoutingKey
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.processes import ServiceProcess, free_port

NOW = datetime(2026, 11, 6, 1, 0, tzinfo=UTC)  # Friday, 09:00 in Beijing
JSON = {"Accept": "application/json"}
CONTACT = "13800138000"


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "now"
    FileClock(path).set(NOW)
    return path


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment, clock_file: Path) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_CLOCK_FILE": str(clock_file)}


@pytest.fixture(scope="module")
async def public(oversight: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as client:
        yield client


def complaint(**changes: Any) -> dict[str, Any]:
    return {"category": "not_paid_in_full", "division_code": "420117",
            "description": "2026年度奖扶金至今未到账", **changes}


async def filed(public: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await public.post("/public/complaints", json=complaint(**changes))
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def looked_up(public: httpx.AsyncClient, tracking_number: str) -> dict[str, Any]:
    response = await public.get(f"/public/complaints/{tracking_number}", headers=JSON)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def officer_view(auditor: httpx.AsyncClient, tracking_number: str) -> dict[str, Any]:
    listed = (await auditor.get("/complaints", params={"limit": 500})).json()
    return next(c for c in listed if c["tracking_number"] == tracking_number)


async def test_the_complaint_form_needs_no_login(public: httpx.AsyncClient) -> None:
    response = await public.get("/public/complaints/new",
                                params={"category": "officer_misconduct"})

    assert response.status_code == 200
    assert '<form method="post" action="/public/complaints?lang=zh-CN">' in response.text
    assert '<option value="officer_misconduct" selected>' in response.text


async def test_a_web_form_complaint_gets_a_tracking_number_that_can_be_looked_up(
        public: httpx.AsyncClient) -> None:
    response = await public.post(
        "/public/complaints", data=complaint(contact=CONTACT),
        headers={"Accept": "text/html"})
    [number] = re.findall(r"TS-2026-[A-Z2-7]{16}", response.text)[:1]

    status = await looked_up(public, number)

    assert response.status_code == 201 and "text/html" in response.headers["content-type"]
    assert (status["status"], status["category"], status["channel"]) == (
        "open", "not_paid_in_full", "web")
    # 15 working days from Friday 6 November: Friday 27 November, ending at midnight.
    assert (status["due_on"], status["due_at"]) == ("2026-11-27", "2026-11-27T16:00:00+00:00")


async def test_the_look_up_never_shows_the_contact_or_the_description(
        public: httpx.AsyncClient) -> None:
    number = (await filed(public, contact=CONTACT))["tracking_number"]

    as_json = await public.get(f"/public/complaints/{number}", headers=JSON)
    as_html = await public.get(f"/public/complaints/{number}")

    for text in (as_json.text, as_html.text):
        assert CONTACT not in text and "至今未到账" not in text
    assert number in as_html.text
    # The page gives the filing time as the caller reads it, in Beijing; the API the instant.
    filed_at = datetime.fromisoformat(as_json.json()["filed_at"])
    assert filed_at.utcoffset() == timedelta(0)
    shown = re.search(r'<dd id="filed-at">([^<]*)</dd>', as_html.text)
    assert shown is not None and shown.group(1) == (
        filed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M"))


async def test_an_anonymous_report_is_taken_without_a_contact(
        public: httpx.AsyncClient, auditor: httpx.AsyncClient) -> None:
    number = (await filed(public, category="ineligible_paid_or_listed",
                          anonymous=True))["tracking_number"]

    stored = await officer_view(auditor, number)

    assert (stored["anonymous"], stored["contact"], stored["channel"]) == (True, None, "web")
    assert (await looked_up(public, number))["status"] == "open"


async def test_every_complaint_is_published_when_filed(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    async with tap(siquan_env, "oversight") as published:
        number = (await filed(public, category="officer_misconduct"))["tracking_number"]
        [event] = await published.wait_for(RoutingKey.COMPLAINT_FILED)

    assert event.body["tracking_number"] == number
    assert (event.body["category"], event.body["division_code"],
            event.body["application_id"]) == ("officer_misconduct", "420117", None)


async def count(auditor: httpx.AsyncClient) -> int:
    return len((await auditor.get("/complaints", params={"limit": 500})).json())


@pytest.mark.parametrize(("change", "field"), [
    ({"description": ""}, "description"),
    ({"category": "gossip"}, "category"),
    ({"division_code": "42"}, "division_code"),
    ({"resident_id": "420117196001010010"}, "resident_id"),
])
async def test_bad_input_is_refused_naming_the_field(
        public: httpx.AsyncClient, auditor: httpx.AsyncClient, change: dict[str, Any],
        field: str) -> None:
    before = await count(auditor)

    response = await public.post("/public/complaints", json=complaint(**change))

    assert response.status_code == 422
    assert [p["field"] for p in response.json()["errors"]] == [field]
    assert await count(auditor) == before


async def test_a_bad_web_form_is_shown_again_naming_the_field(
        public: httpx.AsyncClient) -> None:
    response = await public.post("/public/complaints", data=complaint(description=""),
                                 headers={"Accept": "text/html"})

    assert response.status_code == 422
    assert '<li data-field="description"><strong>情况说明</strong>' in response.text
    assert "<form" in response.text


async def test_an_unknown_tracking_number_is_not_found(public: httpx.AsyncClient) -> None:
    response = await public.get("/public/complaints/TS-2026-AAAAAAAAAAAAAAAA", headers=JSON)

    assert response.status_code == 404


async def test_the_hotline_entry_needs_an_auditor(public: httpx.AsyncClient) -> None:
    response = await public.post("/complaints", json=complaint())

    assert response.status_code == 401


async def test_the_hotline_operator_enters_a_call(auditor: httpx.AsyncClient) -> None:
    response = await auditor.post("/complaints", json=complaint(contact=CONTACT))

    assert response.status_code == 201
    assert (response.json()["channel"], response.json()["contact"]) == ("hotline", CONTACT)


async def test_the_hotline_operator_cannot_enter_a_call_for_another_county(
        auditor: httpx.AsyncClient) -> None:
    before = await count(auditor)

    response = await auditor.post("/complaints", json=complaint(division_code="420102"))

    assert response.status_code == 403
    assert await count(auditor) == before


async def test_an_auditor_assigns_a_handler_and_resolves_with_a_reason(
        siquan_env: Environment, public: httpx.AsyncClient,
        auditor: httpx.AsyncClient) -> None:
    number = (await filed(public))["tracking_number"]
    complaint_id = (await officer_view(auditor, number))["complaint_id"]

    async with tap(siquan_env, "oversight") as published:
        assigned = await auditor.post(f"/complaints/{complaint_id}/assign",
                                      json={"handler": "auditor-420117-02"})
        resolved = await auditor.post(f"/complaints/{complaint_id}/resolve", json={
            "outcome": "upheld", "resolution": "银行账户变更未登记，已补发"})
        [event] = await published.wait_for(RoutingKey.COMPLAINT_RESOLVED)
    status = await looked_up(public, number)

    assert assigned.json()["handler"] == "auditor-420117-02"
    assert resolved.json()["status"] == "resolved"
    assert (status["status"], status["outcome"], status["resolution"],
            status["handler_assigned"]) == ("resolved", "upheld", "银行账户变更未登记，已补发",
                                           True)
    assert (event.body["complaint_id"], event.body["resolved_by"]) == (
        complaint_id, "auditor-420117-01")


async def test_a_resolved_complaint_cannot_be_resolved_again(
        public: httpx.AsyncClient, auditor: httpx.AsyncClient) -> None:
    number = (await filed(public))["tracking_number"]
    complaint_id = (await officer_view(auditor, number))["complaint_id"]
    await auditor.post(f"/complaints/{complaint_id}/resolve",
                       json={"outcome": "dismissed", "resolution": "已按时足额发放"})

    again = await auditor.post(f"/complaints/{complaint_id}/resolve",
                               json={"outcome": "upheld", "resolution": "改判"})

    assert again.status_code == 409
    assert (await looked_up(public, number))["outcome"] == "dismissed"


async def test_a_resolution_needs_a_reason(public: httpx.AsyncClient,
                                           auditor: httpx.AsyncClient) -> None:
    number = (await filed(public))["tracking_number"]
    complaint_id = (await officer_view(auditor, number))["complaint_id"]

    response = await auditor.post(f"/complaints/{complaint_id}/resolve",
                                  json={"outcome": "upheld", "resolution": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "resolution"]
    assert (await looked_up(public, number))["status"] == "open"


async def test_a_resident_id_named_in_a_complaint_is_never_stored(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    resident_id = "11010519491231002X"
    await filed(public, resident_id=resident_id)

    conn = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM complaints c WHERE c::text LIKE '%' || $1 || '%'",
            resident_id)
    finally:
        await conn.close()

    assert found == 0
