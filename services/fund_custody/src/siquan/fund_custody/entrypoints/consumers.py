"""Which use case handles which event. A domain rule broken by an event (over-payment, a
run without allocation, chunks that do not add up, a return beyond what was paid, a run
asking money of a closed year) dead-letters it: nothing is written."""

from __future__ import annotations

from siquan.contracts.topology import RoutingKey
from siquan.fund_custody.application import allocations, certifications, returns, settlement
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.shared.consumer import Handler, Received, RuleBroken
from siquan.shared.runtime import ServiceRuntime

HANDLERS: dict[str, Handler] = {
    RoutingKey.ALLOCATION_REQUESTED: allocations.on_allocation_requested,
    RoutingKey.PAYMENTS_SETTLED: settlement.on_payments_settled,
    RoutingKey.PAYMENTS_FAILED: settlement.on_payments_failed,
    RoutingKey.PAYMENTS_RETURNED: returns.on_payments_returned,
    RoutingKey.RUN_COMPLETED: settlement.on_run_completed,
    RoutingKey.CERTIFICATION_GRANTED: certifications.on_certification_granted,
    RoutingKey.CERTIFICATION_REVOKED: certifications.on_certification_revoked,
    RoutingKey.CERTIFICATION_LAPSED: certifications.on_certification_lapsed,
    RoutingKey.CERTIFICATION_RENEWED: certifications.on_head_count_unchanged,
    RoutingKey.CERTIFICATION_SUSPENDED: certifications.on_head_count_unchanged,
    RoutingKey.CERTIFICATION_REINSTATED: certifications.on_head_count_unchanged,
}


def _rules_dead_letter(handler: Handler) -> Handler:
    async def handle(r: Received) -> None:
        try:
            await handler(r)
        except FundRuleBroken as exc:
            raise RuleBroken(str(exc)) from exc

    return handle


def register(runtime: ServiceRuntime) -> None:
    for routing_key, handler in HANDLERS.items():
        runtime.on(routing_key)(_rules_dead_letter(handler))
