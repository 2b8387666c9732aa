"""An auditor's decisions: resolving a finding (`FindingResolved`), placing a hold on a
person or a payment run with a reason and evidence (`HoldPlaced`, `RunHoldPlaced`) and
lifting a hold with a reason (`HoldLifted`, `RunHoldLifted`), all honoured by
disbursement. Each is one unit of work with its outbox
row; a refused decision changes nothing.

A hold an auditor places is about the divisions of the person's certifications oversight
has heard of (of the program held, or of any): the auditor must act for each of them, and a
person oversight knows no certification of cannot be held. A run is held within its
division, once oversight has heard disbursement start it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from siquan.contracts.oversight_v1 import (
    FindingResolved,
    HoldLifted,
    HoldPlaced,
    RunHoldLifted,
    RunHoldPlaced,
)
from siquan.oversight.application.deferred import Origin
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import RECONCILIATION
from siquan.oversight.reconciliation.domain.findings import (
    PAID_AFTER_DEATH,
    PAID_AFTER_REVOCATION,
)
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
    lifting: HoldLifted | RunHoldLifted
    if hold["run_id"] is not None:
        lifting = RunHoldLifted(hold_id=hold_id, run_id=hold["run_id"], reason=reason,
                                lifted_by=officer.id, lifted_at=now)
    else:
        lifting = HoldLifted(hold_id=hold_id, person_key=hold["person_key"], reason=reason,
                             lifted_by=officer.id, lifted_at=now)
    message_id = uow.publish(lifting)
    await uow.findings.lift_hold(hold_id, lifted_by=officer.id, lifted_at=now,
                                 reason=reason, message_id=message_id)
    lifted = await uow.findings.get_hold(hold_id)
    assert lifted is not None
    return lifted


async def place_hold(uow: RuleUnit, *, officer: Officer, person_key: str,
                     program_code: str | None, reason: str, evidence: tuple[str, ...]
                     ) -> dict[str, Any]:
    known = (await uow.watched.certifications_of_persons([person_key])).get(person_key, [])
    concerned = sorted({c.division_code for c in known
                        if program_code is None or c.program_code == program_code})
    if not concerned:
        raise NotFound("oversight knows no certification of this person"
                       + (f" in program {program_code}" if program_code else ""))
    for division in concerned:
        officer.check_scope(division)
    if await uow.findings.active_hold(person_key, program_code) is not None:
        raise Refused("a hold on this person " + (f"for {program_code} " if program_code
                                                   else "for every program ")
                      + "is already in force")
    hold_id, now = str(uuid.uuid4()), uow.now()
    message_id = uow.publish(HoldPlaced(
        hold_id=hold_id, person_key=person_key, program_code=program_code, reason=reason,
        placed_by=officer.id, evidence=evidence, placed_at=now))
    await uow.findings.insert_hold(
        hold_id=hold_id, person_key=person_key, program_code=program_code,
        division_code=concerned[0] if len(concerned) == 1 else officer.division,
        finding_id=None, reason=reason, placed_by=officer.id, placed_at=now,
        message_id=message_id, evidence=evidence)
    placed = await uow.findings.get_hold(hold_id)
    assert placed is not None
    return placed


async def place_run_hold(uow: RuleUnit, *, officer: Officer, run_id: str, reason: str,
                         evidence: tuple[str, ...]) -> dict[str, Any]:
    division = await uow.findings.run_division(run_id)
    if division is None:
        raise NotFound(f"oversight knows no payment run {run_id}")
    officer.check_scope(division)
    if await uow.findings.active_run_hold(run_id) is not None:
        raise Refused(f"a hold on run {run_id} is already in force")
    hold_id, now = str(uuid.uuid4()), uow.now()
    message_id = uow.publish(RunHoldPlaced(
        hold_id=hold_id, run_id=run_id, reason=reason, evidence=evidence,
        placed_by=officer.id, placed_at=now))
    await uow.findings.insert_run_hold(
        hold_id=hold_id, run_id=run_id, division_code=division, reason=reason,
        evidence=evidence, placed_by=officer.id, placed_at=now, message_id=message_id)
    placed = await uow.findings.get_hold(hold_id)
    assert placed is not None
    return placed


async def release_for_death_corrected(uow: RuleUnit, *, person_key: str,
                                      certification_ids: Sequence[str], date_of_death: date,
                                      corrected_by: str) -> int:
    """A death recorded in error was corrected: the findings it alone gave reason for
    (paid after the death; paid after the revocation it made) are dismissed and the holds
    they placed lifted, so the person is paid again. Each is published as an auditor's
    decision is (`finding.resolved`, `hold.lifted`), by reconciliation, naming the
    correction; a finding of another cause and its hold stay. Idempotent: a hold lifted
    already is not found again. How many holds were lifted."""
    why = (f"the death of {date_of_death} was recorded in error and corrected by "
           f"{corrected_by}")
    lifted = 0
    for held in await uow.findings.held_by_findings(person_key):
        if not (held["rule"] == PAID_AFTER_DEATH.name or (
                held["rule"] == PAID_AFTER_REVOCATION.name
                and held["certification_id"] in certification_ids)):
            continue
        if held["status"] == "open":
            await dismiss(uow, held["finding_id"], why)
        await lift_by_reconciliation(uow, held["hold_id"], person_key, why)
        lifted += 1
    return lifted


async def dismiss(uow: RuleUnit, finding_id: str, why: str, origin: Origin | None = None
                  ) -> bool:
    """Reconciliation dismisses a finding the evidence no longer bears out, published as
    an auditor's decision is (caused by the message `origin` names, None: the unit's).
    The finding is locked first: one an auditor (or another instance) resolved meanwhile
    keeps that resolution, and False says nothing was done."""
    found = await uow.findings.get_finding(finding_id, lock=True)
    if found is None or found["status"] != "open":
        return False
    now = uow.now()
    message_id = uow.publish_for(origin, FindingResolved(
        finding_id=finding_id, outcome="dismissed", resolution=why,
        resolved_by=RECONCILIATION, resolved_at=now))
    await uow.findings.resolve_finding(finding_id, outcome="dismissed", resolution=why,
                                       resolved_by=RECONCILIATION, resolved_at=now,
                                       message_id=message_id)
    return True


async def lift_by_reconciliation(uow: RuleUnit, hold_id: str, person_key: str, why: str,
                                 origin: Origin | None = None) -> None:
    """Reconciliation lifts the hold its dismissed finding placed."""
    now = uow.now()
    message_id = uow.publish_for(origin, HoldLifted(
        hold_id=hold_id, person_key=person_key, reason=why, lifted_by=RECONCILIATION,
        lifted_at=now))
    await uow.findings.lift_hold(hold_id, lifted_by=RECONCILIATION, lifted_at=now,
                                 reason=why, message_id=message_id)
