"""The chunks of one batch are stored together (one COPY, or one statement when a chunk
comes again): each payment with its own fields and those its chunk states for all its
payments (program, run, division, message, the run's period), an arrear with the period
it pays."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, timedelta

import asyncpg

from siquan.contracts.disbursement_v1 import SettledPayment
from siquan.oversight.reconciliation.adapters.settled import PgSettled
from siquan.oversight.reconciliation.application.judging import expectations
from siquan.oversight.reconciliation.application.ports import Chunk
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess


def _payment(period: str | None = None) -> SettledPayment:
    return SettledPayment(payment_id=str(uuid.uuid4()), person_key=secrets.token_hex(32),
                          certification_id=str(uuid.uuid4()), item="benefit",
                          amount_fen=21_000, bank_reference="B1", period=period)


async def test_a_batch_of_chunks_stores_each_payment_with_its_chunk(
        siquan_env: Environment, oversight: ServiceProcess) -> None:
    first = Chunk(str(uuid.uuid4()), str(uuid.uuid4()), "special_assistance", "2026-11",
                  "420117", (_payment(), _payment()))
    second = Chunk(str(uuid.uuid4()), str(uuid.uuid4()), "reward_assistance_rural", "2026",
                   "420102", (_payment(), _payment(period="2025")))
    conn = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    try:
        async with conn.transaction():
            settled = PgSettled(conn)
            settled.store(first)
            settled.store(second)
            await settled.flush()
            rows = await conn.fetch(
                "SELECT payment_id, program_code, period, run_id, division_code, message_id,"
                " period_start, run_period, amount_fen, cert_checked FROM settled_payments"
                " WHERE payment_id = ANY($1::text[])",
                [p.payment_id for c in (first, second) for p in c.payments])
            stored = {row["payment_id"]: dict(row) for row in rows}
            # a redelivered chunk stores nothing new; a new one in its batch is stored
            third = Chunk(str(uuid.uuid4()), str(uuid.uuid4()), "special_assistance",
                          "2026-12", "420117", (_payment(),))
            again = PgSettled(conn)
            again.store(second)
            again.store(third)
            await again.flush()
            assert await conn.fetchval(
                "SELECT count(*) FROM settled_payments WHERE message_id = $1",
                uuid.UUID(second.message_id)) == 2
            assert await conn.fetchval(
                "SELECT run_period FROM settled_payments WHERE payment_id = $1",
                third.payments[0].payment_id) == "2026-12"
            assert again._new == {third.payments[0].payment_id}  # only it is judged
            raise _RollBack
    except _RollBack:
        pass
    finally:
        await conn.close()

    expected = {}
    for chunk in (first, second):
        for p in chunk.payments:
            period = p.period or chunk.period
            expected[p.payment_id] = {
                "payment_id": p.payment_id, "program_code": chunk.program_code,
                "period": period, "run_id": chunk.run_id,
                "division_code": chunk.division_code,
                "message_id": uuid.UUID(chunk.message_id),
                "period_start": date(int(period[:4]), int(period[5:] or 1), 1),
                "run_period": chunk.period, "amount_fen": 21_000, "cert_checked": True}
    assert stored == expected
    assert stored[second.payments[1].payment_id]["period"] == "2025"


async def test_a_payment_returned_in_the_batch_that_stores_it_is_not_paid_by_the_retry(
        siquan_env: Environment, oversight: ServiceProcess) -> None:
    """A payment, its return and the retry in one batch: the return is written with the
    chunks, before they are judged, so the retry is no second payment; the same two chunks
    without the return are."""
    def payment_and_retry(*, retry_sorts_first: bool = False) -> tuple[Chunk, Chunk]:
        ids = sorted(str(uuid.uuid4()) for _ in range(2))
        first = _payment().model_copy(update={"payment_id": ids[retry_sorts_first]})
        retry = first.model_copy(update={"payment_id": ids[not retry_sorts_first]})
        return (Chunk(str(uuid.uuid4()), str(uuid.uuid4()), "special_assistance", "2026-11",
                      "420117", (first,)),
                Chunk(str(uuid.uuid4()), str(uuid.uuid4()), "special_assistance", "2026-11",
                      "420117", (retry,)))

    conn = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    try:
        async with conn.transaction():
            settled = PgSettled(conn)
            returned = [payment_and_retry(), payment_and_retry(retry_sorts_first=True)]
            kept = payment_and_retry()
            chunks = [*returned[0], *returned[1], *kept]
            for chunk in chunks:
                settled.store(chunk)
            settled.mark_returned(pair[0].payments[0].payment_id for pair in returned)
            await settled.flush()
            found = await settled.settle(chunks, expectations(chunks), timedelta(days=30))
            raise _RollBack([(item.payment_id, earlier) for item, earlier, _ in found.again])
    except _RollBack as rolled_back:
        again = rolled_back.args[0]
    finally:
        await conn.close()

    assert again == [(kept[1].payments[0].payment_id, kept[0].payments[0].payment_id)]


class _RollBack(Exception):
    """Leaves the session's database as it was."""
