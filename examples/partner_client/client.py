"""A partner agency's client for Siquan, written only against the published contracts
(contracts/asyncapi/projection.<agency>.yaml and contracts/schemas/), in plain aio-pika:
nothing of Siquan's own code is imported.

    consume      read the agency's projection queue; for each message check the signature
                 against the keys the producer publishes at /.well-known/siquan-keys.json,
                 the type against the agency's routing keys, the body against the JSON
                 Schema of its type; acknowledge what passes, reject what does not; print
                 one JSON line per event (a batch message, `<type>.batch.v<n>`, carries
                 several, each with its own message id).
    report-death (public security) publish a signed death report on its own exchange.
    send-death-file
                 (public security) send its daily file of deaths (docs/DEATH_FILES.md),
                 signed as its messages are, to eligibility's partner endpoint; print
                 the per-line report (the same file sent again gets the same report).

    python client.py consume --amqp-url amqp://partner_civil_affairs:...@host/siquan \\
        --agency civil_affairs --keys-url http://eligibility:8001/.well-known/siquan-keys.json \\
        --schemas contracts/schemas --count 10

The inbound death report (`death.reported.v2`) names the dead person by the resident ID
the population register keeps: public security holds no secret of Siquan's, and the
message is bound to eligibility's queue alone, which resolves the ID to its records. What
comes back out on the projection never carries a resident ID nor Siquan's internal person
key: the person is named by public security's own pseudonym, HMAC-SHA256 of the resident
ID under the agency's own pseudonym key, which the agency computes over the IDs it holds
to match its own records (`pseudonym` below).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import jsonschema
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

SIGNED_HEADERS = ("x-siquan-producer", "x-siquan-type", "x-siquan-occurred-at",
                  "x-siquan-correlation-id", "x-siquan-causation-id")
PROJECTION_PRODUCER = "eligibility"
PUBLIC_SECURITY_EXCHANGE = "siquan.partner.public_security"
DEATH_REPORTED = "death.reported.v2"
DEATH_FILE = "public_security.death_file.v1"


def pseudonym(agency_key: str, resident_id: str) -> str:
    """How the projection names a person: HMAC-SHA256 of the resident ID under our key."""
    return hmac.new(agency_key.encode(), resident_id.upper().encode(),
                    hashlib.sha256).hexdigest()


def signing_input(message_id: str, headers: dict[str, Any], body: bytes) -> bytes:
    parts = [message_id, *(str(headers.get(name, "")) for name in SIGNED_HEADERS)]
    return "\n".join(parts).encode("utf-8") + b"\n" + body


class Keys:
    """The producer's published public keys, fetched again when an unknown key id shows."""

    def __init__(self, url: str) -> None:
        self.url, self.keys = url, {}

    def refresh(self) -> None:
        with urllib.request.urlopen(self.url, timeout=10) as response:  # noqa: S310
            jwks = json.load(response)
        self.keys = {(k["producer"], k["kid"]): Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(k["x"] + "=" * (-len(k["x"]) % 4))) for k in jwks}

    def get(self, producer: str, kid: str) -> Ed25519PublicKey | None:
        if (producer, kid) not in self.keys:
            self.refresh()
        return self.keys.get((producer, kid))


def check(message: aio_pika.abc.AbstractIncomingMessage, agency: str, keys: Keys,
          schemas: Path) -> list[dict[str, Any]]:
    """The events the message carries when it is genuine and valid (one, or a batch's
    entries: `<type>.batch.v<n>`); ValueError saying why not."""
    headers = {k: v.decode() if isinstance(v, bytes) else v
               for k, v in (message.headers or {}).items()}
    producer, kind = headers.get("x-siquan-producer", ""), headers.get("x-siquan-type", "")
    if producer != PROJECTION_PRODUCER:
        raise ValueError(f"not from {PROJECTION_PRODUCER}: {producer!r}")
    public = keys.get(producer, str(headers.get("x-siquan-key-id", "")))
    if public is None:
        raise ValueError("signed with a key the producer does not publish")
    try:
        public.verify(base64.b64decode(str(headers.get("x-siquan-signature", ""))),
                      signing_input(message.message_id or "", headers, message.body))
    except (InvalidSignature, ValueError) as exc:
        raise ValueError("the signature does not verify") from exc
    if not kind.startswith(f"{agency}.") or kind != message.routing_key:
        raise ValueError(f"not one of {agency}'s message types: {kind!r}")
    schema_file = schemas / f"{kind}.json"
    if not schema_file.is_file():
        raise ValueError(f"no schema for {kind!r}")
    body = json.loads(message.body)
    try:
        jsonschema.Draft202012Validator(
            json.loads(schema_file.read_text("utf-8")),
            format_checker=jsonschema.FormatChecker()).validate(body)
    except jsonschema.ValidationError as exc:
        raise ValueError(f"invalid {kind}: {exc.message}") from exc
    causation = headers.get("x-siquan-causation-id", "")
    if ".batch.v" in kind:
        # several events of one type in one message: each entry as its own message
        single = kind.replace(".batch.", ".", 1)
        return [{"message_id": entry["message_id"], "type": single,
                 "causation_id": causation, "body": entry["event"],
                 "batch": message.message_id}
                for entry in body["events"]]
    return [{"message_id": message.message_id, "type": kind, "causation_id": causation,
             "body": body, "batch": None}]


async def consume(amqp_url: str, agency: str, keys_url: str, schemas: Path, count: int,
                  timeout: float) -> int:
    """Handle messages until `count` passed the checks; 1 if the time ran out first."""
    keys, accepted = Keys(keys_url), 0
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=50)
        queue = await channel.get_queue(f"siquan.partner.{agency}.projection", ensure=False)
        async with queue.iterator(timeout=timeout) as messages:
            try:
                async for message in messages:
                    try:
                        checked = check(message, agency, keys, schemas)
                    except ValueError as exc:
                        await message.reject(requeue=False)
                        print(json.dumps({"refused": message.message_id, "why": str(exc)}),
                              flush=True)
                        continue
                    # ...durably record `checked` in the agency's own systems (keyed by
                    # each event's message id: a message may come twice), then:
                    await message.ack()
                    for event in checked:
                        accepted += 1
                        print(json.dumps({"accepted": event}), flush=True)
                    if accepted >= count:
                        return 0
            except TimeoutError:
                pass
    print(json.dumps({"timed_out_after": accepted}), flush=True)
    return 1


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): the message ids Siquan's envelope asks for."""
    value = (int(datetime.now(UTC).timestamp() * 1000) << 80) | (0x7 << 76) \
        | (int.from_bytes(os.urandom(10), "big") & ((1 << 76) - 1))
    value = (value & ~(0b11 << 62)) | (0b10 << 62)
    return str(uuid.UUID(int=value))


async def report_death(amqp_url: str, pem: bytes, resident_id: str, died: date,
                       report_id: str) -> str:
    """Publish one signed death report (`death.reported.v2`); its message id (the
    projection's causation id)."""
    key = load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    body = json.dumps({"report_id": report_id, "resident_id": resident_id,
                       "date_of_death": died.isoformat()}).encode()
    message_id = uuid7()
    headers: dict[str, Any] = {
        "x-siquan-producer": "partner.public_security", "x-siquan-type": DEATH_REPORTED,
        "x-siquan-occurred-at": datetime.now(UTC).isoformat(),
        "x-siquan-correlation-id": message_id, "x-siquan-causation-id": "",
        "x-siquan-key-id": hashlib.sha256(raw).hexdigest()[:16]}
    headers["x-siquan-signature"] = base64.b64encode(
        key.sign(signing_input(message_id, headers, body))).decode()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(PUBLIC_SECURITY_EXCHANGE, ensure=False)
        await exchange.publish(aio_pika.Message(
            body, headers=headers, message_id=message_id, content_type="application/json",
            type=DEATH_REPORTED, correlation_id=message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=DEATH_REPORTED)
    print(json.dumps({"reported": message_id}), flush=True)
    return message_id


def send_death_file(base_url: str, pem: bytes, file_id: str, content: bytes) -> int:
    """PUT the daily death file, signed over its id, the signed headers and its bytes; print
    eligibility's report (or its refusal) as one JSON line. 0 when the file was taken."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("eligibility's URL is http:// or https://")
    key = load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    headers: dict[str, Any] = {
        "x-siquan-producer": "partner.public_security", "x-siquan-type": DEATH_FILE,
        "x-siquan-occurred-at": datetime.now(UTC).isoformat()}
    headers["x-siquan-key-id"] = hashlib.sha256(raw).hexdigest()[:16]
    headers["x-siquan-signature"] = base64.b64encode(
        key.sign(signing_input(file_id, headers, content))).decode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        f"{base_url.rstrip('/')}/partners/public-security/death-files/"
        f"{urllib.parse.quote(file_id, safe='')}", data=content, method="PUT",
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            report = json.load(response)
    except urllib.error.HTTPError as exc:
        print(json.dumps({"refused": exc.code, "why": json.load(exc).get("detail")}),
              flush=True)
        return 1
    print(json.dumps({"file_report": report}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    reading = commands.add_parser("consume")
    reading.add_argument("--amqp-url", required=True)
    reading.add_argument("--agency", required=True)
    reading.add_argument("--keys-url", required=True)
    reading.add_argument("--schemas", type=Path, required=True)
    reading.add_argument("--count", type=int, default=1)
    reading.add_argument("--timeout", type=float, default=60.0,
                         help="give up when no message came for this many seconds")
    death = commands.add_parser("report-death")
    death.add_argument("--amqp-url", required=True)
    death.add_argument("--key", type=Path, required=True, help="public security's PEM key")
    death.add_argument("--resident-id", required=True,
                       help="the dead person's resident ID, as the register keeps it")
    death.add_argument("--date-of-death", type=date.fromisoformat, required=True)
    death.add_argument("--report-id", required=True)
    file = commands.add_parser("send-death-file")
    file.add_argument("--url", required=True, help="eligibility's base URL")
    file.add_argument("--key", type=Path, required=True, help="public security's PEM key")
    file.add_argument("--file-id", required=True, help="this file's id, unique per file")
    file.add_argument("--file", type=Path, required=True, help="the CSV file of deaths")
    args = parser.parse_args(argv)
    if args.command == "send-death-file":
        return send_death_file(args.url, args.key.read_bytes(), args.file_id,
                               args.file.read_bytes())
    if args.command == "consume":
        return asyncio.run(consume(args.amqp_url, args.agency, args.keys_url, args.schemas,
                                   args.count, args.timeout))
    asyncio.run(report_death(args.amqp_url, args.key.read_bytes(), args.resident_id,
                             args.date_of_death, args.report_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
