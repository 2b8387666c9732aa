"""Every verified event of every producer enters the hash-chained audit log once, in the
order it arrived, and the chain verifies."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts import public_security_v1 as public_security
from siquan.contracts.base import Event
from siquan.shared.outbox import new_message_id
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
Entries = Callable[..., Awaitable[list[dict[str, Any]]]]
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def key() -> str:
    return secrets.token_hex(32)


def one_of_each_producer(run_id: str) -> list[Event]:
    common: dict[str, Any] = {"run_id": run_id, "program_code": "reward_assistance_rural",
                              "period": "2026-11", "division_code": "420117"}
    person = key()
    return [
        eligibility.CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code="reward_assistance_rural", category="standard",
            policy_version="2026.1", person_key=person, masked_name="张*",
            masked_resident_id="4201**********1234", division_code="420117",
            effective_from=date(2026, 1, 1), reviewed_by="reviewer-420117-01",
            approved_by="approver-420117-01", approved_at=NOW),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=20000,
                                        available_fen=1_000_000, **common),
        disbursement.PaymentsSettled(chunk=0, payments=(disbursement.SettledPayment(
            payment_id=str(uuid.uuid4()), person_key=person, certification_id="c",
            item="2026-11", amount_fen=10000, bank_reference="B1"),), **common),
        fund_custody.SettlementCompleted(reserved_fen=20000, paid_fen=10000,
                                         released_fen=10000, available_fen=990_000, **common),
        public_security.DeathReported(report_id="PS-1", person_key=person,
                                      date_of_death=date(2026, 11, 20)),
    ]


async def test_events_from_every_producer_are_logged_once_each_in_arrival_order(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    correlation = f"audit-order-{uuid.uuid4()}"
    message_ids = []
    for n, event in enumerate(one_of_each_producer(str(uuid.uuid4())), start=1):
        message_ids.append(await publish_as(siquan_env, event, correlation_id=correlation))
        await logged(correlation, n)

    entries = await logged(correlation, 5)

    assert [e["message_id"] for e in entries] == message_ids
    assert [e["producer"] for e in entries] == [
        "eligibility", "fund_custody", "disbursement", "fund_custody",
        "partner.public_security"]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    verdict = (await auditor.get("/audit/verify")).json()
    assert verdict["ok"] is True and verdict["entries"] >= 5


async def test_an_entry_records_the_envelope_and_links_to_the_entry_before_it(
        siquan_env: Environment, logged: Logged) -> None:
    correlation = f"audit-envelope-{uuid.uuid4()}"
    first, event = one_of_each_producer(str(uuid.uuid4()))[:2]
    await publish_as(siquan_env, first, correlation_id=correlation)
    await logged(correlation, 1)
    message_id = await publish_as(siquan_env, event, correlation_id=correlation)

    previous, entry = await logged(correlation, 2)

    assert entry["message_id"] == message_id
    assert entry["message_type"] == "allocation.approved.v1"
    assert entry["correlation_id"] == correlation and entry["causation_id"] is None
    assert entry["body"] == event.model_dump(mode="json")
    assert entry["occurred_at"] and entry["received_at"] >= entry["occurred_at"]
    assert entry["seq"] == previous["seq"] + 1
    assert entry["prev_hash"] == previous["entry_hash"]


async def test_the_same_message_delivered_twice_is_logged_once(
        siquan_env: Environment, logged: Logged, audit_entries: Entries) -> None:
    correlation = f"audit-twice-{uuid.uuid4()}"
    allocation = one_of_each_producer(str(uuid.uuid4()))[1]
    message_id = new_message_id()
    await publish_as(siquan_env, allocation, message_id=message_id, correlation_id=correlation)
    await publish_as(siquan_env, allocation, message_id=message_id, correlation_id=correlation)
    # The same queue delivers in order: once this later message is in, the copy was handled.
    marker = f"audit-twice-marker-{uuid.uuid4()}"
    await publish_as(siquan_env, allocation, correlation_id=marker)
    await logged(marker, 1)

    entries = await audit_entries(correlation_id=correlation)

    assert [e["message_id"] for e in entries] == [message_id]


async def test_entries_can_be_found_by_the_trace_they_belong_to(
        siquan_env: Environment, logged: Logged, audit_entries: Entries) -> None:
    correlation = f"audit-trace-{uuid.uuid4()}"
    trace_id = secrets.token_hex(16)
    traced = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    event = one_of_each_producer(str(uuid.uuid4()))[4]
    message_id = await publish_as(siquan_env, event, correlation_id=correlation,
                                  headers_override=traced)
    await logged(correlation, 1)

    found = await audit_entries(trace_id=trace_id)

    assert [(e["message_id"], e["trace_id"]) for e in found] == [(message_id, trace_id)]


async def test_only_auditors_may_read_the_audit_log(oversight: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=oversight.url) as client:
        clerk = {"Authorization": "Bearer dev-clerk-420117-01"}
        assert (await client.get("/audit/verify", headers=clerk)).status_code == 403
        assert (await client.get("/audit/entries")).status_code == 401
