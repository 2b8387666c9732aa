"""The sweep: what can only be found missing after a while, looked for every
`sweep_seconds`, each part in its own transaction.

- payments whose certification never arrived within the grace period (paid without one);
- fund movements for a run disbursement never announced within the grace period;
- certified persons not paid by the deadline after a period for which a run was made (漏);
- divisions whose certification timeliness is below the target.

Deadlines are measured on the service's clock (`SIQUAN_CLOCK_FILE` moves it in tests); the
grace periods on the database's, since they wait for messages, not for the calendar.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from siquan.contracts.base import Event
from siquan.oversight.reconciliation.adapters import findings, funds, settled, timeliness, watched
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.oversight.reconciliation.application.judging import judge_items, owed_fen
from siquan.oversight.reconciliation.application.raising import Raiser
from siquan.oversight.reconciliation.domain.conduct import money_moved_without_run
from siquan.oversight.reconciliation.domain.entitlement import period_end
from siquan.oversight.reconciliation.domain.payments import certified_not_paid, never_certified
from siquan.oversight.reconciliation.domain.timeliness import below_target
from siquan.shared.clock import Clock
from siquan.shared.database import Connection
from siquan.shared.outbox import Outbox


@dataclass
class SweepStatus:
    """How many sweeps finished, when the last one started and what they raised."""

    sweeps: int = 0
    last_started_at: datetime | None = None
    raised: int = 0


@dataclass
class Sweeper:
    pool: Callable[[], asyncpg.Pool]
    outbox: Outbox
    clock: Clock
    config: RuleConfig
    _timeliness_due: float = 0.0

    async def _in_transaction(self, part: Callable[[Raiser], Awaitable[int]]) -> int:
        async with self.pool().acquire() as conn, conn.transaction():
            async def publish(event: Event) -> str:
                return await self.outbox.add(conn, event)

            return await part(Raiser(conn, publish, self.clock.now()))

    async def sweep(self) -> int:
        """One pass; how many findings it raised."""
        raised = 0
        for part in (self.uncertified_payments, self.unmatched_movements, self.omissions,
                     self.timeliness):
            raised += await self._in_transaction(part)
        return raised

    async def uncertified_payments(self, raiser: Raiser) -> int:
        items = await settled.unchecked(raiser.conn, self.config.grace_seconds)
        if not items:
            return 0
        judgements = await judge_items(raiser.conn, items)
        runs = await watched.runs(raiser.conn, (i.run_id for i in items))
        raised = 0
        for item in items:
            judgement = judgements[item.payment_id]
            raised += await raiser.findings(judgement.findings)
            if judgement.pending:
                raised += await raiser.findings([never_certified(item, runs.get(item.run_id))])
        await settled.mark_checked(raiser.conn, (i.payment_id for i in items))
        return raised

    async def unmatched_movements(self, raiser: Raiser) -> int:
        matched, orphans = await funds.unmatched(raiser.conn, self.config.grace_seconds)
        raised = await raiser.findings(money_moved_without_run(m) for m in orphans)
        await funds.mark_checked(raiser.conn, matched + [m.message_id for m in orphans])
        return raised

    def _deadline(self, period: str) -> date:
        return period_end(period) + timedelta(days=self.config.omission_deadline_days)

    async def omissions(self, raiser: Raiser) -> int:
        raised = 0
        today = self.clock.today()
        for program, period, division in await watched.unswept_periods(raiser.conn):
            deadline = self._deadline(period)
            if today <= deadline:
                continue
            raised += await _omissions_of(raiser, program, period, division, deadline)
            await watched.mark_swept(raiser.conn, program, period, division, raiser.now)
        return raised

    async def timeliness(self, raiser: Raiser) -> int:
        if time.monotonic() < self._timeliness_due:
            return 0
        self._timeliness_due = time.monotonic() + self.config.timeliness_seconds
        now, target = self.clock.now(), self.config.timeliness
        since = datetime(now.year - 1, 1, 1, tzinfo=UTC)
        figures = await timeliness.by_division(
            raiser.conn, now=now, target_days=target.days, since=since,
            until=now + timedelta(days=1))
        return await raiser.findings(f for f in (below_target(d, target) for d in figures)
                                     if f is not None)


async def _omissions_of(raiser: Raiser, program: str, period: str, division: str,
                        deadline: date) -> int:
    conn: Connection = raiser.conn
    unpaid = await settled.unpaid(conn, program_code=program, period=period,
                                  division_code=division, period_end=period_end(period))
    certs = [c for c in (await watched.certifications(conn, unpaid)).values()
             if c.owed_in(period)]
    persons = [c.person_key for c in certs]
    dead = await watched.deaths(conn, persons)
    held = await findings.held_persons(conn, persons, program)
    runs = await watched.runs_of(conn, program, period, division)
    raised, seen = 0, set()
    for cert in sorted(certs, key=lambda c: (c.effective_from, c.certification_id)):
        death = dead.get(cert.person_key)
        if cert.person_key in seen or cert.person_key in held or (
                death is not None and death.ends_before(period)):
            continue
        seen.add(cert.person_key)
        expected = owed_fen(program, cert.category, period, cert.division_code)
        raised += await raiser.findings([certified_not_paid(cert, period, runs, expected,
                                                            deadline.isoformat())])
    return raised


def sweep_loop(sweeper: Sweeper, status: SweepStatus) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            started = datetime.now(UTC)
            status.raised += await sweeper.sweep()
            status.sweeps, status.last_started_at = status.sweeps + 1, started
            await asyncio.sleep(sweeper.config.sweep_seconds)

    return loop
