"""The background loop that keeps deadlines by the service's clock: notices whose days are
over close, certifications end by their program's rules (age limits, the program's end)
and those not renewed by their deadline lapse (an end that came first wins). Each step is a unit of
work over a bounded chunk; every instance runs the loop, and the locked reads skip what
another instance is already closing or lapsing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from siquan.eligibility.application.certifications import lapse_unrenewed
from siquan.eligibility.application.notices import close_due_notices
from siquan.eligibility.application.ports import Work
from siquan.eligibility.application.reconfirmation import apply_end_rules

log = logging.getLogger(__name__)
Units = Callable[[], AbstractAsyncContextManager[Work]]
Step = Callable[[Work], Awaitable[int]]
NOTICES_PER_STEP, CERTIFICATIONS_PER_STEP = 100, 1_000


async def _notices(uow: Work) -> int:
    return await close_due_notices(uow, limit=NOTICES_PER_STEP)


async def _lapses(uow: Work) -> int:
    return await lapse_unrenewed(uow, limit=CERTIFICATIONS_PER_STEP)


async def _ends(uow: Work) -> int:
    return await apply_end_rules(uow, limit=CERTIFICATIONS_PER_STEP)


async def until_done(units: Units, step: Step, chunk: int) -> int:
    """Run a step, one unit of work each time, until it finds less than a chunk to do."""
    total = 0
    while True:
        async with units() as uow:
            done = await step(uow)
        total += done
        if done < chunk:
            return total


async def keep_once(units: Units) -> tuple[int, int]:
    """Close the due notices, apply the programs' end rules, then lapse the unrenewed
    certifications."""
    closed = await until_done(units, _notices, NOTICES_PER_STEP)
    ended = await until_done(units, _ends, CERTIFICATIONS_PER_STEP)
    lapsed = await until_done(units, _lapses, CERTIFICATIONS_PER_STEP)
    if closed or lapsed:
        log.info("deadlines: %d notices closed, %d certifications lapsed", closed, lapsed)
    if ended:
        log.info("deadlines: %d certifications assessed or ended by their rules", ended)
    return closed, lapsed


async def keep_deadlines(units: Units, every_seconds: float) -> None:
    """Run until cancelled, every `every_seconds`."""
    while True:
        await keep_once(units)
        await asyncio.sleep(every_seconds)

