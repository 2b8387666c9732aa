"""Which handler answers which event on disbursement's queues (see `topology.py`)."""

from __future__ import annotations

from siquan.contracts.topology import RoutingKey
from siquan.disbursement.application import allocations, facts
from siquan.shared.runtime import ServiceRuntime


def register_handlers(runtime: ServiceRuntime) -> None:
    handlers = {
        RoutingKey.CERTIFICATION_GRANTED: facts.on_certification_granted,
        RoutingKey.CERTIFICATION_REVOKED: facts.on_certification_revoked,
        RoutingKey.CERTIFICATION_LAPSED: facts.on_certification_lapsed,
        RoutingKey.CERTIFICATION_SUSPENDED: facts.on_certification_suspended,
        RoutingKey.CERTIFICATION_REINSTATED: facts.on_certification_reinstated,
        RoutingKey.CERTIFICATION_RENEWED: facts.on_certification_renewed,
        RoutingKey.DEATH_REPORTED: facts.on_death_reported,
        RoutingKey.HOLD_PLACED: facts.on_hold_placed,
        RoutingKey.HOLD_LIFTED: facts.on_hold_lifted,
        RoutingKey.ALLOCATION_APPROVED: allocations.on_allocation_approved,
        RoutingKey.ALLOCATION_REJECTED: allocations.on_allocation_rejected,
        RoutingKey.SETTLEMENT_COMPLETED: allocations.on_settlement_completed,
    }
    for routing_key, handler in handlers.items():
        runtime.on(routing_key)(handler)
