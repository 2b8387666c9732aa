"""RabbitMQ definitions for Siquan, derived from `siquan.contracts.topology` alone.

This module owns who may do what on the broker: one user per service and per partner,
their permission regexes, their topic permissions, and every exchange, queue and binding.
The result is a definitions document in the format read by `rabbitmqctl import_definitions`
and by `load_definitions` in rabbitmq.conf (`infra/rabbitmq/definitions.json` is one,
generated for the `siquan` vhost). Applying it is `siquan.shared.provision`'s job.

The separation rule it enforces: a service may configure and write only names under
`siquan.<service>` (its exchange, its dead-letter and replay exchanges, its queues); it
reads its own names and the producer exchanges it subscribes to. Writing to another
producer's exchange is therefore refused by the broker with ACCESS_REFUSED. Partners
configure and write only their own `siquan.partner.<partner>.*` queues (plus their own
exchange if they publish) and bind to a producer's exchange only with the routing keys
their grant allows (topic permissions, checked by RabbitMQ on queue.bind).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any

from siquan.contracts.topology import (
    PARTNERS,
    SERVICES,
    SUBSCRIPTIONS,
    PartnerGrant,
    dead_letter_exchange_of,
    dead_letter_queue_of,
    exchange_of,
    replay_exchange_of,
    subscriptions_of,
)

HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
NOTHING = "^$"  # matches no exchange, queue or routing key that Siquan uses
EVERYTHING = ".*"

Definitions = dict[str, Any]


def dev_password(user: str) -> str:
    """The development password of a broker user or database role."""
    return f"siquan-{user}-dev"


def broker_password(user: str) -> str:
    """A broker user's password: `SIQUAN_BROKER_PASSWORD_<USER>` if set, else the dev one."""
    return os.environ.get(f"SIQUAN_BROKER_PASSWORD_{user.upper()}", dev_password(user))


def password_salt(user: str) -> bytes:
    """A 4-byte salt derived from the user name, so the committed definitions are stable."""
    return hashlib.sha256(f"siquan-broker-salt:{user}".encode()).digest()[:4]


def rabbit_password_hash(password: str, salt: bytes) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))."""
    if len(salt) != 4:
        raise ValueError("RabbitMQ password salts are 4 bytes")
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def _anchored(pieces: list[str]) -> str:
    """One anchored regex matching any of the given (already escaped) regex pieces."""
    return f"^{pieces[0]}$" if len(pieces) == 1 else f"^({'|'.join(pieces)})$"


def _own_pieces(owner: str) -> list[str]:
    """`siquan.<owner>` and everything under `siquan.<owner>.`, as regex pieces."""
    return [f"{re.escape(exchange_of(owner))}(\\..+)?"]


def own_names_pattern(service: str) -> str:
    """A service's exchange `siquan.<svc>` and every `siquan.<svc>.*` name (DLX, replay, queues)."""
    return _anchored(_own_pieces(service))


def _service_read_pattern(service: str) -> str:
    producers = sorted({s.producer for s in subscriptions_of(service)} - {service})
    return _anchored(_own_pieces(service) + [re.escape(exchange_of(p)) for p in producers])


def _partner_own_pieces(grant: PartnerGrant) -> list[str]:
    if grant.publishes:  # its exchange `siquan.partner.<p>` and its queues under it
        return _own_pieces(f"partner.{grant.partner}")
    return [f"{re.escape(grant.queue_prefix())}.+"]


def _partner_read_pattern(grant: PartnerGrant) -> str:
    granted = [re.escape(exchange_of(producer)) for producer in sorted(grant.reads)]
    return _anchored(_partner_own_pieces(grant) + granted)


def _user(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "password_hash": rabbit_password_hash(broker_password(name), password_salt(name)),
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


def _queue(name: str, vhost: str, arguments: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "vhost": vhost, "durable": True, "auto_delete": False,
            "arguments": arguments}


def _binding(source: str, vhost: str, queue: str, key: str) -> dict[str, Any]:
    return {"source": source, "vhost": vhost, "destination": queue,
            "destination_type": "queue", "routing_key": key, "arguments": {}}


def _exchanges(vhost: str) -> list[dict[str, Any]]:
    exchanges = [_exchange(exchange_of(p), vhost, "topic") for p in producer_names()]
    for service in SERVICES:
        exchanges.append(_exchange(dead_letter_exchange_of(service), vhost, "topic"))
        exchanges.append(_exchange(replay_exchange_of(service), vhost, "direct"))
    return exchanges


def _queues(vhost: str) -> list[dict[str, Any]]:
    queues = [_queue(s.queue, vhost, s.queue_arguments()) for s in SUBSCRIPTIONS]
    queues += [_queue(dead_letter_queue_of(svc), vhost, {"x-queue-type": "quorum"})
               for svc in SERVICES]
    return queues


def _bindings(vhost: str) -> list[dict[str, Any]]:
    bindings = []
    for sub in SUBSCRIPTIONS:
        bindings += [_binding(sub.exchange, vhost, sub.queue, key) for key in sub.binding_keys]
        bindings.append(_binding(replay_exchange_of(sub.consumer), vhost, sub.queue, sub.queue))
    bindings += [_binding(dead_letter_exchange_of(svc), vhost, dead_letter_queue_of(svc), "#")
                 for svc in SERVICES]
    return bindings


def _grants(vhost: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    permissions: list[dict[str, str]] = []
    topic: list[dict[str, str]] = []
    for svc in SERVICES:
        own = own_names_pattern(svc)
        permissions.append(_permission(svc, vhost, own, own, _service_read_pattern(svc)))
        topic.append(_topic_permission(svc, vhost, exchange_of(svc), EVERYTHING, EVERYTHING))
    for grant in PARTNERS:
        own = _anchored(_partner_own_pieces(grant))
        permissions.append(_permission(grant.user, vhost, own, own, _partner_read_pattern(grant)))
        for producer, keys in sorted(grant.reads.items()):
            topic.append(_topic_permission(grant.user, vhost, exchange_of(producer), NOTHING, keys))
        if grant.publishes:
            topic.append(
                _topic_permission(grant.user, vhost, grant.exchange, EVERYTHING, EVERYTHING))
    return permissions, topic


def broker_users() -> tuple[str, ...]:
    """Every broker user Siquan defines: one per service, one per partner."""
    return (*SERVICES, *(g.user for g in PARTNERS))


def broker_definitions(vhost: str) -> Definitions:
    """The whole Siquan topology for one vhost as a RabbitMQ definitions document."""
    permissions, topic_permissions = _grants(vhost)
    return {
        "users": [_user(name) for name in broker_users()],
        "vhosts": [{"name": vhost}],
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "parameters": [],
        "policies": [],
        "exchanges": _exchanges(vhost),
        "queues": _queues(vhost),
        "bindings": _bindings(vhost),
    }


__all__ = [
    "HASHING_ALGORITHM",
    "Definitions",
    "broker_definitions",
    "broker_password",
    "broker_users",
    "dev_password",
    "own_names_pattern",
    "password_salt",
    "producer_names",
    "rabbit_password_hash",
]
