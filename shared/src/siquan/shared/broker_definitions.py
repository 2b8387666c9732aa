"""RabbitMQ definitions for Siquan, derived from `siquan.contracts.topology` alone.

This module owns who may do what on the broker: one user per service and per partner,
their permission regexes, their topic permissions, and every exchange, queue and binding.
The result is a definitions document in the format read by `rabbitmqctl import_definitions`
and by `load_definitions` in rabbitmq.conf (`infra/rabbitmq/definitions.json` is one,
generated for the `siquan` vhost). Applying it is `siquan.shared.provision`'s job.

The separation rules it enforces:
- Nobody but the provisioner (the admin user applying these definitions) configures
  anything: every exchange, queue and binding is declared here, so no service or partner
  can declare, delete or rebind an exchange or queue (configure rights are empty).
- A service writes only to its own exchange `siquan.<service>`, its dead-letter and its
  replay exchange, and on its own exchange only the routing keys its contracts define
  (topic write permissions): disbursement cannot publish a certification anywhere, and
  eligibility cannot publish `payments.settled.v1` on its own exchange. It reads (consumes)
  only its own queues.
- A partner agency reads only its projection queue `siquan.partner.<agency>.projection`,
  bound on `siquan.partners` to the agency's own routing keys `<agency>.*`; it reads no
  internal exchange and no other agency's keys. A partner that reports (public security)
  writes only to its own exchange and only its own routing keys. Only eligibility writes
  to `siquan.partners`, and only the projection keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any, Protocol

from siquan.contracts.base import all_models, exchange_for
from siquan.contracts.topology import (
    PARTNER_QUEUE_MAX_LENGTH,
    PARTNERS,
    PARTNERS_EXCHANGE,
    SERVICES,
    SUBSCRIPTIONS,
    PartnerGrant,
    dead_letter_exchange_of,
    dead_letter_queue_of,
    exchange_of,
    replay_exchange_of,
)
from siquan.shared.settings import DEVELOPMENT_PERSON_KEY_SECRET

HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
NOTHING = "^$"  # matches no exchange, queue or routing key that Siquan uses
EVERYTHING = ".*"

Definitions = dict[str, Any]


class Passwords(Protocol):
    """Where provisioning takes each user's and role's password from."""

    def broker_password(self, user: str) -> str: ...

    def database_password(self, role: str) -> str: ...

    def person_key_secret(self) -> str: ...

    def partner_pseudonym_key(self, agency: str) -> str: ...


def dev_password(user: str) -> str:
    """The development password of a broker user or database role."""
    return f"siquan-{user}-dev"


class DevelopmentPasswords:
    """The development values, for `SIQUAN_MODE=development` only."""

    def broker_password(self, user: str) -> str:
        return dev_password(user)

    def database_password(self, role: str) -> str:
        return dev_password(role)

    def person_key_secret(self) -> str:
        return DEVELOPMENT_PERSON_KEY_SECRET

    def partner_pseudonym_key(self, agency: str) -> str:
        return f"siquan-dev-pseudonym-key-{agency}"


def password_salt(user: str) -> bytes:
    """A fresh random 4-byte salt, as RabbitMQ makes its own."""
    return os.urandom(4)


def rabbit_password_hash(password: str, salt: bytes) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))."""
    if len(salt) != 4:
        raise ValueError("RabbitMQ password salts are 4 bytes")
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def _anchored(pieces: list[str]) -> str:
    """One anchored regex matching any of the given (already escaped) regex pieces."""
    if not pieces:
        return NOTHING
    return f"^{pieces[0]}$" if len(pieces) == 1 else f"^({'|'.join(pieces)})$"


def _exactly(names: list[str]) -> str:
    """A regex matching exactly these names."""
    return _anchored([re.escape(n) for n in sorted(set(names))])


def produced_keys(producer: str, exchange: str | None = None) -> list[str]:
    """Every routing key a producer's contracts define on an exchange (default: its own):
    what it alone may publish there."""
    exchange = exchange or exchange_of(producer)
    return sorted(m.routing_key for m in all_models().values()
                  if m.producer == producer and exchange_for(m) == exchange)


def projecting_producers() -> list[str]:
    """The producers of the partner projections (eligibility)."""
    return sorted({m.producer for m in all_models().values() if m.audience})


def own_names_pattern(service: str) -> str:
    """A service's exchange `siquan.<svc>` and every `siquan.<svc>.*` name (DLX, replay, queues)."""
    return _anchored([f"{re.escape(exchange_of(service))}(\\..+)?"])


def _service_write_pattern(service: str) -> str:
    """The exchanges a service publishes to: its own, its dead-letter and replay exchanges
    (not its queues: a service never binds, so it cannot rebind a queue)."""
    own = [exchange_of(service), dead_letter_exchange_of(service), replay_exchange_of(service)]
    if service in projecting_producers():
        own.append(PARTNERS_EXCHANGE)
    return _exactly(own)


def _service_read_pattern(service: str) -> str:
    """Its queues (to consume) and its dead-letter queue (to inspect and replay)."""
    return _anchored([f"{re.escape(exchange_of(service))}\\..+"])


def partner_queues(grant: PartnerGrant) -> dict[str, tuple[str, list[str]]]:
    """The queue provisioned for a partner: its projection on `siquan.partners`, bound to
    each of the agency's own routing keys."""
    keys = sorted(m.routing_key for m in all_models().values() if m.audience == grant.partner)
    return {grant.projection_queue: (PARTNERS_EXCHANGE, keys)} if keys else {}


def _partner_read_pattern(grant: PartnerGrant) -> str:
    return _anchored([f"{re.escape(grant.queue_prefix())}.+"])


def _user(name: str, password: str) -> dict[str, Any]:
    return {
        "name": name,
        "password_hash": rabbit_password_hash(password, password_salt(name)),
        "hashing_algorithm": HASHING_ALGORITHM,
        "tags": [],
        "limits": {},
    }


def _permission(user: str, vhost: str, configure: str, write: str, read: str) -> dict[str, str]:
    return {"user": user, "vhost": vhost, "configure": configure, "write": write, "read": read}


def _topic_permission(user: str, vhost: str, exchange: str, write: str,
                      read: str) -> dict[str, str]:
    return {"user": user, "vhost": vhost, "exchange": exchange, "write": write, "read": read}


def producer_names() -> tuple[str, ...]:
    """Every producer that owns a topic exchange: the four services and publishing partners."""
    return (*SERVICES, *(f"partner.{g.partner}" for g in PARTNERS if g.publishes))


def _exchange(name: str, vhost: str, kind: str) -> dict[str, Any]:
    return {"name": name, "vhost": vhost, "type": kind, "durable": True,
            "auto_delete": False, "internal": False, "arguments": {}}


def _queue(name: str, vhost: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
            "arguments": arguments}


def _binding(source: str, vhost: str, queue: str, key: str) -> dict[str, Any]:
    return {"source": source, "vhost": vhost, "destination": queue,
            "destination_type": "queue", "routing_key": key, "arguments": {}}


def _exchanges(vhost: str) -> list[dict[str, Any]]:
    exchanges = [_exchange(exchange_of(p), vhost, "topic") for p in producer_names()]
    exchanges.append(_exchange(PARTNERS_EXCHANGE, vhost, "topic"))
    for service in SERVICES:
        exchanges.append(_exchange(dead_letter_exchange_of(service), vhost, "topic"))
        exchanges.append(_exchange(replay_exchange_of(service), vhost, "direct"))
    return exchanges


def _queues(vhost: str) -> list[dict[str, Any]]:
    queues = [_queue(s.queue, vhost, s.queue_arguments()) for s in SUBSCRIPTIONS]
    queues += [_queue(dead_letter_queue_of(svc), vhost, {"x-queue-type": "quorum"})
               for svc in SERVICES]
    for grant in PARTNERS:
        queues += [_queue(name, vhost, {"x-queue-type": "quorum",
                                        "x-max-length": PARTNER_QUEUE_MAX_LENGTH})
                   for name in partner_queues(grant)]
    return queues


def _bindings(vhost: str) -> list[dict[str, Any]]:
    bindings = []
    for sub in SUBSCRIPTIONS:
        bindings += [_binding(sub.exchange, vhost, sub.queue, key) for key in sub.binding_keys]
        bindings.append(_binding(replay_exchange_of(sub.consumer), vhost, sub.queue, sub.queue))
    bindings += [_binding(dead_letter_exchange_of(svc), vhost, dead_letter_queue_of(svc), "#")
                 for svc in SERVICES]
    for grant in PARTNERS:
        for queue, (exchange, keys) in partner_queues(grant).items():
            bindings += [_binding(exchange, vhost, queue, key) for key in keys]
    return bindings


def _grants(vhost: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Nobody but the provisioner configures anything: every exchange, queue and binding a
    service or partner needs is in the definitions, so configure rights are empty for all
    (no one can declare, delete or rebind). Each producer may publish only the routing
    keys its contracts define (topic write permissions)."""
    permissions: list[dict[str, str]] = []
    topic: list[dict[str, str]] = []
    for svc in SERVICES:
        permissions.append(_permission(svc, vhost, NOTHING, _service_write_pattern(svc),
                                       _service_read_pattern(svc)))
        topic.append(_topic_permission(svc, vhost, exchange_of(svc),
                                       _exactly(produced_keys(svc)), NOTHING))
        # dead letters keep the routing key they came with, whoever produced them
        topic.append(_topic_permission(svc, vhost, dead_letter_exchange_of(svc),
                                       EVERYTHING, NOTHING))
        if svc in projecting_producers():
            topic.append(_topic_permission(svc, vhost, PARTNERS_EXCHANGE,
                                           _exactly(produced_keys(svc, PARTNERS_EXCHANGE)),
                                           NOTHING))
    for grant in PARTNERS:
        producer = f"partner.{grant.partner}"
        write = _exactly([grant.exchange]) if grant.publishes else NOTHING
        permissions.append(_permission(grant.user, vhost, NOTHING, write,
                                       _partner_read_pattern(grant)))
        if grant.publishes:
            topic.append(_topic_permission(grant.user, vhost, grant.exchange,
                                           _exactly(produced_keys(producer)), NOTHING))
        # no partner may bind, but were it ever let to, only to its own keys
        topic.append(_topic_permission(grant.user, vhost, PARTNERS_EXCHANGE, NOTHING,
                                       _anchored([f"{re.escape(grant.routing_prefix)}.+"])))
    return permissions, topic


def broker_users() -> tuple[str, ...]:
    """Every broker user Siquan defines: one per service, one per partner."""
    return (*SERVICES, *(g.user for g in PARTNERS))


def broker_topology(vhost: str) -> Definitions:
    """Exchanges, queues, bindings and who may do what — everything but the users'
    passwords (what `infra/rabbitmq/topology.json` holds, committed)."""
    permissions, topic_permissions = _grants(vhost)
    return {
        "vhosts": [{"name": vhost}],
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "parameters": [],
        "policies": [],
        "exchanges": _exchanges(vhost),
        "queues": _queues(vhost),
        "bindings": _bindings(vhost),
    }


def broker_definitions(vhost: str, passwords: Passwords, user_prefix: str = "") -> Definitions:
    """The whole Siquan topology for one vhost as a RabbitMQ definitions document, with
    each user's password hashed (generated at provisioning, never committed).

    Broker users are global to a server: `user_prefix` names a deployment's own users
    (`<prefix>eligibility`, …) so that several deployments (test environments side by
    side) never share or overwrite each other's users."""
    definitions = {"users": [_user(name, passwords.broker_password(name))
                             for name in broker_users()], **broker_topology(vhost)}
    for section in ("users", "permissions", "topic_permissions"):
        for entry in definitions[section]:
            key = "name" if section == "users" else "user"
            entry[key] = user_prefix + entry[key]
    return definitions


__all__ = [
    "HASHING_ALGORITHM",
    "Definitions",
    "DevelopmentPasswords",
    "Passwords",
    "broker_definitions",
    "broker_topology",
    "broker_users",
    "dev_password",
    "own_names_pattern",
    "partner_queues",
    "password_salt",
    "produced_keys",
    "producer_names",
    "rabbit_password_hash",
]
