"""Events by the batch (ADR 0011): a unit of work's many events of one type leave the
outbox as one signed message, and a consumer's handlers take its entries as they take
single messages, in the batch's one transaction, on a real PostgreSQL database."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from siquan.contracts.base import read
from siquan.contracts.batches import BATCH_LIMIT, batch_for, batch_key, entry_key
from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.shared.clock import FixedClock
from siquan.shared.consumer import (
    _UNADMITTED,
    BatchedConsumer,
    ConsumerSettings,
    NotYet,
    RuleBroken,
    _Held,
)
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import Outbox, PendingEvent, batched
from siquan.shared.registry import HandlerRegistry, audits, handles
from siquan.shared.signing import Verifier, load_private_key, load_public_keys, write_keypair
from siquan.shared.testing.databases import scratch_pool
from siquan.shared.testing.deliveries import KeptDeadLetters, RawDelivery
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))
GRANTED = "certification.granted.v1"


def _granted(n: int) -> CertificationGranted:
    return CertificationGranted(
        certification_id=f"c-{n}", application_id=f"a-{n}", program_code="special_assistance",
        category="death", policy_version="2026.1", person_key=f"{n:064x}",
        masked_name="张*兰", masked_resident_id="4201**********1234", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by="reviewer-1", approved_by="approver-1",
        approved_at=CLOCK.now())


def _revoked(n: int) -> CertificationRevoked:
    return CertificationRevoked(
        certification_id=f"c-{n}", person_key=f"{n:064x}", program_code="special_assistance",
        division_code="420117", effective_from=date(2026, 6, 1), reason="death",
        revoked_by="system")


def test_a_batchs_type_names_its_entries_type_and_back() -> None:
    assert batch_key(GRANTED) == "certification.granted.batch.v1"
    assert entry_key("certification.granted.batch.v1") == GRANTED
    assert entry_key(GRANTED) is None and batch_for("certification.revoked.v1") is None


def test_many_events_of_a_type_go_as_one_batch_where_the_first_was_a_lone_one_alone() -> None:
    pending = [PendingEvent(_granted(1), "corr", "cause"), PendingEvent(_revoked(9)),
               PendingEvent(_granted(2)), PendingEvent(_granted(3))]
    out = batched(pending)
    assert [p.event.routing_key for p in out] == ["certification.granted.batch.v1",
                                                  "certification.revoked.v1"]
    batch = out[0]
    assert [e.message_id for e in batch.event.events] == [  # type: ignore[attr-defined]
        pending[0].message_id, pending[2].message_id, pending[3].message_id]
    assert [e.event for e in batch.event.events] == [  # type: ignore[attr-defined]
        pending[0].event, pending[2].event, pending[3].event]
    entries = batch.event.events  # type: ignore[attr-defined]
    assert {type(e) for e in entries} == {batch_for(GRANTED).entry_model}  # type: ignore[union-attr]
    assert entries[1].event is pending[2].event  # taken as published, not copied
    assert (batch.correlation_id, batch.causation_id) == ("corr", "cause")
    assert batch.message_id not in {p.message_id for p in pending}
    lone = [PendingEvent(_granted(1)), PendingEvent(_revoked(2)), PendingEvent(_revoked(3))]
    assert batched(lone) == lone


def test_a_batch_holds_at_most_its_limit_and_a_last_lone_event_goes_alone() -> None:
    pending = [PendingEvent(_granted(n)) for n in range(2 * BATCH_LIMIT + 1)]
    out = batched(pending)
    assert [len(getattr(p.event, "events", [None])) for p in out] == [BATCH_LIMIT,
                                                                        BATCH_LIMIT, 1]
    assert out[-1] is pending[-1]


def test_a_type_a_consumer_takes_only_singly_is_never_batched() -> None:
    pending = [PendingEvent(_granted(1)), PendingEvent(_granted(2))]
    assert batched(pending, single={GRANTED}) == pending
    assert batched(pending, single={"certification.renewed.v1"})[0].event.routing_key == (
        "certification.granted.batch.v1")


def test_a_queue_taking_a_type_is_bound_to_its_batch_and_an_audit_takes_the_batch_whole(
        ) -> None:
    async def on_grant(event: Any, uow: Any) -> None: ...

    async def audit(event: Any, uow: Any) -> None: ...

    (route,) = HandlerRegistry.collect("disbursement", [handles(CertificationGranted)(on_grant)]
                                       ).routes()
    assert route.subscription.binding_keys == ("certification.granted.batch.v1", GRANTED)
    assert route.accepts("certification.granted.batch.v1")
    assert route.handlers_for("certification.granted.batch.v1") == ()
    assert route.entries == {"certification.granted.batch.v1": GRANTED}
    (audited,) = HandlerRegistry.collect("oversight", [audits("eligibility")(audit),
                                                       handles(CertificationGranted)(on_grant)]
                                         ).routes()
    assert audited.handlers_for("certification.granted.batch.v1") == (audit,)
    assert audited.handlers_for(GRANTED) == (audit, on_grant)


_Raw = RawDelivery
_DeadLetters = KeptDeadLetters


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_pool(servers[1], "siquan_t_batches", MESSAGING_DDL,
                            "CREATE TABLE effects (certification_id text, message_id text,"
                            " audited text)") as created:
        yield created


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, "eligibility")
    return tmp_path


async def _published(pool: asyncpg.Pool, keys: Path, events: list[Any]) -> list[_Raw]:
    """The messages eligibility's outbox holds after one unit of work published these."""
    outbox = Outbox("eligibility", load_private_key(keys / "eligibility.key"), clock=CLOCK)
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add_many(conn, [PendingEvent(e) for e in events])
    rows = await pool.fetch("DELETE FROM outbox RETURNING message_id, headers, body")
    return [_Raw(str(r["message_id"]), dict(r["headers"]), bytes(r["body"])) for r in rows]


def _consumer(pool: asyncpg.Pool, keys: Path, handlers: list[Any],
              dead: _DeadLetters) -> BatchedConsumer:
    (route,) = HandlerRegistry.collect("disbursement", handlers).routes()
    outbox = Outbox("eligibility", load_private_key(keys / "eligibility.key"), clock=CLOCK)
    units = UnitsOfWork(lambda: pool, outbox, CLOCK, PgUnitOfWork)
    return BatchedConsumer(route, units, Verifier(load_public_keys(keys)), dead,  # type: ignore[arg-type]
                           ConsumerSettings(max_attempts=2, backoff_base=0.0), CLOCK)


def _held(*raws: _Raw) -> list[_Held]:
    return [_Held(raw, _UNADMITTED, 0, 0.0) for raw in raws]  # type: ignore[arg-type]


async def _record(event: CertificationGranted, uow: PgUnitOfWork) -> None:
    await uow.conn.execute("INSERT INTO effects VALUES ($1, $2, NULL)",
                           event.certification_id, uow.message.message_id)
    uow.publish(CertificationRevoked(
        certification_id=event.certification_id, person_key=event.person_key,
        program_code=event.program_code, division_code=event.division_code,
        effective_from=date(2026, 6, 1), reason="death", revoked_by="system"))


async def test_a_batch_is_one_signed_message_whose_entries_are_handled_as_single_messages(
        pool: asyncpg.Pool, keys: Path) -> None:
    events = [_granted(n) for n in range(3)]
    (raw,) = await _published(pool, keys, events)
    assert raw.headers["x-siquan-type"] == "certification.granted.batch.v1"
    body = json.loads(raw.body)
    entry_ids = [e["message_id"] for e in body["events"]]
    assert [read(CertificationGranted, json.dumps(e["event"])) for e in body["events"]] == events

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, [handles(CertificationGranted)(_record)], dead)
    await consumer.process(_held(raw))
    rows = await pool.fetch("SELECT certification_id, message_id FROM effects ORDER BY ctid")
    assert [(r["certification_id"], r["message_id"]) for r in rows] == [
        (f"c-{n}", entry_ids[n]) for n in range(3)]
    causes = await pool.fetch("SELECT headers->>'x-siquan-causation-id' AS cause FROM outbox"
                              " ORDER BY ctid")
    assert [r["cause"] for r in causes] == entry_ids  # what each entry's handling published
    assert await pool.fetchval("SELECT array_agg(message_id::text) FROM inbox") == [
        raw.message_id]
    assert raw.acked == 1 and dead.reasons == []

    again = _Raw(raw.message_id, dict(raw.headers), raw.body)
    await consumer.process(_held(again))
    assert await pool.fetchval("SELECT count(*) FROM effects") == 3 and again.acked == 1


async def test_an_audit_takes_a_batch_once_as_it_came_then_the_entries_reach_their_handler(
        pool: asyncpg.Pool, keys: Path) -> None:
    (raw,) = await _published(pool, keys, [_granted(1), _granted(2)])

    async def audit(event: Any, uow: PgUnitOfWork) -> None:
        await uow.conn.execute("INSERT INTO effects VALUES (NULL, $1, $2)",
                               uow.message.message_id, uow.message.message_type)

    await _consumer(pool, keys, [audits("eligibility")(audit),
                                 handles(CertificationGranted)(_record)],
                    _DeadLetters()).process(_held(raw))
    rows = await pool.fetch("SELECT * FROM effects ORDER BY ctid")
    assert [(r["message_id"] == raw.message_id, r["audited"], r["certification_id"])
            for r in rows] == [(True, "certification.granted.batch.v1", None),
                               (False, None, "c-1"), (False, None, "c-2")]


async def test_an_entry_that_breaks_a_rule_holds_back_only_itself_and_the_replay_ends_it(
        pool: asyncpg.Pool, keys: Path) -> None:
    refused = {"c-1"}

    async def refuse(event: CertificationGranted, uow: PgUnitOfWork) -> None:
        await _record(event, uow)
        if event.certification_id in refused:
            raise RuleBroken("no such person")

    async def audit(event: Any, uow: PgUnitOfWork) -> None:
        await uow.conn.execute("INSERT INTO effects VALUES (NULL, $1, $2)",
                               uow.message.message_id, uow.message.message_type)

    batch = (await _published(pool, keys, [_granted(0), _granted(1), _granted(2)]))[0]
    neighbour = (await _published(pool, keys, [_granted(7)]))[0]
    entry_ids = [e["message_id"] for e in json.loads(batch.body)["events"]]
    dead = _DeadLetters()
    consumer = _consumer(pool, keys, [audits("eligibility")(audit),
                                      handles(CertificationGranted)(refuse)], dead)
    await consumer.process(_held(batch, neighbour))

    assert dead.reasons == [f"RuleBroken: no such person (entry {entry_ids[1]}; 1 of 3 "
                            "entries held back, the others handled)"]
    effects = "SELECT certification_id FROM effects WHERE audited IS NULL ORDER BY ctid"
    assert [r[0] for r in await pool.fetch(effects)] == ["c-0", "c-2", "c-7"]
    assert batch.acked == 1 and neighbour.acked == 1
    audited = "SELECT count(*) FROM effects WHERE audited = 'certification.granted.batch.v1'"
    assert await pool.fetchval(audited) == 0  # logged once, when it is handled whole

    refused.clear()  # the cause fixed, an officer replays the dead letter
    replayed = _Raw(batch.message_id, dict(batch.headers), batch.body)
    await consumer.process(_held(replayed))
    assert [r[0] for r in await pool.fetch(effects)] == ["c-0", "c-2", "c-7", "c-1"]
    assert await pool.fetchval(audited) == 1 and replayed.acked == 1
    assert len(dead.reasons) == 1


async def test_an_entry_that_came_too_early_waits_alone_and_its_batch_comes_again_for_it(
        pool: asyncpg.Pool, keys: Path) -> None:
    early = {"c-1"}

    async def depends(event: CertificationGranted, uow: PgUnitOfWork) -> None:
        await _record(event, uow)
        if event.certification_id in early:
            raise NotYet("its application is not known yet")

    batch = (await _published(pool, keys, [_granted(0), _granted(1), _granted(2)]))[0]
    dead = _DeadLetters()
    consumer = _consumer(pool, keys, [handles(CertificationGranted)(depends)], dead)
    [held] = _held(batch)
    await consumer.process([held])

    effects = "SELECT certification_id FROM effects ORDER BY ctid"
    assert [r[0] for r in await pool.fetch(effects)] == ["c-0", "c-2"]  # not kept waiting
    assert (batch.acked, dead.reasons, consumer._take_due()) == (0, [], [held])

    early.clear()  # what it depends on has come: the deferred batch is handled again
    await consumer.process([held])
    assert [r[0] for r in await pool.fetch(effects)] == ["c-0", "c-2", "c-1"]
    assert batch.acked == 1 and dead.reasons == []


async def test_a_batch_whose_audit_fails_has_its_entries_handled_and_waits_for_the_audit(
        pool: asyncpg.Pool, keys: Path) -> None:
    broken = [True]

    async def audit(event: Any, uow: PgUnitOfWork) -> None:
        if broken[0]:
            raise ValueError("audit log unavailable")
        await uow.conn.execute("INSERT INTO effects VALUES (NULL, $1, $2)",
                               uow.message.message_id, uow.message.message_type)

    (batch,) = await _published(pool, keys, [_granted(0), _granted(1)])
    dead = _DeadLetters()
    consumer = _consumer(pool, keys, [audits("eligibility")(audit),
                                      handles(CertificationGranted)(_record)], dead)
    await consumer.process(_held(batch))
    assert dead.reasons == ["ValueError: audit log unavailable"]
    handled = "SELECT certification_id FROM effects WHERE audited IS NULL ORDER BY ctid"
    assert [r[0] for r in await pool.fetch(handled)] == ["c-0", "c-1"]

    broken[0] = False
    await consumer.process(_held(_Raw(batch.message_id, dict(batch.headers), batch.body)))
    assert [r[0] for r in await pool.fetch(handled)] == ["c-0", "c-1"]
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE audited IS NOT NULL") == 1


async def test_a_tampered_batch_is_refused_whole(pool: asyncpg.Pool, keys: Path) -> None:
    (raw,) = await _published(pool, keys, [_granted(1), _granted(2)])
    raw.body = raw.body.replace(b'"c-2"', b'"c-3"')
    dead = _DeadLetters()
    await _consumer(pool, keys, [handles(CertificationGranted)(_record)], dead).process(
        _held(raw))
    assert len(dead.reasons) == 1 and "does not verify" in dead.reasons[0]
    assert await pool.fetchval("SELECT count(*) FROM effects") == 0
