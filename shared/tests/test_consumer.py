"""The shared batched consumer on a real PostgreSQL database: signature, contract, inbox
idempotency, one transaction per batch, a bad message isolated from its neighbours,
deferral of what comes too early, bounded retries, dead letters with the reason."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.topology import Subscription
from siquan.shared import consumer as consumer_module
from siquan.shared.clock import FixedClock
from siquan.shared.consumer import (
    _UNADMITTED,
    BatchedConsumer,
    ConsumerSettings,
    NotYet,
    RuleBroken,
    _Held,
    spans_recorded,
)
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.registry import HandlerRegistry, handles
from siquan.shared.signing import Verifier, load_private_key, load_public_keys, write_keypair
from siquan.shared.testing.databases import scratch_pool
from siquan.shared.testing.deliveries import KeptDeadLetters, RawDelivery
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

PRODUCER = "partner.public_security"
CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))


_Raw = RawDelivery
_DeadLetters = KeptDeadLetters


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_pool(servers[1], "siquan_t_consumer", MESSAGING_DDL,
                            "CREATE TABLE effects (report_id text)") as created:
        yield created


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, PRODUCER)
    write_keypair(tmp_path, "eligibility")
    return tmp_path


def _message(keys: Path, *, message_id: str | None = None, report_id: str = "r1") -> _Raw:
    outbox = Outbox(PRODUCER, load_private_key(keys / f"{PRODUCER}.key"))
    event = DeathReported(report_id=report_id, person_key="a" * 64, date_of_death=date(2026, 5, 3))
    message_id = message_id or new_message_id()
    headers, body = outbox.envelope(event, message_id=message_id, correlation_id=None,
                                    causation_id=None)
    return _Raw(message_id, headers, body)


def _consumer(pool: asyncpg.Pool, keys: Path, handler: Any, dead: _DeadLetters,
              *, max_attempts: int = 3) -> BatchedConsumer:
    route = HandlerRegistry.collect("eligibility", [handles(DeathReported)(handler)]).routes()[0]
    outbox = Outbox("eligibility", load_private_key(keys / "eligibility.key"), clock=CLOCK)
    units = UnitsOfWork(lambda: pool, outbox, CLOCK, PgUnitOfWork)
    return BatchedConsumer(route, units, Verifier(load_public_keys(keys)), dead,  # type: ignore[arg-type]
                           ConsumerSettings(max_attempts=max_attempts, backoff_base=0.0),
                           CLOCK)


def _batch(*raws: _Raw) -> list[_Held]:
    return [_Held(raw, _UNADMITTED, 0, 0.0) for raw in raws]  # type: ignore[arg-type]


async def _record(event: DeathReported, uow: PgUnitOfWork) -> None:
    await uow.conn.execute("INSERT INTO effects VALUES ($1)", event.report_id)


async def _effects(pool: asyncpg.Pool) -> list[str]:
    return [r["report_id"] for r in await pool.fetch("SELECT report_id FROM effects ORDER BY ctid")]


async def _drain(consumer: BatchedConsumer) -> None:
    """Give every deferred message its further attempts, as the consume loop would."""
    while consumer._held:
        for held in consumer._held:
            held.due = time.monotonic()
        await consumer.process(consumer._take_due())


def test_the_registry_names_a_partners_queue_without_its_prefix() -> None:
    route = HandlerRegistry.collect("eligibility", [handles(DeathReported)(_record)]).routes()[0]
    assert route.subscription == Subscription(
        "eligibility", "from-public_security", PRODUCER, ("death.reported.v1",))


async def test_a_batch_is_handled_in_one_transaction_and_each_message_acknowledged(
        pool: asyncpg.Pool, keys: Path) -> None:
    dead = _DeadLetters()
    raws = [_message(keys, report_id=f"r{i}") for i in range(50)]
    await _consumer(pool, keys, _record, dead).process(_batch(*raws))
    assert await _effects(pool) == [f"r{i}" for i in range(50)]
    assert all(r.acked == 1 for r in raws) and dead.reasons == []
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 50


async def test_a_message_delivered_twice_takes_effect_once(pool: asyncpg.Pool,
                                                            keys: Path) -> None:
    dead = _DeadLetters()
    consumer = _consumer(pool, keys, _record, dead)
    message = _message(keys)
    again = _Raw(message.message_id, dict(message.headers), message.body)
    await consumer.process(_batch(message, again))
    await consumer.process(_batch(_Raw(message.message_id, dict(message.headers), message.body)))
    assert await _effects(pool) == ["r1"] and dead.reasons == []


async def test_a_broken_rule_dead_letters_only_its_message_and_the_batch_goes_on(
        pool: asyncpg.Pool, keys: Path) -> None:
    async def refuse_r2(event: DeathReported, uow: PgUnitOfWork) -> None:
        await _record(event, uow)
        if event.report_id == "r2":
            raise RuleBroken("no such person")

    dead = _DeadLetters()
    raws = [_message(keys, report_id=f"r{i}") for i in range(1, 5)]
    await _consumer(pool, keys, refuse_r2, dead).process(_batch(*raws))
    assert dead.reasons == ["RuleBroken: no such person"]
    assert await _effects(pool) == ["r1", "r3", "r4"]
    assert all(r.acked == 1 for r in raws)


async def test_a_message_that_comes_too_early_waits_while_the_ones_behind_it_go_first(
        pool: asyncpg.Pool, keys: Path) -> None:
    async def needs_r1(event: DeathReported, uow: PgUnitOfWork) -> None:
        if event.report_id == "completion" and not await uow.conn.fetchval(
                "SELECT count(*) FROM effects WHERE report_id = 'r1'"):
            raise NotYet("r1 not handled yet")
        await _record(event, uow)

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, needs_r1, dead)
    completion = _message(keys, report_id="completion")
    await consumer.process(_batch(completion, _message(keys, report_id="r0")))
    assert await _effects(pool) == ["r0"] and completion.acked == 0
    await consumer.process(_batch(_message(keys, report_id="r1")))
    await _drain(consumer)
    assert await _effects(pool) == ["r0", "r1", "completion"]
    assert completion.acked == 1 and dead.reasons == []


async def test_a_persistent_transient_error_is_dead_lettered_after_the_bound(
        pool: asyncpg.Pool, keys: Path) -> None:
    attempts = 0

    async def deadlocks(event: DeathReported, uow: PgUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await _record(event, uow)
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, deadlocks, dead)
    message = _message(keys)
    await consumer.process(_batch(message))
    await _drain(consumer)
    assert attempts == 3
    assert len(dead.reasons) == 1
    assert dead.reasons[0].startswith("transient errors persisted after 3 attempts")
    assert await _effects(pool) == [] and message.acked == 1
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_a_database_outage_longer_than_the_bound_is_waited_out_not_dead_lettered(
        pool: asyncpg.Pool, keys: Path) -> None:
    attempts = 0

    async def down_for_ten_attempts(event: DeathReported, uow: PgUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 10:
            raise (ConnectionRefusedError("restarting") if attempts % 2
                   else asyncpg.exceptions.TooManyConnectionsError("too many clients"))
        await _record(event, uow)

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, down_for_ten_attempts, dead)
    message = _message(keys)
    await consumer.process(_batch(message))
    await _drain(consumer)
    assert attempts == 11 and dead.reasons == []
    assert await _effects(pool) == ["r1"] and message.acked == 1


async def test_a_connection_left_mid_operation_by_a_lost_session_is_tried_again(
        pool: asyncpg.Pool, keys: Path) -> None:
    """A batch whose connection the server dropped leaves asyncpg's client state of it
    mid-operation; the message handled alone then meets that state, not a fault of its
    own: it is tried again, not dead-lettered (fund custody lost a run's chunk so)."""
    attempts = 0

    async def on_a_dropped_connection_first(event: DeathReported, uow: PgUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise asyncpg.InternalClientError(
                "cannot switch to state 15; another operation (2) is in progress")
        await _record(event, uow)

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, on_a_dropped_connection_first, dead)
    message = _message(keys)
    await consumer.process(_batch(message))
    await _drain(consumer)
    assert attempts == 2 and dead.reasons == []
    assert await _effects(pool) == ["r1"] and message.acked == 1


async def test_events_published_by_a_handler_commit_with_the_batch_and_name_their_cause(
        pool: asyncpg.Pool, keys: Path) -> None:
    from siquan.contracts.eligibility_v1 import CertificationRevoked

    async def revoke(event: DeathReported, uow: PgUnitOfWork) -> None:
        uow.publish(CertificationRevoked(
            certification_id="c-1", person_key=event.person_key,
            program_code="special_assistance", division_code="420117",
            effective_from=date(2026, 6, 1), reason="death", revoked_by="system"))

    dead = _DeadLetters()
    message = _message(keys)
    await _consumer(pool, keys, revoke, dead).process(_batch(message))
    rows = await pool.fetch("SELECT routing_key, headers FROM outbox")
    assert [r["routing_key"] for r in rows] == ["certification.revoked.v1"]
    assert rows[0]["headers"]["x-siquan-causation-id"] == message.message_id
    assert rows[0]["headers"]["x-siquan-occurred-at"] == CLOCK.now().isoformat()


@pytest.mark.parametrize("tamper,reason", [
    (lambda m: m.headers.pop("x-siquan-signature"), "message is not signed"),
    (lambda m: setattr(m, "body", m.body.replace(b"r1", b"r2")), "does not verify"),
    (lambda m: m.headers.update({"x-siquan-type": "hold.placed.v1"}), "does not verify"),
    (lambda m: m.headers.update({"x-siquan-key-id": "0123456789abcdef"}), "not accepted"),
    (lambda m: setattr(m, "message_id", "not-a-uuid"), "does not verify"),
])
async def test_an_unsigned_or_altered_message_is_dead_lettered_and_changes_nothing(
        pool: asyncpg.Pool, keys: Path, tamper: Any, reason: str) -> None:
    dead = _DeadLetters()
    message, neighbour = _message(keys), _message(keys, report_id="r9")
    tamper(message)
    await _consumer(pool, keys, _record, dead).process(_batch(message, neighbour))
    assert len(dead.reasons) == 1 and reason in dead.reasons[0]
    assert await _effects(pool) == ["r9"]


async def test_a_contract_violation_is_dead_lettered_without_echoing_the_values(
        pool: asyncpg.Pool, keys: Path) -> None:
    from siquan.shared.signing import sign

    message = _message(keys)
    message.body = message.body.replace(b'"a' + b"a" * 63 + b'"', b'"110101199003077777"')
    private = load_private_key(keys / f"{PRODUCER}.key")
    message.headers["x-siquan-signature"] = sign(private, message.message_id, message.headers,
                                                 message.body)
    dead = _DeadLetters()
    await _consumer(pool, keys, _record, dead).process(_batch(message))
    assert len(dead.reasons) == 1 and dead.reasons[0].startswith("ValidationError")
    assert "person_key" in dead.reasons[0] and "110101199003077777" not in dead.reasons[0]


def test_an_audited_producer_has_one_queue_whose_messages_reach_the_audit_then_their_handler(
        ) -> None:
    from siquan.shared.registry import audits

    async def audit(event: Any, uow: Any) -> None: ...

    async def on_death(event: Any, uow: Any) -> None: ...

    registry = HandlerRegistry.collect("oversight", [audits(PRODUCER)(audit),
                                                     handles(DeathReported)(on_death)])
    (route,) = registry.routes()
    assert route.subscription.queue == "siquan.oversight.audit-partner.public_security"
    assert route.subscription.binding_keys == ("#",)
    assert route.handlers_for("death.reported.v1") == (audit, on_death)
    assert route.handlers_for("anything.else.v1") == (audit,)


def test_an_audit_limited_to_some_keys_binds_only_those_and_the_typed_handlers_keys(
        ) -> None:
    from siquan.shared.registry import audits

    async def audit(event: Any, uow: Any) -> None: ...

    async def on_death(event: Any, uow: Any) -> None: ...

    registry = HandlerRegistry.collect("oversight", [
        audits(PRODUCER, keys=("death.reported.v1",))(audit), handles(DeathReported)(on_death)])
    (route,) = registry.routes()
    assert route.subscription.binding_keys == ("death.reported.v1",)
    assert "death.reported.v2" not in route.subscription.binding_keys
    assert registry.handled() == {PRODUCER: ["death.reported.v1"]}
    with pytest.raises(ValueError, match="audits"):
        HandlerRegistry.collect("oversight", [audits(PRODUCER)(audit),
                                              audits(PRODUCER, keys=("x.y.v1",))(on_death)])


class _Channel:
    is_closed = False


async def test_a_batch_takes_no_more_once_its_bodies_reach_the_byte_limit(
        keys: Path) -> None:
    consumer = BatchedConsumer(
        HandlerRegistry.collect("eligibility", [handles(DeathReported)(_record)]).routes()[0],
        None, None, _DeadLetters(), ConsumerSettings(batch_size=10, batch_wait=0,  # type: ignore[arg-type]
                                                     batch_bytes=1), CLOCK)
    arrivals: asyncio.Queue[Any] = asyncio.Queue()
    for n in range(3):
        arrivals.put_nowait(_message(keys, report_id=f"r{n}"))

    assert len(await consumer._next_batch(arrivals, _Channel())) == 1  # type: ignore[arg-type]
    assert len(await consumer._next_batch(arrivals, _Channel())) == 1  # type: ignore[arg-type]


class _TaggedRaw(_Raw):
    def __init__(self, raw: _Raw, tag: int) -> None:
        super().__init__(raw.message_id, raw.headers, raw.body)
        self.delivery_tag, self.multiple = tag, False

    async def ack(self, multiple: bool = False) -> None:  # type: ignore[override]
        self.acked, self.multiple = self.acked + 1, multiple


def _tagged(keys: Path, count: int) -> list[_TaggedRaw]:
    return [_TaggedRaw(_message(keys, report_id=f"r{n}"), n + 1) for n in range(count)]


async def test_with_bulk_ack_a_committed_batch_is_acknowledged_by_its_last_message(
        pool: asyncpg.Pool, keys: Path) -> None:
    consumer = _consumer(pool, keys, _record, _DeadLetters())
    consumer._settings = ConsumerSettings(bulk_ack=True)
    raws = _tagged(keys, 3)

    await consumer.process(_batch(*raws))

    assert [(r.acked, r.multiple) for r in raws] == [(0, False), (0, False), (1, True)]
    assert await _effects(pool) == ["r0", "r1", "r2"]


async def test_with_a_deferred_message_waiting_each_message_is_acknowledged_alone(
        pool: asyncpg.Pool, keys: Path) -> None:
    consumer = _consumer(pool, keys, _record, _DeadLetters())
    consumer._settings = ConsumerSettings(bulk_ack=True)
    early = _TaggedRaw(_message(keys, report_id="early"), 1)
    consumer._held.append(_Held(early, _UNADMITTED, 1, time.monotonic() + 60))  # type: ignore[arg-type]
    raws = _tagged(keys, 2)

    await consumer.process(_batch(*raws))

    assert [(r.acked, r.multiple) for r in raws] == [(1, False), (1, False)]
    assert early.acked == 0


def test_a_database_session_ended_under_a_handler_is_transient_not_a_dead_letter() -> None:
    import asyncpg

    from siquan.shared.consumer import TRANSIENT_ERRORS

    ended = asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation")
    assert isinstance(ended, TRANSIENT_ERRORS)
    assert isinstance(asyncpg.exceptions.ConnectionFailureError("x"), TRANSIENT_ERRORS)


def test_the_database_away_is_told_from_errors_about_the_work_even_when_wrapped() -> None:
    import sqlalchemy.exc

    from siquan.shared.consumer import database_away

    refused = ConnectionRefusedError(111, "Connect call failed")
    wrapped = sqlalchemy.exc.OperationalError("connect", {}, refused)
    assert database_away(refused) and database_away(wrapped)
    assert database_away(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert database_away(asyncpg.exceptions.TooManyConnectionsError("too many clients"))
    assert not database_away(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert not database_away(TimeoutError())
    assert not database_away(RuntimeError("a bug"))


async def _traces_seen(pool: asyncpg.Pool, keys: Path) -> tuple[str, list[str], list[str]]:
    """The trace a message came in, the trace its handler ran in, and the trace of what
    the handler published."""
    seen: list[str] = []
    published: list[str] = []

    async def look(event: DeathReported, uow: PgUnitOfWork) -> None:
        seen.append(f"{trace.get_current_span().get_span_context().trace_id:032x}")
        uow.publish(event)
        published.append(uow.pending[-1].trace_context.get("traceparent", ""))

    raw = _message(keys)
    trace_id = secrets.token_hex(16)
    raw.headers["traceparent"] = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    await _consumer(pool, keys, look, _DeadLetters()).process(_batch(raw))
    return trace_id, seen, published


@pytest.mark.parametrize("exported", [True, False])
async def test_a_handler_runs_in_the_trace_of_the_message_whether_spans_go_anywhere(
        pool: asyncpg.Pool, keys: Path, exported: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    provider = TracerProvider()
    spans = InMemorySpanExporter()
    if exported:
        provider.add_span_processor(SimpleSpanProcessor(spans))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setattr(consumer_module, "_tracer", provider.get_tracer("test"))

    assert spans_recorded() is exported
    trace_id, seen, published = await _traces_seen(pool, keys)

    assert seen == [trace_id]
    assert [p.split("-")[1] for p in published] == [trace_id]
    assert [f"{s.context.trace_id:032x}" for s in spans.get_finished_spans()] == (
        [trace_id] if exported else [])
