"""The sweep: what can only be found missing after a while, looked for every
`sweep_seconds`, each part in its own unit of work.

- payments whose certification never arrived within the grace period (paid without one);
- payments whose finding waited for evidence, once it is complete;
- fund movements for a run disbursement never announced within the grace period;
- certified persons not paid by the deadline after a period for which a run was made (漏);
- divisions whose certification timeliness is below the target.

Payments without certification, movements without run, omissions and late certifications
are findings of absence: while oversight has not processed messages that could hold the
missing evidence (its own dead letters, a queue not drained: `evidence`), what they find
waits as incomplete evidence, places no hold and is not marked as judged, so the next
sweep after the backlog is gone raises it or finds the evidence arrived (timeliness, a
figure per division, is simply judged then).

Deadlines are measured on the service's clock (`SIQUAN_CLOCK_FILE` moves it in tests); the
grace periods on the database's, since they wait for messages, not for the calendar.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from siquan.contracts.periods import period_end
from siquan.oversight.reconciliation.application.evidence import (
    COMPLETE,
    PAYMENT_RULES,
    Backlog,
    BacklogProbe,
    nothing_pending,
)
from siquan.oversight.reconciliation.application.judging import judge_items, owed_fen
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import await_evidence, raise_findings
from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.conduct import money_moved_without_run
from siquan.oversight.reconciliation.domain.payments import certified_not_paid, never_certified
from siquan.oversight.reconciliation.domain.timeliness import below_target
from siquan.shared.clock import Clock

Units = Callable[[], AbstractAsyncContextManager[Any]]
Part = Callable[[RuleUnit, Backlog], Awaitable[int]]


@dataclass
class SweepStatus:
    """How many sweeps finished, when the last one started and what they raised."""

    sweeps: int = 0
    last_started_at: datetime | None = None
    raised: int = 0


async def uncertified_payments(uow: RuleUnit, backlog: Backlog = COMPLETE) -> int:
    """Payments whose certification is still unknown after the grace period (waiting as
    incomplete evidence while eligibility's messages are not all processed)."""
    rule = rules.PAID_WITHOUT_CERTIFICATION.name
    waiting = backlog.waiting_for(rule)
    items = await uow.settled.unchecked(uow.config.grace_seconds)
    raised, awaiting = 0, set()
    if items:
        judgements = await judge_items(uow, items)
        runs = await uow.watched.runs(i.run_id for i in items)
        for item in items:
            judgement = judgements[item.payment_id]
            raised += await raise_findings(uow, judgement.findings)
            if not judgement.pending:
                continue
            found = never_certified(item, runs.get(item.run_id))
            if waiting:
                await await_evidence(uow, found, waiting)
                awaiting.add(item.payment_id)
            else:
                raised += await raise_findings(uow, [found])
        await uow.settled.mark_checked(i.payment_id for i in items
                                       if i.payment_id not in awaiting)
    return raised  # what waited is settled by `held_back_payments`, which judges it again


async def held_back_payments(uow: RuleUnit, backlog: Backlog = COMPLETE) -> int:
    """Payments whose finding waited for evidence, judged again once it is complete: found
    again (and held), or not owed a finding any more."""
    ready = [rule for rule in PAYMENT_RULES if not backlog.waiting_for(rule)]
    if not ready:
        return 0
    keys = await uow.findings.awaiting_keys(ready)
    if not keys:
        return 0
    items = await uow.settled.by_ids({key.split(":", 1)[1] for key in keys})
    judgements = await judge_items(uow, items)
    raised = 0
    for judgement in judgements.values():
        raised += await raise_findings(uow, judgement.findings)
    for rule in ready:
        await uow.findings.settle_awaiting(rule, uow.now(), keys)
    return raised


async def unmatched_movements(uow: RuleUnit, backlog: Backlog = COMPLETE) -> int:
    """Money fund custody moved for a run disbursement never announced."""
    rule = rules.MONEY_MOVED_WITHOUT_RUN.name
    waiting = backlog.waiting_for(rule)
    matched, orphans = await uow.funds.unmatched(uow.config.grace_seconds)
    if waiting:
        for movement in orphans:
            await await_evidence(uow, money_moved_without_run(movement), waiting)
        await uow.funds.mark_checked(matched)
        return 0
    raised = await raise_findings(uow, (money_moved_without_run(m) for m in orphans))
    await uow.funds.mark_checked(matched + [m.message_id for m in orphans])
    await uow.findings.settle_awaiting(rule, uow.now())
    return raised


def omission_deadline(uow: RuleUnit, period: str) -> date:
    return period_end(period) + timedelta(days=uow.config.omission_deadline_days)


async def omissions(uow: RuleUnit, backlog: Backlog = COMPLETE) -> int:
    """Certified persons not paid by the deadline after a period that had a run; a period
    is swept again while what it finds waits for evidence."""
    rule = rules.CERTIFIED_NOT_PAID.name
    waiting = backlog.waiting_for(rule)
    raised, today = 0, uow.today()
    for program, period, division in await uow.watched.unswept_periods():
        deadline = omission_deadline(uow, period)
        if today <= deadline:
            continue
        raised += await _omissions_of(uow, program, period, division, deadline, waiting)
        if not waiting:
            await uow.watched.mark_swept(program, period, division, uow.now())
    if not waiting:
        await uow.findings.settle_awaiting(rule, uow.now())
    return raised


async def _omissions_of(uow: RuleUnit, program: str, period: str, division: str,
                        deadline: date, waiting: tuple[str, ...] = ()) -> int:
    unpaid = await uow.settled.unpaid(program_code=program, period=period,
                                      division_code=division, period_end=period_end(period))
    certs = [c for c in (await uow.watched.certifications(unpaid)).values()
             if c.owed_in(period) and c.division_in(period) == division]
    persons = [c.person_key for c in certs]
    dead = await uow.watched.deaths(persons)
    held = await uow.findings.held_persons(persons, program)
    runs = await uow.watched.runs_of(program, period, division)
    raised, seen = 0, set()
    for cert in sorted(certs, key=lambda c: (c.effective_from, c.certification_id)):
        death = dead.get(cert.person_key)
        if cert.person_key in seen or cert.person_key in held or (
                death is not None and death.ends_before(period)):
            continue
        seen.add(cert.person_key)
        expected = owed_fen(program, cert.category_in(period), period,
                            cert.division_in(period))
        found = certified_not_paid(cert, period, runs, expected, deadline.isoformat())
        if waiting:
            await await_evidence(uow, found, waiting)
        else:
            raised += await raise_findings(uow, [found])
    return raised


async def timeliness(uow: RuleUnit, backlog: Backlog = COMPLETE) -> int:
    """Divisions certifying too few applications in time, this year and last; not judged
    while eligibility's messages are not all processed (an application counted as waiting
    may have been decided in one of them): a sweep after the backlog judges it."""
    if backlog.waiting_for(rules.TIMELINESS_BELOW_TARGET.name):
        return 0
    now, target = uow.now(), uow.config.timeliness
    figures = await uow.watched.timeliness(
        now=now, target_days=target.days,
        since=datetime(year=now.year - 1, month=1, day=1, tzinfo=UTC),
        until=now + timedelta(days=1))
    return await raise_findings(uow, (below_target(d, target) for d in figures))


@dataclass
class Sweeper:
    units: Units
    timeliness_seconds: float
    backlog: BacklogProbe = nothing_pending
    """What oversight has not processed yet (asked once per sweep)."""
    _timeliness_due: float = 0.0

    def parts(self) -> list[Part]:
        parts: list[Part] = [uncertified_payments, held_back_payments, unmatched_movements,
                             omissions]
        if time.monotonic() >= self._timeliness_due:  # a query over a year: less often
            self._timeliness_due = time.monotonic() + self.timeliness_seconds
            parts.append(timeliness)
        return parts

    async def sweep(self) -> int:
        """One pass; how many findings it raised."""
        raised, backlog = 0, await self.backlog()
        for part in self.parts():
            async with self.units() as uow:
                uow.config.last_count.backlog = backlog.own_failures()  # for the rules
                raised += await part(uow, backlog)
        return raised


def sweep_loop(sweeper: Sweeper, status: SweepStatus, clock: Clock, every_seconds: float
               ) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            started = clock.now()
            status.raised += await sweeper.sweep()
            status.sweeps, status.last_started_at = status.sweeps + 1, started
            await asyncio.sleep(every_seconds)

    return loop
