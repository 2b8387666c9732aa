"""Complaints not resolved within their SLA (working days) are escalated by a background
loop that reads the service's clock; those still within it are not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

FILED = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # Tuesday, 10:00 in Beijing
# 15 working days later: Tuesday 24 November; overdue from its end, 16:00 UTC.
DUE_ENDS = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clock") / "now"


@pytest.fixture(scope="module")
def clock(clock_file: Path) -> FileClock:
    clock = FileClock(clock_file)
    clock.set(FILED)
    return clock


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment, clock: FileClock, clock_file: Path
                   ) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600",
            "SIQUAN_CLOCK_FILE": str(clock_file),
            "SIQUAN_COMPLAINT_ESCALATION_SECONDS": "0.2"}


@pytest.fixture(scope="module")
async def public(oversight: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as client:
        yield client


async def file(public: httpx.AsyncClient) -> str:
    response = await public.post("/public/complaints", json={
        "category": "not_paid_in_full", "division_code": "420117001",
        "description": "2026年度奖扶金未足额发放"})
    assert response.status_code == 201, response.text
    number: str = response.json()["tracking_number"]
    return number


async def listed(auditor: httpx.AsyncClient, status: str) -> dict[str, dict[str, Any]]:
    response = await auditor.get("/complaints", params={"status": status})
    return {c["tracking_number"]: c for c in response.json()}


async def test_an_overdue_complaint_is_escalated_and_one_within_its_sla_is_not(
        clock: FileClock, public: httpx.AsyncClient, auditor: httpx.AsyncClient) -> None:
    overdue = await file(public)
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    within = await file(public)
    assert overdue in await listed(auditor, "open")

    clock.set(DUE_ENDS)

    async def escalated() -> dict[str, Any] | None:
        return (await listed(auditor, "escalated")).get(overdue)

    found = await eventually(escalated, what="the overdue complaint escalated")
    assert found["escalated_at"] == DUE_ENDS.isoformat()
    assert within in await listed(auditor, "open")
    assert within not in await listed(auditor, "escalated")
    lookup = await public.get(f"/public/complaints/{overdue}", params={"format": "json"})
    assert lookup.json()["status"] == "escalated"


async def test_an_escalated_complaint_can_still_be_resolved(
        clock: FileClock, public: httpx.AsyncClient, auditor: httpx.AsyncClient) -> None:
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    number = await file(public)
    clock.set(datetime(2027, 1, 4, 2, 0, tzinfo=UTC))

    async def escalated() -> dict[str, Any] | None:
        return (await listed(auditor, "escalated")).get(number)

    complaint_id = (await eventually(escalated, what="escalated"))["complaint_id"]
    response = await auditor.post(f"/complaints/{complaint_id}/resolve",
                                  json={"outcome": "upheld", "resolution": "已补发"})

    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["escalated_at"] is not None
