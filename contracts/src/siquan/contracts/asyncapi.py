"""One AsyncAPI 3.0 document per producer: what a partner needs to consume and verify its
messages — the broker (vhost, exchange, bindings, delivery), every header and AMQP
property, the signature scheme and where the public keys are published, each message's
schema and a signed example.

Built here rather than by FastStream's generator, which knows none of the headers, the
signature, the vhost, the persistent delivery mode or the quorum queues. Each example is a
test vector: it is signed with a published example key (deterministic Ed25519, never used
for real messages), and its exact body is given, so an implementation of the scheme can
check itself against it.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from siquan.contracts import envelope
from siquan.contracts.base import Event, exchange_for
from siquan.contracts.examples import example_body, example_payload
from siquan.contracts.topology import (
    PARTNER_QUEUE_MAX_LENGTH,
    PARTNERS_EXCHANGE,
    SUBSCRIPTIONS,
    VHOST,
    Subscription,
    dead_letter_exchange_of,
    partner,
)

BINDING_VERSION = "0.3.0"
SERVER = "siquan"
_EXAMPLE_SEED = hashlib.sha256(b"siquan AsyncAPI example key: never signs real messages").digest()
_EXAMPLE_AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
Doc = dict[str, Any]


def example_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_EXAMPLE_SEED)


def _jwk(producer: str, key: Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"producer": producer, "kid": hashlib.sha256(raw).hexdigest()[:16], "kty": "OKP",
            "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
            "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}


def _uuid7(at: datetime, salt: str) -> str:
    """A UUIDv7 with the time `at` and random bits derived from `salt` (reproducible)."""
    millis = int(at.timestamp() * 1000)
    rand = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:10], "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) \
        | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def signed_example(model: type[Event]) -> tuple[str, dict[str, str], bytes]:
    """Message id, headers and body of the example message, signed with the example key."""
    key = model.routing_key
    message_id = _uuid7(_EXAMPLE_AT, key)
    trace = hashlib.sha256(f"trace {key}".encode()).hexdigest()
    headers = {
        envelope.PRODUCER: model.producer,
        envelope.TYPE: key,
        envelope.OCCURRED_AT: _EXAMPLE_AT.isoformat(),
        envelope.CORRELATION_ID: _uuid7(_EXAMPLE_AT, f"conversation {key}"),
        envelope.CAUSATION_ID: "",
        envelope.KEY_ID: _jwk(model.producer, example_key())["kid"],
    }
    body = example_body(model)
    signature = example_key().sign(envelope.signing_input(message_id, headers, body))
    headers[envelope.SIGNATURE] = base64.b64encode(signature).decode()
    headers["traceparent"] = f"00-{trace[:32]}-{trace[32:48]}-01"
    return message_id, headers, body


def _consumers(producer: str, key: str) -> list[Subscription]:
    return [s for s in SUBSCRIPTIONS if s.producer == producer and (
        key in s.binding_keys or "#" in s.binding_keys)]


def _audience_of(models: list[type[Event]]) -> str | None:
    audiences = {m.audience for m in models}
    if len(audiences) != 1:
        raise ValueError("one document describes one producer's events or one projection")
    return audiences.pop()


def _about(producer: str, exchange: str, audience: str | None) -> str:
    if audience is None:
        return f"""\
Events published by `{producer}` on the topic exchange `{exchange}` (durable) of the
RabbitMQ virtual host `{VHOST}`. The routing key of a message is its type,
`<aggregate>.<event>.v<major>`; a consumer binds its own quorum queue (durable, with a
dead-letter exchange) to the keys it reads, acknowledges after it has durably handled a
message, and must expect the same message more than once (deduplicate on `message_id`)
and in any order."""
    queue = partner(audience).projection_queue
    return f"""\
The projection for the partner agency `{audience}`: events published by `{producer}` on
the topic exchange `{exchange}` (durable) of the RabbitMQ virtual host `{VHOST}`, under
routing keys `{audience}.<aggregate>.<event>.v<major>` carrying only the fields this
agency needs. The agency's broker user `partner_{audience}` reads the quorum queue
`{queue}` (provisioned, bound to exactly these keys; the oldest messages are dropped past
its length limit) and nothing else: no internal exchange, no other agency's keys. A
person is named by a pseudonym, HMAC-SHA256 of the resident ID under this agency's own
key, never by a resident ID. Acknowledge after the message is durably handled, and expect
the same message more than once (deduplicate on `message_id`) and in any order."""


def _info(producer: str, exchange: str, audience: str | None) -> Doc:
    description = f"""\
{_about(producer, exchange, audience)}

## Envelope

AMQP properties: {", ".join(f"`{k}`" for k in envelope.AMQP_PROPERTIES)} (see each
message's `x-siquan-amqp-properties`). Headers: {", ".join(f"`{h}`" for h in envelope.HEADERS)}
(see the `MessageHeaders` schema). The body is the JSON object of the message's schema.

## Signature

{envelope.SIGNING}
The examples are signed with an example key, never used for real messages (its JWK is
`info.x-siquan-example-key`). A message's `x-siquan-signed-example` gives the example's
AMQP `message_id` and its exact body: verify them with the example's headers to check an
implementation.

## Versions

A major version's schema only ever gains optional fields, so read tolerantly: ignore
fields you do not know. Any other change is a new major version (`.v<n+1>`) published
beside the old one until its consumers have moved; a producer that publishes one fact
under both versions gives both messages the same `message_id`, so a consumer bound to both
handles it once. Each message's released schema is in `contracts/released/`.
"""
    title = exchange if audience is None else f"{exchange}: {audience}"
    return {"title": title, "version": "1", "description": description,
            "x-siquan-signature": {"algorithm": "Ed25519", "signed": [
                "amqp:message_id", *envelope.SIGNED_HEADERS, "body"], "separator": "\\n",
                "encoding": "base64", "keyId": envelope.KEY_ID,
                "keys": f"GET {envelope.KEYS_PATH}"},
            "x-siquan-example-key": _jwk(producer, example_key())}


def _channel(model: type[Event]) -> Doc:
    doc = (model.__doc__ or "").strip()
    return {"address": model.routing_key, "title": model.__name__,
            "summary": doc.split("\n")[0][:200], "description": doc,
            "messages": {model.__name__: {"$ref": f"#/components/messages/{model.__name__}"}},
            "servers": [{"$ref": f"#/servers/{SERVER}"}],
            "bindings": {"amqp": {
                "is": "routingKey", "bindingVersion": BINDING_VERSION,
                "exchange": {"name": exchange_for(model), "type": "topic", "durable": True,
                             "autoDelete": False, "vhost": VHOST}}}}


def _queue_channel(subscription: Subscription, models: list[type[Event]]) -> Doc:
    return {"address": subscription.queue, "title": subscription.queue,
            "description": f"{subscription.consumer}'s quorum queue for `{subscription.producer}`"
                           f", bound to {', '.join(subscription.binding_keys)}; rejected "
                           f"messages go to `{dead_letter_exchange_of(subscription.consumer)}`.",
            "messages": {m.__name__: {"$ref": f"#/components/messages/{m.__name__}"}
                         for m in models},
            "servers": [{"$ref": f"#/servers/{SERVER}"}],
            "bindings": {"amqp": {
                "is": "queue", "bindingVersion": BINDING_VERSION,
                "queue": {"name": subscription.queue, "durable": True, "exclusive": False,
                          "autoDelete": False, "vhost": VHOST}}},
            "x-siquan-queue-arguments": subscription.queue_arguments(),
            "x-siquan-binding-keys": list(subscription.binding_keys)}


def _message(producer: str, model: type[Event]) -> Doc:
    key = model.routing_key
    consumers = sorted({s.consumer for s in _consumers(producer, key)})
    partners = [model.audience] if model.audience else []
    message_id, headers, body = signed_example(model)
    doc = (model.__doc__ or "").strip()
    return {
        "name": key, "title": model.__name__, "summary": doc.split("\n")[0][:200],
        "description": f"{doc}\n\nConsumed by: {', '.join(consumers) or 'no service'}; "
                       f"partners allowed to read it: {', '.join(partners) or 'none'}.",
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/MessageHeaders"},
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "correlationId": {"$ref": "#/components/correlationIds/conversation"},
        "bindings": {"amqp": {"messageType": key, "bindingVersion": BINDING_VERSION}},
        "examples": [{"name": "signed", "summary": "A complete message, signed with the "
                                                   "example key (see x-siquan-signed-example)",
                      "headers": headers, "payload": example_payload(model)}],
        "x-siquan-signed-example": {"message_id": message_id, "body": body.decode()},
        "x-siquan-amqp-properties": {"type": "object",
                                     "properties": dict(envelope.AMQP_PROPERTIES)},
    }


def _schemas(producer: str, models: list[type[Event]]) -> Doc:
    schemas: Doc = {"MessageHeaders": {
        "type": "object", "required": list(envelope.REQUIRED_HEADERS),
        "properties": {**envelope.HEADERS,
                       envelope.PRODUCER: {**envelope.HEADERS[envelope.PRODUCER],
                                           "const": producer},
                       envelope.TYPE: {**envelope.HEADERS[envelope.TYPE],
                                       "enum": [m.routing_key for m in models]}}}}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, part in schema.pop("$defs", {}).items():
            if schemas.setdefault(name, part) != part:
                raise ValueError(f"two schemas named {name} in {producer}'s messages")
        schemas[model.__name__] = schema
    return schemas


def _projection_channel(audience: str, models: list[type[Event]]) -> Doc:
    grant = partner(audience)
    queue = grant.projection_queue
    return {"address": queue, "title": queue,
            "description": f"{audience}'s quorum queue on `{PARTNERS_EXCHANGE}`, bound to "
                           f"{', '.join(m.routing_key for m in models)}; the only queue its "
                           f"user `{grant.user}` may read.",
            "messages": {m.__name__: {"$ref": f"#/components/messages/{m.__name__}"}
                         for m in models},
            "servers": [{"$ref": f"#/servers/{SERVER}"}],
            "bindings": {"amqp": {
                "is": "queue", "bindingVersion": BINDING_VERSION,
                "queue": {"name": queue, "durable": True, "exclusive": False,
                          "autoDelete": False, "vhost": VHOST}}},
            "x-siquan-queue-arguments": {"x-queue-type": "quorum",
                                         "x-max-length": PARTNER_QUEUE_MAX_LENGTH},
            "x-siquan-binding-keys": [m.routing_key for m in models]}


def document_name(model: type[Event]) -> str:
    """The document a message is described in: its producer's, or its agency's projection."""
    return f"projection.{model.audience}" if model.audience else model.producer


def document(name: str, models: list[type[Event]]) -> Doc:
    """The AsyncAPI 3.0 document of one producer's messages, or of one agency's projection."""
    models = sorted(models, key=lambda m: m.routing_key)
    producer, audience = models[0].producer, _audience_of(models)
    channels: Doc = {m.routing_key: _channel(m) for m in models}
    operations: Doc = {f"publish.{m.routing_key}": {
        "action": "send", "channel": {"$ref": f"#/channels/{m.routing_key}"},
        "title": f"{producer} publishes {m.routing_key}",
        "messages": [{"$ref": f"#/channels/{m.routing_key}/messages/{m.__name__}"}],
        "bindings": {"amqp": {"deliveryMode": 2, "mandatory": False,
                              "bindingVersion": BINDING_VERSION}}} for m in models}
    if audience is not None:
        queue = partner(audience).projection_queue
        channels[queue] = _projection_channel(audience, models)
        operations[f"consume.{queue}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{queue}"},
            "title": f"{audience} consumes {queue}",
            "messages": [{"$ref": f"#/channels/{queue}/messages/{m.__name__}"}
                         for m in models],
            "bindings": {"amqp": {"ack": True, "bindingVersion": BINDING_VERSION}}}
    for subscription in (s for s in SUBSCRIPTIONS
                         if audience is None and s.producer == producer):
        read = [m for m in models if subscription in _consumers(producer, m.routing_key)]
        channels[subscription.queue] = _queue_channel(subscription, read)
        operations[f"consume.{subscription.queue}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{subscription.queue}"},
            "title": f"{subscription.consumer} consumes {subscription.queue}",
            "messages": [{"$ref": f"#/channels/{subscription.queue}/messages/{m.__name__}"}
                         for m in read],
            "bindings": {"amqp": {"ack": True, "bindingVersion": BINDING_VERSION}}}
    return {
        "asyncapi": "3.0.0",
        "id": f"urn:siquan:{name}",
        "info": _info(producer, exchange_for(models[0]), audience),
        "defaultContentType": "application/json",
        "servers": {SERVER: {
            "host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
            "pathname": f"/{VHOST}", "title": "Siquan's RabbitMQ",
            "description": f"Any node of the cluster (the host is the deployment's); "
                           f"virtual host `{VHOST}`. Each service and partner connects with "
                           "its own user; topic permissions limit what it may read.",
            "security": [{"$ref": "#/components/securitySchemes/brokerUser"}]}},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": _schemas(producer, models),
            "messages": {m.__name__: _message(producer, m) for m in models},
            "correlationIds": {"conversation": {
                "description": envelope.HEADERS[envelope.CORRELATION_ID]["description"],
                "location": f"$message.header#/{envelope.CORRELATION_ID}"}},
            "securitySchemes": {"brokerUser": {
                "type": "userPassword",
                "description": "The broker user of the service or partner agency."}},
        },
    }
