"""Checks for payment runs on a RabbitMQ cluster, shared by the tests that break the
cluster in different ways (a node killed on loopback; a node cut off and killed among
namespaced hosts; their fixtures are in tests/e2e/conftest.py): where the payments went,
which node an instance works through, and the promises checked after a run.
"""

from __future__ import annotations

import asyncpg
import httpx

from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import CountyCycle, RunPlan
from siquan.shared.rabbit_cluster import Node, RabbitCluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.waiting import eventually


async def transfers(env: Environment) -> list[asyncpg.Record]:
    return await env.fetch("banksim", "SELECT payment_id, account_number, amount_fen,"
                                      " outcome FROM transfers")


async def published(env: Environment) -> set[str]:
    """What the services published on their own exchanges (the partners' projections on
    `siquan.partners` are translations of audited certification events, written in the
    same transaction; oversight does not read them)."""
    ids: set[str] = set()
    for service in ("eligibility", "fund_custody", "disbursement", "oversight"):
        rows = await env.fetch(service, "SELECT message_id FROM outbox"
                                        " WHERE published_at IS NOT NULL"
                                        " AND exchange <> 'siquan.partners'")
        ids |= {str(r["message_id"]) for r in rows}
    return ids


async def node_of(service_url: str, rabbit: RabbitCluster) -> Node:
    """The broker node an instance is connected to, as its readiness check reports it."""
    async with httpx.AsyncClient(base_url=service_url, timeout=5.0) as http:
        broker = (await http.get("/health/ready")).json()["checks"]["broker"]
    (node,) = [n for n in rabbit.nodes if f"@{n.host}:{n.amqp_port}/" in broker]
    return node


async def paid_exactly_once(cycle: CountyCycle, env: Environment, run_id: str,
                            plan: RunPlan, payees: int, owed: int) -> None:
    """The run completed; every payee paid once at the bank, the sum owed and no more;
    the report and fund custody's special account agree to the fen."""
    run = await cycle.pay_result(run_id)
    report = await cycle.report(plan, settled_fen=owed)
    sent = await transfers(env)
    account = await cycle.fund_custody.call(
        "GET", f"/accounts/{plan.program_code}/{plan.fiscal_year}/420117", Officers.treasury)

    assert run["status"] == "completed"
    assert run["counts"] == {"settled": payees, "failed": 0, "cancelled": 0, "pending": 0}
    assert len(sent) == payees
    assert len({t["payment_id"] for t in sent}) == payees
    assert len({t["account_number"] for t in sent}) == payees
    assert sum(t["amount_fen"] for t in sent if t["outcome"] == "settled") == owed
    assert (report["paid_count"], report["paid_fen"], report["settled_fen"]) == (
        payees, owed, owed)
    assert (account["paid_out_fen"], account["reserved_fen"], account["available_fen"]) == (
        owed, 0, 0)


async def all_audited(cycle: CountyCycle, env: Environment) -> None:
    """Every message the services published is in oversight's log, in a chain that
    verifies."""
    async def complete() -> set[str] | None:
        audited = {str(r["message_id"]) for r in await env.fetch(
            "oversight", "SELECT message_id FROM audit_entries")}
        missing = await published(env) - audited
        return None if missing else audited

    await eventually(complete, timeout=60, what="every published message in the audit log")
    verified = await cycle.oversight.call("GET", "/audit/verify", Officers.auditor)
    assert verified["ok"] is True, verified
