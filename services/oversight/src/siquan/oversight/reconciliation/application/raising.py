"""Raising what the rules found, in the unit's transaction: store the finding once, queue
`FindingRaised` through the outbox and, for a suspected false claim, hold the payee
(`HoldPlaced`, honoured by disbursement) unless a hold already covers them. Flags are only
stored. What is published is caused by the message the finding came from (`origin`).

A finding whose evidence may be in messages oversight has not processed is not raised:
it waits as incomplete evidence (`await_evidence`), published to nobody, holding nobody."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from siquan.contracts.oversight_v1 import HoldPlaced
from siquan.oversight.application.deferred import Origin
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.domain.findings import Finding, Flag

log = logging.getLogger(__name__)

RECONCILIATION = "oversight-reconciliation"
"""Who places a hold on a finding: oversight's rules, not an officer."""


async def raise_finding(uow: RuleUnit, f: Finding, origin: Origin | None = None
                        ) -> str | None:
    """Raise `f` unless it was raised before; its id when new. A finding that would hold
    its payee while its evidence may be in messages oversight has not processed waits as
    incomplete evidence instead."""
    if f.holds_payee:
        waiting = uow.config.last_count.backlog.waiting_for(f.rule.name)
        if waiting:
            await await_evidence(uow, f, waiting)
            return None
    finding_id, now = str(uuid.uuid4()), uow.now()
    if not await uow.findings.insert_finding(finding_id, f, now):
        return None
    message_id = uow.publish_for(origin, f.event(finding_id, now))
    await uow.findings.set_finding_message(finding_id, message_id)
    log.info("finding %s raised: %s (%s)", finding_id, f.rule.name, f.rule.category)
    if f.holds_payee:
        await _hold(uow, finding_id, f, origin)
    return finding_id


async def raise_findings(uow: RuleUnit, found: Iterable[Finding | None],
                         origin: Origin | None = None) -> int:
    """Raise each finding given (None: nothing found); how many were new."""
    raised = 0
    for f in found:
        if f is not None and await raise_finding(uow, f, origin) is not None:
            raised += 1
    return raised


async def _hold(uow: RuleUnit, finding_id: str, f: Finding, origin: Origin | None) -> None:
    assert f.person_key is not None
    program = f.hold_program()
    if await uow.findings.active_hold(f.person_key, program) is not None:
        return
    hold_id = str(uuid.uuid4())
    message_id = uow.publish_for(origin, HoldPlaced(
        hold_id=hold_id, person_key=f.person_key, program_code=program,
        reason=f"finding {finding_id}: {f.rule.name}", placed_by=RECONCILIATION,
        placed_at=uow.now()))
    await uow.findings.insert_hold(
        hold_id=hold_id, person_key=f.person_key, program_code=program,
        division_code=f.division_code, finding_id=finding_id, reason=f.reason,
        placed_by=RECONCILIATION, placed_at=uow.now(), message_id=message_id)


async def raise_flag(uow: RuleUnit, flag: Flag) -> None:
    await uow.findings.insert_flag(str(uuid.uuid4()), flag, uow.now())


async def await_evidence(uow: RuleUnit, f: Finding | None, waiting_for: tuple[str, ...]
                         ) -> None:
    """Keep `f` as incomplete evidence: no finding, no event, no hold until it is judged
    again with the backlog gone."""
    if f is None:
        return
    await uow.findings.await_evidence(f, waiting_for, uow.now())
    log.info("%s about %s waits for evidence: %s", f.rule.name, f.dedup_key,
             "; ".join(waiting_for))
