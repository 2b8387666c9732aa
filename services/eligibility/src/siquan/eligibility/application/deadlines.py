"""The background loop that keeps deadlines by the service's clock: notices whose days are
over close, and certifications not renewed by their deadline lapse."""

from __future__ import annotations

import asyncio
import logging

from siquan.eligibility.application.certifications import lapse_unrenewed
from siquan.eligibility.application.context import Context
from siquan.eligibility.application.notices import close_due_notices

log = logging.getLogger(__name__)


async def keep_deadlines(ctx: Context) -> None:
    """Run until cancelled, every `deadline_check_seconds`."""
    while True:
        closed = await close_due_notices(ctx)
        lapsed = await lapse_unrenewed(ctx)
        if closed or lapsed:
            log.info("deadlines: %d notices closed, %d certifications lapsed", closed, lapsed)
        await asyncio.sleep(ctx.settings.deadline_check_seconds)
