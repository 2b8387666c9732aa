"""A simulated bank: an external system with its own database (`SIQUAN_BANK_DSN`).

Each instruction is settled once, keyed by its payment id (the end-to-end reference) with
INSERT ... ON CONFLICT DO NOTHING; the recorded result is what the bank answers, so a
re-sent instruction never transfers twice. Accounts ending in 0000 fail ("invalid
account"); `failure_rate` refuses a share of instructions, chosen by a hash of the payment
id so a re-send gets the same answer; `latency_ms` delays each chunk.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

import asyncpg

from siquan.disbursement.application.ports import BankResult, PaymentInstruction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    payment_id     uuid PRIMARY KEY,
    bank_code      text NOT NULL,
    account_number text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    remittance     text NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('settled', 'failed')),
    reason         text NOT NULL,
    bank_reference text UNIQUE,
    received_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'settled') = (bank_reference IS NOT NULL))
)"""

_SETTLE = """
INSERT INTO transfers (payment_id, bank_code, account_number, amount_fen, remittance,
                       outcome, reason, bank_reference)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                     $6::text[], $7::text[], $8::text[])
ON CONFLICT (payment_id) DO NOTHING
"""

_RESULTS = """
SELECT payment_id, outcome, bank_reference, reason FROM transfers
WHERE payment_id = ANY($1::uuid[])
"""


class SimulatedBank:
    def __init__(self, dsn: str, *, failure_rate: float = 0.0, latency_ms: int = 0) -> None:
        self._dsn, self._failure_rate, self._latency_ms = dsn, failure_rate, latency_ms
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
        async with self._connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('transfers', 0))")
            await conn.execute(_SCHEMA)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def instruct(self, instructions: Sequence[PaymentInstruction]) -> list[BankResult]:
        if self._latency_ms:
            await asyncio.sleep(self._latency_ms / 1000)
        rows = [(i.payment_id, i.bank_code, i.account_number, i.amount_fen, i.remittance,
                 *self._decide(i)) for i in instructions]
        columns = [list(column) for column in zip(*rows, strict=True)]
        async with self._connection() as conn:
            if columns:
                await conn.execute(_SETTLE, *columns)
            return _results(await conn.fetch(_RESULTS, [i.payment_id for i in instructions]))

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        async with self._connection() as conn:
            return _results(await conn.fetch(_RESULTS, list(payment_ids)))

    def _decide(self, instruction: PaymentInstruction) -> tuple[str, str, str | None]:
        digest = hashlib.sha256(instruction.payment_id.encode()).hexdigest()
        if instruction.account_number.endswith("0000"):
            return "failed", "invalid account", None
        if int(digest[:8], 16) / 0x1_0000_0000 < self._failure_rate:
            return "failed", "refused by the bank (simulated)", None
        return "settled", "", f"SIM{digest[:20].upper()}"

    def _connection(self) -> asyncpg.pool.PoolAcquireContext:
        if self._pool is None:
            raise RuntimeError("simulated bank not opened")
        return self._pool.acquire()


def _results(rows: list[asyncpg.Record]) -> list[BankResult]:
    return [BankResult(str(r["payment_id"]), r["outcome"], r["bank_reference"], r["reason"])
            for r in rows]
