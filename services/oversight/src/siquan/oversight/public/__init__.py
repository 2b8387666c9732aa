"""一公开 and 一鼓励: the public notice board, complaint and report intake with tracking
numbers and SLAs, and statements a beneficiary can look up.

`watch` keeps the board and each person's ledger from the events as they are logged (in
the audit transaction); `install` adds the routes and the loop that escalates overdue
complaints.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from siquan.contracts.topology import RoutingKey
from siquan.oversight.public.application import notices
from siquan.oversight.public.application.handling import escalation_loop
from siquan.oversight.public.application.ledger import LEDGER_WATCHERS
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.entrypoints import officer_http, public_http
from siquan.oversight.settings import OversightSettings
from siquan.shared.consumer import Received
from siquan.shared.database import Connection
from siquan.shared.runtime import ServiceRuntime

_WATCHERS: dict[str, Callable[[Connection, Any], Awaitable[None]]] = {
    RoutingKey.NOTICE_PUBLISHED: notices.notice_published,
    RoutingKey.NOTICE_CLOSED: notices.notice_closed,
    **LEDGER_WATCHERS,
}


async def watch(received: Received) -> None:
    """Act on a logged event (e.g. a notice published) in its transaction."""
    act = _WATCHERS.get(received.event.routing_key)
    if act is not None:
        await act(received.conn, received.event)


def install(runtime: ServiceRuntime, app: FastAPI, settings: OversightSettings) -> None:
    """Add the public side's routes and background loops."""
    app.state.public_config = PublicConfig.from_settings(settings)
    app.include_router(public_http.router)
    app.include_router(officer_http.router)
    runtime.background(escalation_loop(lambda: runtime.pool, runtime.clock,
                                       settings.complaint_escalation_seconds))
