"""Raising what the rules found, in the caller's transaction: store the finding once, queue
`FindingRaised` through the outbox and, for a suspected false claim, hold the payee
(`HoldPlaced`, honoured by disbursement) unless a hold already covers them. Flags are only
stored."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from siquan.contracts.base import Event
from siquan.contracts.oversight_v1 import HoldPlaced
from siquan.oversight.reconciliation.adapters import findings as store
from siquan.oversight.reconciliation.domain.findings import Finding, Flag
from siquan.shared.database import Connection

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[str]]
RECONCILIATION = "oversight-reconciliation"
"""Who places a hold on a finding: oversight's rules, not an officer."""


@dataclass(frozen=True)
class Raiser:
    conn: Connection
    publish: Publish
    now: datetime

    async def finding(self, f: Finding) -> str | None:
        """Raise `f` unless it was raised before; its id when new."""
        finding_id = str(uuid.uuid4())
        if not await store.insert_finding(self.conn, finding_id, f, self.now):
            return None
        message_id = await self.publish(f.event(finding_id, self.now))
        await store.set_finding_message(self.conn, finding_id, message_id)
        log.info("finding %s raised: %s (%s)", finding_id, f.rule.name, f.rule.category)
        if f.holds_payee:
            await self._hold(finding_id, f)
        return finding_id

    async def findings(self, found: Iterable[Finding]) -> int:
        return sum([await self.finding(f) is not None for f in found])

    async def _hold(self, finding_id: str, f: Finding) -> None:
        assert f.person_key is not None
        program = f.hold_program()
        if await store.active_hold(self.conn, f.person_key, program) is not None:
            return
        hold_id = str(uuid.uuid4())
        message_id = await self.publish(HoldPlaced(
            hold_id=hold_id, person_key=f.person_key, program_code=program,
            reason=f"finding {finding_id}: {f.rule.name}", placed_by=RECONCILIATION))
        await store.insert_hold(
            self.conn, hold_id=hold_id, person_key=f.person_key, program_code=program,
            division_code=f.division_code, finding_id=finding_id, reason=f.reason,
            placed_by=RECONCILIATION, placed_at=self.now, message_id=message_id)

    async def flag(self, flag: Flag) -> None:
        await store.insert_flag(self.conn, str(uuid.uuid4()), flag, self.now)
