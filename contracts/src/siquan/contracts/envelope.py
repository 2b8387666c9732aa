"""The envelope every message travels in, as a partner must know it to consume and verify
one: the AMQP properties, the application headers and the signature scheme.

This is the documentation (the AsyncAPI documents are generated from it) and a second,
independent implementation of the signing input: the tests check that a message signed
by the producers' code (`siquan.shared.signing`) verifies with what is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRODUCER = "x-siquan-producer"
TYPE = "x-siquan-type"
OCCURRED_AT = "x-siquan-occurred-at"
CORRELATION_ID = "x-siquan-correlation-id"
CAUSATION_ID = "x-siquan-causation-id"
SIGNATURE = "x-siquan-signature"
KEY_ID = "x-siquan-key-id"
SIGNED_HEADERS = (PRODUCER, TYPE, OCCURRED_AT, CORRELATION_ID, CAUSATION_ID)
KEYS_PATH = "/.well-known/siquan-keys.json"
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

SIGNING = f"""\
Every message is signed by its producer with Ed25519 (RFC 8032, pure EdDSA, no prehash).

The signed bytes are, in this order, joined by a line feed (0x0A):

1. the AMQP `message_id` property;
2. the header `{PRODUCER}`;
3. the header `{TYPE}`;
4. the header `{OCCURRED_AT}`;
5. the header `{CORRELATION_ID}`;
6. the header `{CAUSATION_ID}` (the empty string when there is none);

each as the exact header string (a header that is absent counts as the empty string),
UTF-8 encoded; then one more line feed and the message body, byte for byte as received
(not re-serialised JSON). In Python:

    parts = [message_id, *(headers.get(h, "") for h in SIGNED_HEADERS)]
    signed = "\\n".join(parts).encode("utf-8") + b"\\n" + body

`{SIGNATURE}` is the 64-byte signature in standard base64 (RFC 4648 section 4, with
padding). `{KEY_ID}` (not signed) names the key: the first 16 hexadecimal characters of
the SHA-256 of the 32-byte raw public key. A verifier looks up the producer's public key
with that id among the keys it accepts for the producer named in `{PRODUCER}`, verifies
the signature over the signed bytes, and then checks that `{TYPE}` is a message that
producer publishes. A message that is unsigned, signed with an unknown or retired key, or
whose signature does not verify must be refused; `traceparent`, `tracestate` and the
AMQP properties other than `message_id` are not signed.

Each service publishes its accepted public keys at `GET {KEYS_PATH}` on its HTTP API, as
a JSON list of JWKs (RFC 8037), the current key first:
`{{"producer", "kid", "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "x"}}`
where `x` is the raw public key in unpadded base64url and `kid` the key id above. During
a key rotation a producer's old key stays listed (and accepted) until it is retired, so a
consumer refreshes its keys when it meets an unknown `{KEY_ID}`, and keeps verifying
against the listed keys only.
"""

HEADERS: Mapping[str, Mapping[str, Any]] = {
    PRODUCER: {"type": "string", "description":
               "Who published the message: the service (or partner) whose exchange it is "
               "on, and whose key signed it. Signed."},
    TYPE: {"type": "string", "description":
           "The message type: its routing key `<aggregate>.<event>.v<major>`, which also "
           "selects its JSON Schema. Signed."},
    OCCURRED_AT: {"type": "string", "format": "date-time", "description":
                  "When the producer recorded the event, ISO 8601 with its UTC offset "
                  "(e.g. `2026-11-01T08:30:00+00:00`), from the producer's clock. Signed."},
    CORRELATION_ID: {"type": "string", "description":
                     "The conversation the message belongs to: the message id of the "
                     "message (or the id of the request) that started it; the message's own "
                     "id when it starts one. Signed."},
    CAUSATION_ID: {"type": "string", "description":
                   "The message id of the message whose handling produced this one; the "
                   "empty string when an officer's request or a timer did. Signed."},
    KEY_ID: {"type": "string", "pattern": KEY_ID_PATTERN, "description":
             "Which of the producer's keys signed the message: the first 16 hex characters "
             "of the SHA-256 of its raw public key (the JWK `kid`). Not signed."},
    SIGNATURE: {"type": "string", "contentEncoding": "base64", "description":
                "Ed25519 signature over the message id, the signed headers in the order "
                f"{', '.join(SIGNED_HEADERS)}, and the body (see the document's "
                "description), in standard base64."},
    "traceparent": {"type": "string", "pattern": TRACEPARENT_PATTERN, "description":
                    "W3C Trace Context of the work that published the message; a consumer "
                    "continues the trace from it. Not signed; may be absent."},
    "tracestate": {"type": "string", "description":
                   "W3C Trace Context vendor state, when the producer's trace has one. Not "
                   "signed; usually absent."},
}
REQUIRED_HEADERS = (*SIGNED_HEADERS, KEY_ID, SIGNATURE)

AMQP_PROPERTIES: Mapping[str, Mapping[str, Any]] = {
    "message_id": {"type": "string", "format": "uuid", "description":
                   "UUIDv7 (RFC 9562), unique per message; the first part of the signed "
                   "bytes, and the key a consumer deduplicates on (delivery is at least "
                   "once: the same message may arrive twice)."},
    "content_type": {"const": "application/json", "description":
                     "The body is one JSON object (UTF-8) valid against the message's "
                     "schema."},
    "type": {"type": "string", "description": f"The routing key, as in `{TYPE}`."},
    "correlation_id": {"type": "string", "description": f"As in `{CORRELATION_ID}`."},
    "delivery_mode": {"const": 2, "description": "Persistent."},
}


def signing_input(message_id: str, headers: Mapping[str, object], body: bytes) -> bytes:
    """The signed bytes, exactly as `SIGNING` describes them."""
    parts = [message_id, *(str(headers.get(name, "")) for name in SIGNED_HEADERS)]
    return "\n".join(parts).encode("utf-8") + b"\n" + body
