"""Logging every event in the audit chain, a batch at a time."""

from __future__ import annotations

import json
import secrets
from datetime import date

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import public_security_v1 as public_security
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.application.recording import log_event
from siquan.oversight.domain.chain import GENESIS_HASH, body_digest, verify


def death(n: int = 1) -> public_security.DeathReported:
    return public_security.DeathReported(report_id=f"PS-{n}", person_key=secrets.token_hex(32),
                                         date_of_death=date(2026, 11, n))


async def test_an_event_enters_the_chain_only_when_its_transaction_commits(
        uow: FakeOversightWork) -> None:
    await uow.receive(death(), log_event)
    assert uow.store.entries == []

    await uow.commit()

    assert [e.seq for e in uow.store.entries] == [1]


async def test_a_batch_is_linked_after_the_head_in_the_order_its_messages_came(
        uow: FakeOversightWork) -> None:
    received = [await uow.receive(death(n), log_event) for n in (1, 2, 3)]

    await uow.commit()

    entries = uow.store.entries
    assert [e.envelope.message_id for e in entries] == [r.message.message_id for r in received]
    assert [e.prev_hash for e in entries] == [GENESIS_HASH, entries[0].entry_hash,
                                              entries[1].entry_hash]
    assert uow.store.head.hash == entries[-1].entry_hash


async def test_a_second_batch_continues_the_chain_and_it_verifies(
        uow: FakeOversightWork) -> None:
    await uow.receive(death(1), log_event)
    await uow.commit()
    later = FakeOversightWork(uow.clock, store=uow.store)
    await later.receive(death(2), log_event)
    await later.receive(death(3), log_event)

    await later.commit()

    assert verify(uow.store.entries, uow.store.head).ok
    assert [e.seq for e in uow.store.entries] == [1, 2, 3]


async def test_the_entry_keeps_the_body_as_received_and_hashes_its_digest(
        uow: FakeOversightWork) -> None:
    event = death()
    handled = await uow.receive(event, log_event)
    await uow.commit()

    [entry] = uow.store.entries
    assert entry.envelope.body_text == handled.message.body.decode()
    assert json.loads(entry.envelope.body_text) == event.model_dump(mode="json")
    assert entry.envelope.body_format == 2
    assert body_digest(entry.envelope.body_text) != body_digest(
        entry.envelope.body_text.replace("PS-1", "PS-2"))


async def test_the_entry_records_the_signed_headers_and_the_time_of_delivery(
        uow: FakeOversightWork) -> None:
    handled = await uow.receive(death(), log_event)
    await uow.commit()

    envelope = uow.store.entries[0].envelope
    assert (envelope.producer, envelope.message_type) == ("partner.public_security",
                                                          "death.reported.v1")
    assert envelope.received_at == uow.now()
    assert envelope.signature == handled.message.headers["x-siquan-signature"]


async def test_a_chunk_is_searched_without_its_payments_but_hashed_with_them(
        uow: FakeOversightWork) -> None:
    chunk = disbursement.PaymentsSettled(
        run_id="r-1", program_code="special_assistance", period="2026-11",
        division_code="420117", chunk=2, payments=(disbursement.SettledPayment(
            payment_id="p-1", person_key=secrets.token_hex(32), certification_id="c",
            item="benefit", amount_fen=21_000, bank_reference="B"),))
    await uow.receive(chunk, log_event)
    await uow.commit()

    envelope = uow.store.entries[0].envelope
    assert envelope.body == {"run_id": "r-1", "program_code": "special_assistance",
                             "period": "2026-11", "division_code": "420117", "chunk": 2}
    assert json.loads(envelope.body_text or "")["payments"][0]["payment_id"] == "p-1"
