"""The whole flow across the four powers, each a separate process on the real RabbitMQ and
PostgreSQL: certification → appropriation → payment run → payment → settlement → audit;
then an auditor's hold: held out of one run, paid the held month as arrears in the next."""

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    CycleResult,
    RunPlan,
    account_number,
    default_beneficiaries,
    expected_total,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

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


def _owed(plan: RunPlan, category: str) -> int:
    """The policy's amount for one month of the plan's program, computed here."""
    policy = load_catalogue().in_force(plan.program_code, period_start(plan.period))
    return policy.benefit(category).amount_fen


async def test_an_auditors_hold_skips_a_run_and_its_lift_pays_the_month_as_arrears(
        cycle: tuple[CycleResult, str], cluster: Cluster) -> None:
    """Runs after the cycle's (2026-11): the auditor holds a newly certified parent through
    oversight's API; the 2026-12 run skips them with the hold's reason; the auditor lifts
    the hold; the 2027-01 run pays them January and December (as arrears), to the fen."""
    held, after = RunPlan("special_assistance", "2026-12"), RunPlan("special_assistance",
                                                                    "2027-01")
    person = Beneficiary(ResidentFactory("420117", birth_year=1961).next(), "周玉梅",
                         "special_assistance", "death")
    others = [p for p in PEOPLE if p.program_code == "special_assistance"]
    trace_dir = cluster.trace_dir
    assert trace_dir is not None

    def consumed(trace_id: str | None, routing_key: str) -> Callable[[], Awaitable[bool]]:
        """Whether disbursement has processed the event of a trace (its span is written)."""
        async def probe() -> bool:
            return any(s["file"] == "disbursement" and s["context"]["trace_id"] ==
                       f"0x{trace_id}" and s["name"].endswith(f"{routing_key} process")
                       for s in _spans(trace_dir))
        return probe

    driver = CountyCycle.of(cluster)
    try:
        certification_id = await driver.certify(person, eligible_from="2026-12-01")
        await driver.register_account(person, account_number(90))
        certified = await driver.eligibility.call(
            "GET", f"/certifications/{certification_id}", Officers.auditor)
        person_key = certified["person_key"]

        async def hold_placed() -> dict[str, Any] | None:
            """The hold, once oversight has heard of the certification: it refuses (404,
            nothing placed) a hold on a person it knows no certification of."""
            try:
                placed: dict[str, Any] = await driver.oversight.call(
                    "POST", "/holds", Officers.auditor, json={
                        "person_key": person_key, "program_code": "special_assistance",
                        "reason": "payee reported living abroad",
                        "evidence": ["village report 2026-31"]})
            except RefusedByService as refused:
                if refused.response.status_code != 404:
                    raise
                return None
            return placed

        placed = await eventually(hold_placed, timeout=60,
                                  what="oversight holding the newly certified person")
        await eventually(consumed(driver.oversight.last_trace_id, "hold.placed.v1"),
                         timeout=60, what="disbursement holding the person")
        for plan in (held, after):
            await driver.appropriate(plan, 10_000_000)
        await driver.wait_until_disbursement_knows(len(others) + 1, "special_assistance")
        skipped_run = await driver.pay(held)

        lifted = await driver.oversight.call(
            "POST", f"/holds/{placed['hold_id']}/lift", Officers.auditor,
            json={"reason": "payee appeared in person"})
        await eventually(consumed(driver.oversight.last_trace_id, "hold.lifted.v1"),
                         timeout=60, what="disbursement releasing the person")
        paid_run = await driver.pay(after)
    finally:
        await driver.close()

    skips = [s for s in skipped_run["skipped"] if s["person_key"] == person_key]
    assert [s["reason"] for s in skips] == ["payments to this person are on hold"]
    others_owed = sum(_owed(held, p.category) for p in others)
    assert skipped_run["control_totals"] == {"payee_count": len(others),
                                             "total_fen": others_owed}
    assert skipped_run["amounts_fen"]["settled"] == others_owed
    assert skipped_run["arrears"] == {"count": 0, "amount_fen": 0}
    assert (lifted["lifted_by"], lifted["lift_reason"]) == (Officers.auditor,
                                                            "payee appeared in person")
    december, january = _owed(held, "death"), _owed(after, "death")
    assert paid_run["arrears"] == {"count": 1, "amount_fen": december}
    assert not [s for s in paid_run["skipped"] if s["person_key"] == person_key]
    assert paid_run["control_totals"]["total_fen"] == (
        sum(_owed(after, p.category) for p in others) + january + december)
    assert paid_run["amounts_fen"]["settled"] == paid_run["control_totals"]["total_fen"]
