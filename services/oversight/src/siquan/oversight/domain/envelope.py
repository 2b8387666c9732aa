"""What the audit log reads off a verified message: its identity, producer, type, times,
correlation and causation, the W3C trace it belongs to, its body and its signature."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from siquan.oversight.domain.chain import Envelope

SIGNATURE_HEADER = "x-siquan-signature"
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_NO_TRACE = "0" * 32


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text or None


def trace_id_of(traceparent: Any) -> str | None:
    """The 32-hex trace id of a W3C `traceparent` (`00-<trace>-<span>-<flags>`), or None
    when the header is absent or malformed."""
    text = _text(traceparent)
    match = _TRACEPARENT.match(text.strip().lower()) if text else None
    if match is None or match.group(1) == "ff" or match.group(2) == _NO_TRACE:
        return None
    return match.group(2)


def moment_of(value: Any) -> datetime | None:
    """An ISO 8601 header as an aware datetime (naive means UTC); None if unreadable."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def envelope_of(message_id: str, headers: Mapping[str, Any], body: Any,
                received_at: datetime, body_text: str | None = None) -> Envelope:
    """The audit envelope of a message whose signature the consumer has already verified
    (`body_text`: its body exactly as received, which the chain then hashes)."""
    return Envelope(
        message_id=str(uuid.UUID(message_id)),
        producer=_text(headers.get("x-siquan-producer")) or "",
        message_type=_text(headers.get("x-siquan-type")) or "",
        occurred_at=moment_of(headers.get("x-siquan-occurred-at")),
        correlation_id=_text(headers.get("x-siquan-correlation-id")),
        causation_id=_text(headers.get("x-siquan-causation-id")),
        trace_id=trace_id_of(headers.get("traceparent")),
        body=body,
        signature=_text(headers.get(SIGNATURE_HEADER)),
        received_at=received_at,
        body_text=body_text,
    )
