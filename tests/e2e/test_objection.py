"""A neighbour objects to a public notice entry on oversight's public form; eligibility
refuses the approval while the objection is open and certifies once oversight dismisses
it. Both services are separate processes on the real broker and database."""

from datetime import date
from typing import Any

import httpx
import pytest

from siquan.shared.clock import SystemClock
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    submit_application,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e


async def _on_notice(cycle: CountyCycle, person: Beneficiary) -> tuple[str, date]:
    submitted = await submit_application(cycle.eligibility, person, "2026-01-01")
    application_id = submitted["application_id"]
    await cycle.eligibility.call("POST", "/community-reviews", Officers.clerk, json={
        "division_code": DIVISION,
        "held_on": (cycle.clock or SystemClock()).today().isoformat(), "present": 25,
        "passed": [application_id]})
    await cycle.eligibility.call("POST", "/township-reviews", Officers.reviewer,
                                 json={"approved": [application_id]})
    notice = await cycle.eligibility.call("POST", "/notices", Officers.reviewer, json={
        "program_code": person.program_code, "division_code": DIVISION,
        "application_ids": [application_id]})
    return application_id, date.fromisoformat(notice["closes_on"])


async def test_an_objection_filed_by_the_public_blocks_approval_until_oversight_resolves_it(
        cluster: Cluster) -> None:
    cycle = CountyCycle.of(cluster)
    person = Beneficiary(ResidentFactory().next(), "吴桂香", "special_assistance", "death")
    try:
        application_id, closes_on = await _on_notice(cycle, person)

        async def on_the_board() -> list[dict[str, Any]]:
            async with httpx.AsyncClient(base_url=cluster.url("oversight")) as public:
                board = (await public.get("/public/notices?format=json")).json()
            notices = board["notices"] if isinstance(board, dict) else board
            return [n for n in notices if any(
                e.get("application_id") == application_id for e in n.get("entries", []))]

        posted = (await eventually(on_the_board, what="the notice on the public board"))[0]
        assert person.resident_id not in str(posted) and "吴**" in str(posted)

        async with httpx.AsyncClient(base_url=cluster.url("oversight")) as public:
            filed = await public.post("/public/complaints", json={
                "category": "notice_objection", "application_id": application_id,
                "division_code": DIVISION, "anonymous": True,
                "description": "这户的独生子女并未死亡，不符合特别扶助条件"})
        assert filed.status_code == 201, filed.text
        tracking = filed.json()["tracking_number"]

        async def blocked() -> bool:
            shown = await cycle.eligibility.call("GET", f"/applications/{application_id}",
                                                 Officers.approver)
            return bool(shown["blocked_by_objection"])

        await eventually(blocked, what="eligibility saw the objection")
        cycle._move_clock_to(closes_on)
        with pytest.raises(RefusedByService) as refused:
            await cycle.eligibility.call("POST", f"/applications/{application_id}/approve",
                                         Officers.approver)
        assert refused.value.response.status_code == 409
        assert "objection" in refused.value.response.json()["detail"]

        complaints = await cycle.oversight.call("GET", "/complaints?category=notice_objection",
                                                Officers.auditor)
        listed = complaints["complaints"] if isinstance(complaints, dict) else complaints
        complaint_id = next(c["complaint_id"] for c in listed
                            if c["tracking_number"] == tracking)
        await cycle.oversight.call("POST", f"/complaints/{complaint_id}/resolve",
                                   Officers.auditor, json={
                                       "outcome": "dismissed",
                                       "resolution": "走访核实：独生子女已于2020年死亡，证明齐全"})

        async def unblocked() -> bool:
            return not await blocked()

        await eventually(unblocked, what="eligibility saw the resolution")
        approved = await cycle.eligibility.call(
            "POST", f"/applications/{application_id}/approve", Officers.approver)
        async with httpx.AsyncClient(base_url=cluster.url("oversight")) as public:
            status = (await public.get(f"/public/complaints/{tracking}?format=json")).json()
    finally:
        await cycle.close()
    assert approved["certification_id"]
    assert status["status"] == "resolved" and status["outcome"] == "dismissed"
