"""Eligibility's composition root: the runtime, the HTTP routers, the handlers of what
oversight and public security report, and the loop that keeps deadlines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI

from siquan.contracts.topology import RoutingKey
from siquan.eligibility.application import reactions
from siquan.eligibility.application.context import Context
from siquan.eligibility.application.deadlines import keep_deadlines
from siquan.eligibility.entrypoints import certifications_http, cycle_http, http
from siquan.eligibility.settings import EligibilitySettings
from siquan.shared.consumer import Received
from siquan.shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
Reaction = Callable[[Context, Received], Awaitable[None]]
REACTIONS: dict[str, Reaction] = {
    RoutingKey.COMPLAINT_FILED: reactions.on_complaint_filed,
    RoutingKey.COMPLAINT_RESOLVED: reactions.on_complaint_resolved,
    RoutingKey.FINDING_RAISED: reactions.on_finding_raised,
    RoutingKey.DEATH_REPORTED: reactions.on_death_reported,
}


def _bind(ctx: Context, reaction: Reaction) -> Callable[[Received], Awaitable[None]]:
    async def handle(received: Received) -> None:
        await reaction(ctx, received)

    return handle


def create_app(settings: EligibilitySettings | None = None) -> FastAPI:
    runtime = ServiceRuntime("eligibility", settings or EligibilitySettings(), MIGRATIONS)
    ctx = Context(runtime)
    for routing_key, reaction in REACTIONS.items():
        runtime.on(routing_key)(_bind(ctx, reaction))

    async def deadlines() -> None:
        await keep_deadlines(ctx)

    runtime.background(deadlines)
    app = runtime.http_app("Siquan eligibility (资格确认)")
    app.state.context = ctx
    for module in (http, cycle_http, certifications_http):
        app.include_router(module.router)
    return app
