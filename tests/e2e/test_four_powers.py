"""The whole flow across the four powers, each a separate process on the real RabbitMQ and
PostgreSQL: certification → appropriation → payment run → payment → settlement → audit."""

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    CountyCycle,
    CycleResult,
    RunPlan,
    default_beneficiaries,
    expected_total,
)
from siquan.shared.testing.cluster import Cluster

pytestmark = pytest.mark.e2e

PLANS = [RunPlan("special_assistance", "2026-11"), RunPlan("reward_assistance_rural", "2026")]
PEOPLE = default_beneficiaries()


@pytest.fixture(scope="module")
async def cycle(cluster: Cluster) -> tuple[CycleResult, str]:
    tracer = TracerProvider().get_tracer("e2e")
    driver = CountyCycle.of(cluster)
    try:
        with tracer.start_as_current_span("county cycle") as root:
            result = await driver.run(PEOPLE, PLANS)
        return result, format(root.get_span_context().trace_id, "032x")
    finally:
        await driver.close()


async def test_each_run_pays_exactly_what_the_policy_owes_and_oversight_reports_it(
        cycle: tuple[CycleResult, str]) -> None:
    result, _ = cycle
    special, reward = (result.reports[p] for p in PLANS)
    assert expected_total(PEOPLE, PLANS[0]) == 21_000 + 21_000 + 15_000
    assert expected_total(PEOPLE, PLANS[1]) == 120_000 * 2
    for plan, report in ((PLANS[0], special), (PLANS[1], reward)):
        owed = expected_total(PEOPLE, plan)
        assert report["certified_count"] == sum(p.program_code == plan.program_code
                                                for p in PEOPLE)
        assert report["allocated_fen"] == owed
        assert report["paid_fen"] == owed, json.dumps([report, result.runs[plan]], default=str)
        assert report["settled_fen"] == owed
        assert report["failed_count"] == 0


async def test_the_run_control_totals_match_what_was_settled(
        cycle: tuple[CycleResult, str]) -> None:
    result, _ = cycle
    for plan, run in result.runs.items():
        assert run["status"] == "completed"
        owed = expected_total(PEOPLE, plan)
        assert run["control_totals"]["total_fen"] == run["amounts_fen"]["settled"] == owed
        assert run["counts"]["settled"] == run["control_totals"]["payee_count"]
        assert run["counts"]["failed"] == run["counts"]["pending"] == 0


async def test_the_audit_chain_verifies(cycle: tuple[CycleResult, str]) -> None:
    result, _ = cycle
    assert result.audit["ok"] is True
    assert result.audit["entries"] >= len(PEOPLE) * 3 + len(PLANS) * 5


async def test_the_special_account_keeps_nothing_reserved_after_settlement(
        cycle: tuple[CycleResult, str], cluster: Cluster) -> None:
    driver = CountyCycle.of(cluster)
    try:
        account = await driver.fund_custody.call(
            "GET", "/accounts/special_assistance/2026/420117", Officers.treasury)
    finally:
        await driver.close()
    assert account["reserved_fen"] == 0
    assert account["paid_out_fen"] == expected_total(PEOPLE, PLANS[0])
    assert account["available_fen"] == 0


def _spans(trace_dir: Path) -> list[dict[str, Any]]:
    spans = []
    for path in sorted(trace_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                span = json.loads(line)
                span["file"] = path.stem
                spans.append(span)
    return spans


async def test_one_trace_spans_the_approval_the_allocation_the_payment_and_the_audit(
        cycle: tuple[CycleResult, str], cluster: Cluster) -> None:
    _, trace_id = cycle
    assert cluster.trace_dir is not None
    in_trace = [s for s in _spans(cluster.trace_dir)
                if s["context"]["trace_id"] == f"0x{trace_id}"]
    by_service = {s["file"] for s in in_trace}
    names = " | ".join(sorted({f"{s['file']}:{s['name']}" for s in in_trace}))
    assert by_service == {"eligibility", "fund_custody", "disbursement", "oversight"}, names
    assert any(s["file"] == "eligibility" and "approve" in s["name"] for s in in_trace), names
    assert any(s["file"] == "fund_custody" and s["name"] ==
               "siquan.disbursement.allocation.requested.v1 process" for s in in_trace), names
    assert any(s["file"] == "disbursement" and "payment chunk" in s["name"]
               for s in in_trace), names
    assert any(s["file"] == "oversight" and s["name"] ==
               "siquan.disbursement.payments.settled.v1 process" for s in in_trace), names


async def test_the_audit_entries_of_the_cycle_carry_its_trace_id(
        cycle: tuple[CycleResult, str], cluster: Cluster) -> None:
    _, trace_id = cycle
    driver = CountyCycle.of(cluster)
    try:
        entries = await driver.oversight.call("GET", f"/audit/entries?trace_id={trace_id}"
                                              "&limit=500", Officers.auditor)
    finally:
        await driver.close()
    types = {e["message_type"] for e in entries}
    assert {"certification.granted.v1", "allocation.approved.v1", "payments.settled.v1",
            "settlement.completed.v1"} <= types
