"""An auditor's decisions: resolving a finding (`FindingResolved`) and lifting a hold with a
reason (`HoldLifted`, honoured by disbursement). Each is one transaction with its outbox
row; a refused decision changes nothing."""

from __future__ import annotations

from typing import Any, Literal

import asyncpg

from siquan.contracts.oversight_v1 import FindingResolved, HoldLifted
from siquan.oversight.reconciliation.adapters import findings as store
from siquan.shared.auth import Officer
from siquan.shared.clock import Clock
from siquan.shared.errors import NotFound, Refused
from siquan.shared.outbox import Outbox

Outcome = Literal["confirmed", "dismissed"]


def _in_scope(officer: Officer, record: dict[str, Any]) -> None:
    """A record about a division is the business of that division's auditors only."""
    division = record.get("division_code")
    if division is not None:
        officer.check_scope(division)


async def resolve_finding(pool: asyncpg.Pool, outbox: Outbox, clock: Clock, *,
                          finding_id: str, officer: Officer, outcome: Outcome,
                          resolution: str) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        finding = await store.get_finding(conn, finding_id, lock=True)
        if finding is None:
            raise NotFound(f"no finding {finding_id}")
        _in_scope(officer, finding)
        if finding["status"] == "resolved":
            raise Refused(f"finding {finding_id} was resolved already "
                          f"({finding['outcome']} by {finding['resolved_by']})")
        now = clock.now()
        message_id = await outbox.add(conn, FindingResolved(
            finding_id=finding_id, outcome=outcome, resolution=resolution,
            resolved_by=officer.id, resolved_at=now))
        await store.resolve_finding(conn, finding_id, outcome=outcome, resolution=resolution,
                                    resolved_by=officer.id, resolved_at=now,
                                    message_id=message_id)
        resolved = await store.get_finding(conn, finding_id)
    assert resolved is not None
    return resolved


async def lift_hold(pool: asyncpg.Pool, outbox: Outbox, clock: Clock, *, hold_id: str,
                    officer: Officer, reason: str) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        hold = await store.get_hold(conn, hold_id, lock=True)
        if hold is None:
            raise NotFound(f"no hold {hold_id}")
        _in_scope(officer, hold)
        if hold["lifted_at"] is not None:
            raise Refused(f"hold {hold_id} was lifted already by {hold['lifted_by']}")
        now = clock.now()
        message_id = await outbox.add(conn, HoldLifted(
            hold_id=hold_id, person_key=hold["person_key"], reason=reason,
            lifted_by=officer.id, lifted_at=now))
        await store.lift_hold(conn, hold_id, lifted_by=officer.id, lifted_at=now,
                              reason=reason, message_id=message_id)
        lifted = await store.get_hold(conn, hold_id)
    assert lifted is not None
    return lifted
