"""Every broker name in one place: the virtual host, each producer's exchange, the routing
keys, each consumer's queues and bindings, and who may do what.

The provisioning command (`python -m siquan.shared.provision`) turns this module into RabbitMQ
definitions; the services declare the same queues with the same arguments. Nothing else
writes an exchange or queue name as a literal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

VHOST = "siquan"
SERVICES = ("eligibility", "fund_custody", "disbursement", "oversight")


def exchange_of(producer: str) -> str:
    """The topic exchange a producer (service or partner) alone may publish to."""
    return f"siquan.{producer}"


PARTNERS_EXCHANGE = "siquan.partners"
"""The topic exchange of the partner agencies' projections: eligibility publishes there,
under routing keys `<agency>.<aggregate>.<event>.v<major>`, only what each agency needs;
no partner reads an internal exchange."""


PARTNER_QUEUE_MAX_LENGTH = 1_000_000
"""A partner that stops reading loses its oldest messages past this many, rather than
filling the broker's disk (the default overflow drops from the head)."""


def dead_letter_exchange_of(service: str) -> str:
    return f"siquan.{service}.dlx"


def replay_exchange_of(service: str) -> str:
    return f"siquan.{service}.replay"


def dead_letter_queue_of(service: str) -> str:
    return f"siquan.{service}.dead-letters"


class RoutingKey:
    """Routing keys `<aggregate>.<event>.v<major>`, by producer."""

    APPLICATION_SUBMITTED = "application.submitted.v1"
    APPLICATION_REVIEWED = "application.reviewed.v1"
    CERTIFICATION_GRANTED = "certification.granted.v1"
    CERTIFICATION_REVOKED = "certification.revoked.v1"
    CERTIFICATION_RENEWED = "certification.renewed.v1"
    CERTIFICATION_LAPSED = "certification.lapsed.v1"
    CERTIFICATION_SUSPENDED = "certification.suspended.v1"
    CERTIFICATION_REINSTATED = "certification.reinstated.v1"
    DEATH_CORRECTED = "death.corrected.v1"
    CERTIFICATION_TRANSFERRED = "certification.transferred.v1"
    CERTIFICATION_CATEGORY_CHANGED = "certification.category_changed.v1"
    COMMUNITY_REVIEW_RECORDED = "application.community_reviewed.v1"
    NOTICE_PUBLISHED = "notice.published.v1"
    NOTICE_CLOSED = "notice.closed.v1"
    PERSON_RECORD_READ = "person_record.read.v1"
    POLICY_VERSION_PUBLISHED = "policy_version.published.v1"
    APPROPRIATION_RECORDED = "appropriation.recorded.v1"
    ALLOCATION_APPROVED = "allocation.approved.v1"
    ALLOCATION_REJECTED = "allocation.rejected.v1"
    SETTLEMENT_COMPLETED = "settlement.completed.v1"
    FORECAST_PUBLISHED = "forecast.published.v1"
    STATEMENT_PUBLISHED = "statement.published.v1"
    PAYEE_ACCOUNT_REGISTERED = "payee_account.registered.v1"
    PAYEE_ACCOUNT_CONFIRMED = "payee_account.confirmed.v1"
    PAYEE_ACCOUNT_FINGERPRINTED = "payee_account.fingerprinted.v1"
    RUN_STARTED = "run.started.v1"
    ALLOCATION_REQUESTED = "allocation.requested.v1"
    PAYMENTS_SETTLED = "payments.settled.v1"
    PAYMENTS_FAILED = "payments.failed.v1"
    PAYMENTS_RETURNED = "payments.returned.v1"
    RUN_COMPLETED = "run.completed.v1"
    BANK_STATEMENT_DIFFERENCE = "bank_statement.difference.v1"
    BANK_RESULT_MISMATCH = "bank_result.mismatch.v1"
    OVERPAYMENT_RECORDED = "overpayment.recorded.v1"
    OVERPAYMENT_RECORDED_V2 = "overpayment.recorded.v2"
    RECOVERY_RECORDED = "recovery.recorded.v1"
    AUDIT_CHECKPOINT = "audit.checkpoint.v1"
    HOLD_PLACED = "hold.placed.v1"
    HOLD_LIFTED = "hold.lifted.v1"
    RUN_HOLD_PLACED = "run_hold.placed.v1"
    RUN_HOLD_LIFTED = "run_hold.lifted.v1"
    COMPLAINT_FILED = "complaint.filed.v1"
    COMPLAINT_RESOLVED = "complaint.resolved.v1"
    FINDING_RAISED = "finding.raised.v1"
    FINDING_RESOLVED = "finding.resolved.v1"
    ELIGIBILITY_OFFICER_ACTIVITY = "eligibility_officers.activity.v1"
    FUND_CUSTODY_OFFICER_ACTIVITY = "fund_custody_officers.activity.v1"
    DISBURSEMENT_OFFICER_ACTIVITY = "disbursement_officers.activity.v1"
    OVERSIGHT_OFFICER_ACTIVITY = "oversight_officers.activity.v1"
    DEATH_REPORTED = "death.reported.v1"
    DEATH_REPORTED_V2 = "death.reported.v2"


@dataclass(frozen=True)
class Subscription:
    """One consumer queue: which producer's exchange it reads and which keys it binds."""

    consumer: str
    name: str
    producer: str
    binding_keys: tuple[str, ...]

    @property
    def queue(self) -> str:
        return f"siquan.{self.consumer}.{self.name}"

    @property
    def exchange(self) -> str:
        return exchange_of(self.producer)

    def queue_arguments(self) -> dict[str, str]:
        """Quorum queue whose rejected or overflowing messages go to the consumer's DLX."""
        return {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": dead_letter_exchange_of(self.consumer),
        }


SUBSCRIPTIONS_FILE = Path(__file__).with_name("subscriptions.json")
"""Every service's queues and bindings, generated from the services' handler registries by
`python -m siquan.tools.topology` (a test fails when they disagree)."""


def _load_subscriptions() -> tuple[Subscription, ...]:
    listed = json.loads(SUBSCRIPTIONS_FILE.read_text("utf-8"))
    return tuple(Subscription(s["consumer"], s["name"], s["producer"], tuple(s["binding_keys"]))
                 for s in listed)


SUBSCRIPTIONS: tuple[Subscription, ...] = _load_subscriptions()


def subscriptions_of(consumer: str) -> tuple[Subscription, ...]:
    return tuple(s for s in SUBSCRIPTIONS if s.consumer == consumer)


@dataclass(frozen=True)
class PartnerGrant:
    """A partner agency's broker user: it reads one queue, its projection on
    `siquan.partners` bound to its own routing keys (`<agency>.*`), and, when it reports
    (public security), writes to its own exchange `siquan.partner.<agency>`."""

    partner: str
    publishes: bool = False

    @property
    def user(self) -> str:
        return f"partner_{self.partner}"

    @property
    def exchange(self) -> str:
        return exchange_of(f"partner.{self.partner}")

    def queue_prefix(self) -> str:
        return f"siquan.partner.{self.partner}."

    @property
    def projection_queue(self) -> str:
        """The quorum queue the agency reads its projection from."""
        return f"{self.queue_prefix()}projection"

    @property
    def routing_prefix(self) -> str:
        """Every routing key of the agency's projection starts with this."""
        return f"{self.partner}."


PARTNERS: tuple[PartnerGrant, ...] = (
    PartnerGrant("civil_affairs"),
    PartnerGrant("education"),
    PartnerGrant("public_security", publishes=True),
    PartnerGrant("social_security"),
)


def partner(name: str) -> PartnerGrant:
    return next(g for g in PARTNERS if g.partner == name)
