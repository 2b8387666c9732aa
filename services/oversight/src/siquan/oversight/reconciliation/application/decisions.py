"""An auditor's decisions: resolving a finding (`FindingResolved`) and lifting a hold with a
reason (`HoldLifted`, honoured by disbursement). Each is one unit of work with its outbox
row; a refused decision changes nothing."""

from __future__ import annotations

from typing import Any, Literal

from siquan.contracts.oversight_v1 import FindingResolved, HoldLifted
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound, Refused

Outcome = Literal["confirmed", "dismissed"]


def _in_scope(officer: Officer, record: dict[str, Any]) -> None:
    """A record about a division is the business of that division's auditors only."""
    division = record.get("division_code")
    if division is not None:
        officer.check_scope(division)


async def resolve_finding(uow: RuleUnit, *, finding_id: str, officer: Officer,
                          outcome: Outcome, resolution: str) -> dict[str, Any]:
    finding = await uow.findings.get_finding(finding_id, lock=True)
    if finding is None:
        raise NotFound(f"no finding {finding_id}")
    _in_scope(officer, finding)
    if finding["status"] == "resolved":
        raise Refused(f"finding {finding_id} was resolved already "
                      f"({finding['outcome']} by {finding['resolved_by']})")
    now = uow.now()
    message_id = uow.publish(FindingResolved(
        finding_id=finding_id, outcome=outcome, resolution=resolution,
        resolved_by=officer.id, resolved_at=now))
    await uow.findings.resolve_finding(finding_id, outcome=outcome, resolution=resolution,
                                       resolved_by=officer.id, resolved_at=now,
                                       message_id=message_id)
    resolved = await uow.findings.get_finding(finding_id)
    assert resolved is not None
    return resolved


async def lift_hold(uow: RuleUnit, *, hold_id: str, officer: Officer, reason: str
                    ) -> dict[str, Any]:
    hold = await uow.findings.get_hold(hold_id, lock=True)
    if hold is None:
        raise NotFound(f"no hold {hold_id}")
    _in_scope(officer, hold)
    if hold["lifted_at"] is not None:
        raise Refused(f"hold {hold_id} was lifted already by {hold['lifted_by']}")
    now = uow.now()
    message_id = uow.publish(HoldLifted(
        hold_id=hold_id, person_key=hold["person_key"], reason=reason,
        lifted_by=officer.id, lifted_at=now))
    await uow.findings.lift_hold(hold_id, lifted_by=officer.id, lifted_at=now,
                                 reason=reason, message_id=message_id)
    lifted = await uow.findings.get_hold(hold_id)
    assert lifted is not None
    return lifted
