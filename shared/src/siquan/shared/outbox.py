"""The transactional outbox: events are written in the same transaction as the state they
describe, signed, with the trace context of the work that produced them. Only the relay
(`relay.py`) talks to the broker."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry import propagate
from uuid6 import uuid7

from siquan.contracts.base import Event, exchange_for
from siquan.contracts.batches import BATCH_LIMIT, batch_for
from siquan.shared.clock import Clock, SystemClock
from siquan.shared.database import Connection
from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL
from siquan.shared.signing import KEY_ID_HEADER, SIGNATURE_HEADER, SigningKey, sign


def new_message_id() -> str:
    return str(uuid7())


@dataclass(frozen=True)
class PendingEvent:
    """An event a unit of work will write to the outbox when it commits: its cause and
    the trace context it was published in."""

    event: Event
    correlation_id: str | None = None
    causation_id: str | None = None
    trace_context: Mapping[str, str] = field(default_factory=dict)
    message_id: str = field(default_factory=new_message_id)


class Outbox:
    """Writes a producer's signed events into its outbox table."""

    def __init__(self, producer: str, signing_key: Ed25519PrivateKey | SigningKey, *,
                 clock: Clock | None = None, single: Collection[str] = ()) -> None:
        """`single`: event types (routing keys) published one event to a message even where
        they travel by the batch."""
        self.producer = producer
        self._single = frozenset(single)
        self._key = signing_key if isinstance(signing_key, SigningKey) \
            else SigningKey.unnamed(signing_key)
        self._clock = clock or SystemClock()

    def envelope(self, event: Event, *, message_id: str, correlation_id: str | None,
                 causation_id: str | None,
                 trace_context: Mapping[str, str] | None = None,
                 occurred_at: datetime | None = None) -> tuple[dict[str, str], bytes]:
        """Headers (signed) and body for an event; the trace context rides along unsigned
        (the current one unless `trace_context` is given). It occurred now unless
        `occurred_at` says when."""
        if event.producer != self.producer:
            raise ValueError(f"{self.producer} cannot publish {event.routing_key}")
        body = event.model_dump_json().encode()
        headers: dict[str, str] = {
            "x-siquan-producer": self.producer,
            "x-siquan-type": event.routing_key,
            "x-siquan-occurred-at": (occurred_at or self._clock.now()).isoformat(),
            "x-siquan-correlation-id": correlation_id or message_id,
            "x-siquan-causation-id": causation_id or "",
        }
        if self._key.key_id:
            headers[KEY_ID_HEADER] = self._key.key_id
        headers[SIGNATURE_HEADER] = sign(self._key, message_id, headers, body)
        if trace_context is None:
            propagate.inject(headers)
        else:
            headers.update(trace_context)
        return headers, body

    async def add(self, conn: Connection, event: Event, *,
                  correlation_id: str | None = None, causation_id: str | None = None) -> str:
        """Queue one event for publication inside the caller's transaction."""
        pending = PendingEvent(event, correlation_id, causation_id, _current_trace())
        await self.add_many(conn, [pending])
        return pending.message_id

    async def add_many(self, conn: Connection, pending: Sequence[PendingEvent]) -> None:
        """Queue events for publication inside the caller's transaction, in one statement
        and in their order; they occurred at one instant, the unit of work's end."""
        if not pending:
            return
        at = self._clock.now()
        columns: tuple[list[str], list[str], list[str], list[dict[str, str]], list[bytes]] = (
            [], [], [], [], [])
        ids, exchanges, keys, headers_of, bodies = columns
        for item in batched(pending, single=self._single):
            headers, body = self.envelope(
                item.event, message_id=item.message_id, correlation_id=item.correlation_id,
                causation_id=item.causation_id, trace_context=item.trace_context,
                occurred_at=at)
            ids.append(item.message_id)
            exchanges.append(exchange_for(item.event))
            keys.append(item.event.routing_key)
            headers_of.append(headers)
            bodies.append(body)
        await conn.execute(
            "INSERT INTO outbox (message_id, exchange, routing_key, headers, body)"
            " SELECT m, e, k, h, b FROM unnest($1::uuid[], $2::text[], $3::text[],"
            " $4::jsonb[], $5::bytea[]) WITH ORDINALITY AS t (m, e, k, h, b, n) ORDER BY n",
            *columns)
        await conn.execute("SELECT pg_notify($1, '')", OUTBOX_NOTIFY_CHANNEL)


def batched(pending: Sequence[PendingEvent], *, single: Collection[str] = ()
            ) -> list[PendingEvent]:
    """The messages that carry these events: the events of a type that travels by the
    batch (`siquan.contracts.batches`) go in batches of up to `BATCH_LIMIT`, each where
    its first event was, when a unit of work published more than one of them; every
    other event, a lone one of such a type and those of the types in `single`, as its own
    message. Each entry keeps its message id; a batch takes the cause and trace of its
    first entry."""
    groups: dict[str, list[PendingEvent]] = {}
    for item in pending:
        key = item.event.routing_key
        if key not in single and batch_for(key) is not None:
            groups.setdefault(item.event.routing_key, []).append(item)
    if all(len(group) < 2 for group in groups.values()):
        return list(pending)
    out: list[PendingEvent] = []
    placed: set[str] = set()
    for item in pending:
        key = item.event.routing_key
        group = groups.get(key)
        if group is None or len(group) < 2:
            out.append(item)
        elif key not in placed:
            placed.add(key)
            batch = batch_for(key)
            assert batch is not None
            # entries of the batch's own parametrized type: the batch takes them as they
            # are, where entries of the bare generic type would each be validated again
            entry = batch.entry_model
            for start in range(0, len(group), BATCH_LIMIT):
                chunk = group[start:start + BATCH_LIMIT]
                if len(chunk) == 1:
                    out.append(chunk[0])
                    continue
                first = chunk[0]
                out.append(PendingEvent(
                    batch(events=[entry(message_id=p.message_id, event=p.event)
                                  for p in chunk]),
                    first.correlation_id, first.causation_id, first.trace_context))
    return out


def _current_trace() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier
