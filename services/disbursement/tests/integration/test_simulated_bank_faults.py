"""The simulated bank's one-off faults, asked for through its `bank_faults` table as a
fault campaign does: a batch recorded but not answered, answered twice, answered late.
Whatever the fault, each instruction is transferred once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from siquan.disbursement.adapters import simulated_bank
from siquan.disbursement.adapters.simulated_bank import BankBehaviour, SimulatedBank
from siquan.disbursement.application.ports import BankUnavailable, PaymentInstruction
from siquan.shared.testing.environment import Environment

pytestmark = pytest.mark.integration


@pytest.fixture
async def bank(siquan_env: Environment) -> AsyncIterator[SimulatedBank]:
    opened = SimulatedBank(siquan_env.bank_dsn)
    await opened.open()
    yield opened
    await opened.close()


def _batch(n: int) -> list[PaymentInstruction]:
    return [PaymentInstruction(str(uuid.uuid4()), "ABC", f"62284801{i:08d}7", 21_000,
                               "siquan benefit 2031-01") for i in range(n)]


async def _ask(env: Environment, kind: str, delay_ms: int = 0) -> int:
    conn = await asyncpg.connect(env.bank_dsn)
    try:
        return int(await conn.fetchval("INSERT INTO bank_faults (kind, delay_ms) VALUES"
                                       " ($1, $2) RETURNING id", kind, delay_ms))
    finally:
        await conn.close()


async def _transfers(env: Environment, batch: list[PaymentInstruction]) -> int:
    rows = await env.fetch("banksim", "SELECT count(*) FROM transfers WHERE payment_id"
                           " = ANY($1::uuid[])", [i.payment_id for i in batch])
    return int(rows[0][0])


async def test_a_timed_out_batch_is_recorded_and_answered_once_when_sent_again(
        siquan_env: Environment, bank: SimulatedBank) -> None:
    batch = _batch(3)
    await _ask(siquan_env, "timeout")
    with pytest.raises(BankUnavailable):
        await bank.instruct("b1", batch)
    assert await _transfers(siquan_env, batch) == 3
    again = await bank.instruct("b1", batch)
    assert sorted(r.payment_id for r in again) == sorted(i.payment_id for i in batch)
    assert await _transfers(siquan_env, batch) == 3


async def test_a_bank_answering_twice_or_late_transfers_each_instruction_once(
        siquan_env: Environment, bank: SimulatedBank) -> None:
    batch = _batch(2)
    await _ask(siquan_env, "duplicate")
    twice = await bank.instruct("b2", batch)
    assert sorted(r.payment_id for r in twice) == sorted(2 * [i.payment_id for i in batch])
    late = _batch(2)
    fault = await _ask(siquan_env, "late", delay_ms=200)
    answered = await bank.instruct("b3", late)
    assert {r.outcome for r in answered} == {"settled"} and len(answered) == 2
    taken = await siquan_env.fetch("banksim", "SELECT taken_at IS NOT NULL FROM bank_faults"
                                   " WHERE id = $1", fault)
    assert taken[0][0] is True
    assert await _transfers(siquan_env, batch + late) == 4


async def test_a_new_payment_id_under_a_key_transferred_before_is_answered_naming_it(
        bank: SimulatedBank) -> None:
    first = [i._replace(instruction_key=str(uuid.uuid4())) for i in _batch(2)]
    paid = await bank.instruct("b1", first)
    again = [i._replace(payment_id=str(uuid.uuid4())) for i in first]

    answered = {r.payment_id: r for r in await bank.instruct("b2", again)}

    earlier = {r.payment_id: r for r in paid}
    assert [r.transferred_as for r in paid] == [None, None]
    assert {p: (r.outcome, r.bank_reference, r.transferred_as)
            for p, r in answered.items()} == {
        new.payment_id: ("settled", earlier[old.payment_id].bank_reference, old.payment_id)
        for new, old in zip(again, first, strict=True)}


async def test_a_fresh_batch_is_recorded_as_the_row_by_row_path_records_it(
        siquan_env: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch nothing of which is recorded goes in by COPY; the same batch recorded row by
    row (`_SETTLE`, the path of a batch holding something recorded before) leaves the same
    rows: refusals, returns, references and dates alike."""
    endings = ["0000", "0044", "0088", "1234", "5678"]
    batch = [i._replace(account_number=i.account_number[:-4] + endings[n % 5],
                        instruction_key=str(uuid.uuid4()) if n % 2 else "")
             for n, i in enumerate(_batch(40))]
    behaviour = BankBehaviour(failure_rate=0.3, return_rate=0.3, return_days=5)
    recorded = []
    for row_by_row in (False, True):
        bank = SimulatedBank(siquan_env.bank_dsn, behaviour)
        await bank.open()
        try:
            if row_by_row:
                async def refused(*_: object) -> bool:
                    return False
                monkeypatch.setattr(simulated_bank, "_copied", refused)
            answered = await bank.instruct("b1", batch)
        finally:
            await bank.close()
        rows = await siquan_env.fetch(
            "banksim", "SELECT payment_id::text, bank_code, account_number, amount_fen,"
            " remittance, outcome, reason, bank_reference, settled_on, returns_on,"
            " return_reason, instruction_key::text FROM transfers"
            " WHERE payment_id = ANY($1::uuid[]) ORDER BY payment_id",
            [i.payment_id for i in batch])
        await siquan_env.fetch("banksim", "DELETE FROM transfers WHERE payment_id"
                               " = ANY($1::uuid[])", [i.payment_id for i in batch])
        recorded.append(([tuple(r) for r in rows], sorted(answered)))
    assert len(recorded[0][0]) == 40
    assert {r[5] for r in recorded[0][0]} == {"settled", "failed"}
    assert any(r[9] is not None for r in recorded[0][0])
    assert recorded[0] == recorded[1]


async def test_the_bank_answers_for_the_payments_asked_and_recorded_only(
        bank: SimulatedBank) -> None:
    """A chunk's ids are consecutive, and the bank reads the range they span: a payment
    recorded inside it but not asked for is not answered, nor is one asked for and never
    sent."""
    prefix = str(uuid.uuid4())[:24]
    chunk = [i._replace(payment_id=f"{prefix}{n:012x}") for n, i in enumerate(_batch(5))]
    await bank.instruct("b1", [chunk[0], chunk[2], chunk[4]])

    found = await bank.results([chunk[4].payment_id, chunk[1].payment_id,
                                chunk[0].payment_id])

    assert sorted(r.payment_id for r in found) == [chunk[0].payment_id, chunk[4].payment_id]
    assert {r.outcome for r in found} == {"settled"}
