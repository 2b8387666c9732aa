"""What an operator sees of the running services: traces that start at an officer's
request (no caller opens a root span) and follow the work through the outbox, the broker
and every consumer; metrics scrapeable at /metrics; logs as JSON lines that name their
trace and message; readiness that checks the database and the broker."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
    expected_total,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e
PLAN = RunPlan("special_assistance", "2026-10")
SERVICES = ("eligibility", "fund_custody", "disbursement", "oversight")


def _spans(trace_dir: Path, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(trace_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            span = json.loads(line)
            if span["context"]["trace_id"] == f"0x{trace_id}":
                found.append({**span, "file": path.stem})
    return found


def _names(spans: list[dict[str, Any]]) -> set[str]:
    return {f"{s['file']}:{s['name']}" for s in spans}


async def _traced(cluster: Cluster, trace_id: str, wanted: set[str]) -> list[dict[str, Any]]:
    assert cluster.trace_dir is not None

    async def complete() -> list[dict[str, Any]] | None:
        spans = _spans(cluster.trace_dir, trace_id)
        return spans if wanted <= _names(spans) else None

    return await eventually(complete, timeout=60, what=f"trace {trace_id} reaching {wanted}")


@pytest.fixture(scope="module")
async def people(cluster: Cluster) -> list[Beneficiary]:
    residents = ResidentFactory("420117", birth_year=1963)
    return [Beneficiary(residents.next(), "钱秀芳", PLAN.program_code, "death")
            for _ in range(3)]


async def test_an_approval_starts_a_trace_that_reaches_every_consumer_of_the_certification(
        cluster: Cluster, people: list[Beneficiary]) -> None:
    cycle = CountyCycle.of(cluster)
    try:
        await cycle.certify_all(people)
        trace_id = cycle.eligibility.last_trace_id
    finally:
        await cycle.close()
    assert trace_id is not None
    spans = await _traced(cluster, trace_id, {
        "fund_custody:siquan.eligibility.certification.granted.v1 process",
        "disbursement:siquan.eligibility.certification.granted.v1 process",
        "oversight:siquan.eligibility.certification.granted.v1 process"})
    (root,) = [s for s in spans if s["parent_id"] is None]
    assert root["file"] == "eligibility" and root["kind"] == "SpanKind.SERVER"
    assert "approve" in root["name"]


async def test_a_payment_run_started_by_an_officer_is_one_trace_to_its_settlement(
        cluster: Cluster, people: list[Beneficiary]) -> None:
    cycle = CountyCycle.of(cluster)
    try:
        for index, person in enumerate(people):
            await cycle.register_account(person, account_number(700 + index))
        await cycle.appropriate(PLAN, expected_total(people, PLAN))
        await cycle.wait_until_disbursement_knows(len(people), PLAN.program_code)
        started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
            "program_code": PLAN.program_code, "period": PLAN.period,
            "division_code": "420117"})
        trace_id = cycle.disbursement.last_trace_id
        await cycle.pay_result(started["run_id"])
    finally:
        await cycle.close()
    assert trace_id is not None
    spans = await _traced(cluster, trace_id, {
        "fund_custody:siquan.disbursement.allocation.requested.v1 process",
        "disbursement:siquan.fund_custody.allocation.approved.v1 process",
        "fund_custody:siquan.disbursement.payments.settled.v1 process",
        "oversight:siquan.disbursement.payments.settled.v1 process",
        "disbursement:siquan.fund_custody.settlement.completed.v1 process"})
    roots = [s for s in spans if s["parent_id"] is None]
    assert [r["file"] for r in roots] == ["disbursement"]
    assert await _progress(cluster, started["run_id"]) == 1.0


def _all_spans(trace_dir: Path) -> list[dict[str, Any]]:
    return [{**json.loads(line), "file": path.stem}
            for path in sorted(trace_dir.glob("*.jsonl"))
            for line in path.read_text().splitlines()]


async def test_a_death_report_is_one_trace_to_the_revocation_and_one_to_the_hold(
        cluster: Cluster, people: list[Beneficiary]) -> None:
    """Public security reports, after the October payment, a death in August: eligibility
    revokes from September, and oversight, told of the death by the revocation, holds the
    payee paid after it. Public security sends no trace context, so eligibility's handling
    of the report (it alone reads a report by resident ID) is the root of the trace."""
    assert cluster.trace_dir is not None
    trace_dir = cluster.trace_dir
    dead = people[0]
    death = "siquan.partner.public_security.death.reported.v2 process"
    await publish_as(cluster.env, DeathReportedV2(
        report_id="GA-420117-2026-000901", resident_id=dead.resident_id,
        date_of_death=date(2026, 8, 15)))

    async def handled() -> dict[str, Any] | None:
        spans = _all_spans(trace_dir)
        roots = [s for s in spans if s["name"] == death and s["parent_id"] is None
                 and s["file"] == "eligibility"]
        holds = [s for s in spans if s["file"] == "disbursement"
                 and s["name"] == "siquan.oversight.hold.placed.v1 process"]
        return {"revocation": roots[0], "hold": holds[0]} if roots and holds else None

    found = await eventually(handled, timeout=90, what="the revocation and the hold")
    revocation_trace = found["revocation"]["context"]["trace_id"].removeprefix("0x")
    await _traced(cluster, revocation_trace, {
        "eligibility:" + death,
        "disbursement:siquan.eligibility.certification.revoked.v1 process",
        "oversight:siquan.eligibility.certification.revoked.v1 process"})
    hold_trace = found["hold"]["context"]["trace_id"].removeprefix("0x")
    spans = await _traced(cluster, hold_trace,
                          {"disbursement:siquan.oversight.hold.placed.v1 process"})
    (root,) = [s for s in spans if s["parent_id"] is None]
    assert (root["name"], root["kind"]) == (death, "SpanKind.CONSUMER")
    assert root["file"] in ("eligibility", "oversight")


async def _progress(cluster: Cluster, run_id: str) -> float:
    """The run's `siquan_payment_run_progress_ratio` once the sampler has seen it done."""
    async def done() -> float | None:
        async with httpx.AsyncClient(base_url=cluster.url("disbursement")) as http:
            scraped = (await http.get("/metrics")).text
        values = [float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines()
                  if line.startswith("siquan_payment_run_progress_ratio{")
                  and f'run_id="{run_id}"' in line]
        return values[0] if values and values[0] == 1.0 else None

    return await eventually(done, timeout=30, what=f"run {run_id} progress at 1")


async def _scrape(cluster: Cluster, service: str, *wanted: str) -> str:
    """The service's /metrics once it shows every wanted series (gauges are sampled)."""
    async def complete() -> str | None:
        async with httpx.AsyncClient(base_url=cluster.url(service)) as http:
            scraped = (await http.get("/metrics")).text
        return scraped if all(w in scraped for w in wanted) else None

    return await eventually(complete, timeout=30, what=f"{service} metrics {wanted}")


async def test_every_service_is_scrapeable_at_metrics(cluster: Cluster) -> None:
    for service in SERVICES:
        scraped = await _scrape(cluster, service, "siquan_outbox_backlog{",
                                "siquan_queue_depth{", "siquan_consumer_lag_seconds{")
        assert f'queue="siquan.{service}.' in scraped, service
    scraped = await _scrape(cluster, "fund_custody", "siquan_messages_total{")
    assert 'outcome="handled"' in scraped
    scraped = await _scrape(cluster, "disbursement", "http_server_duration")
    assert 'http_route="/runs"' in scraped or "/runs" in scraped


async def test_every_log_line_is_json_naming_its_service_and_work(cluster: Cluster) -> None:
    for service in SERVICES:
        lines = cluster.processes[service].log_path.read_text().splitlines()
        records = [json.loads(line) for line in lines]

        assert records, service
        assert all({"time", "level", "logger", "message", "service", "trace_id"} <= r.keys()
                   for r in records), service
        assert {r["service"] for r in records} == {service}


async def test_readiness_checks_the_database_and_the_broker(cluster: Cluster) -> None:
    for service in SERVICES:
        async with httpx.AsyncClient(base_url=cluster.url(service)) as http:
            ready = await http.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["broker"].startswith("ok")
