"""A simulated bank: an external system with its own database (`SIQUAN_BANK_DSN`).

Each instruction is settled once, keyed by its payment id (the end-to-end reference) and
by its instruction key (the payable amount, `payment.instruction_key`): a batch of which
nothing is recorded yet (the usual case, the payer asks first) with one COPY, which the
unique indexes refuse otherwise, and then row by row with INSERT ... ON CONFLICT DO
NOTHING. The recorded result is what the bank answers, so a re-sent
instruction never transfers twice, and neither does a new payment id under a key already
recorded (a run started again after a restore of disbursement): it is answered with the
transfer recorded under the key, its reference included, and the payment id it was made
under (`transferred_as`).

What it does with an instruction (`BankBehaviour.decide`, by hashes):
- an account is *invalid* when its number ends in 0000 or its hash falls in
  `invalid_account_rate`, *frozen* when it ends in 0044 or its hash falls in the next
  `frozen_account_rate`: the payment fails, and keeps failing until the account changes;
- `failure_rate` refuses a share of payments chosen by a hash of the payment id;
- a settled payment is *returned* `return_days` later ("account closed") when its account
  ends in 0088 or a hash of its payment id falls in `return_rate`;
- `timeout_rate` is the chance that a batch is recorded but its answer is lost
  (`BankUnavailable`), as when the bank's front end times out;
- `latency_ms` delays each batch.
A fault campaign can also ask for one-off faults by inserting rows into the bank's
`bank_faults` table; the next batch takes one (`BANK_FAULTS`): `timeout` records the batch
and does not answer, `duplicate` answers every result twice, `late` records the batch and
answers `delay_ms` later.
Days come from the service's clock, so a test can move past a return date.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
)
from siquan.shared.clock import Clock, SystemClock

_SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS transfers (
        payment_id     uuid PRIMARY KEY,
        bank_code      text NOT NULL,
        account_number text NOT NULL,
        amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
        remittance     text NOT NULL,
        outcome        text NOT NULL CHECK (outcome IN ('settled', 'failed')),
        reason         text NOT NULL,
        bank_reference text,
        received_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((outcome = 'settled') = (bank_reference IS NOT NULL))
    )""",
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS settled_on date",
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS returns_on date",
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS return_reason text NOT NULL DEFAULT ''",
    "CREATE INDEX IF NOT EXISTS transfers_returns ON transfers (returns_on)"
    " WHERE returns_on IS NOT NULL",
    # one transfer per instruction key (none for an instruction without one)
    "ALTER TABLE transfers ADD COLUMN IF NOT EXISTS instruction_key uuid",
    "CREATE UNIQUE INDEX IF NOT EXISTS transfers_by_key ON transfers (instruction_key)",
    # faults a campaign asks of the bank, each taken by one batch (see `BANK_FAULTS`)
    """
    CREATE TABLE IF NOT EXISTS bank_faults (
        id       bigserial PRIMARY KEY,
        kind     text NOT NULL CHECK (kind IN ('timeout', 'duplicate', 'late')),
        delay_ms integer NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
        taken_at timestamptz
    )""",
]

# What the bank records of an instruction, in the order of `SimulatedBank._rows`.
_COLUMNS = {"payment_id": "uuid", "bank_code": "text", "account_number": "text",
            "amount_fen": "bigint", "remittance": "text", "outcome": "text", "reason": "text",
            "bank_reference": "text", "settled_on": "date", "returns_on": "date",
            "return_reason": "text", "instruction_key": "uuid"}
# The rows of a batch holding something recorded before: what is recorded (by payment id
# or by instruction key) is skipped, and the new ones are answered.
_SETTLE = f"""
INSERT INTO transfers ({", ".join(_COLUMNS)})
SELECT * FROM unnest({", ".join(f"${n}::{t}[]" for n, t in enumerate(_COLUMNS.values(), 1))})
ON CONFLICT DO NOTHING
RETURNING payment_id::text, outcome, bank_reference, reason
"""

# A chunk's ids are consecutive: the range between the lowest and the highest id asked for
# (usually empty: nothing was sent before) is read, not one probe per id, and what it holds
# is answered for the ids asked ($1/$2 the range's ends).
_RESULTS = """
SELECT payment_id::text, outcome, bank_reference, reason FROM transfers
 WHERE payment_id BETWEEN $1::uuid AND $2::uuid
"""

# What the bank recorded under the instruction keys of payment ids it holds nothing for:
# the recorded transfer, answered for the payment id asked and naming the payment id it
# was made under ($1 payment ids, $2 their keys).
_BY_KEY = """
SELECT i.payment_id::text, t.outcome, t.bank_reference, t.reason,
       t.payment_id::text AS transferred_as
  FROM unnest($1::uuid[], $2::uuid[]) AS i (payment_id, instruction_key)
  JOIN transfers t ON t.instruction_key = i.instruction_key
"""

BANK_FAULTS = ("timeout", "duplicate", "late")
_TAKE_FAULT = """
UPDATE bank_faults SET taken_at = now()
 WHERE id = (SELECT id FROM bank_faults WHERE taken_at IS NULL ORDER BY id
             LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING kind, delay_ms
"""

_RETURNS = """
SELECT payment_id, bank_reference, amount_fen, return_reason, returns_on FROM transfers
WHERE returns_on > $1 AND returns_on <= $2 ORDER BY returns_on, payment_id
"""

@dataclass(frozen=True)
class BankBehaviour:
    failure_rate: float = 0.0
    invalid_account_rate: float = 0.0
    frozen_account_rate: float = 0.0
    return_rate: float = 0.0
    return_days: int = 3
    timeout_rate: float = 0.0
    latency_ms: int = 0

    def decide(self, instructions: Sequence[PaymentInstruction]
               ) -> tuple[list[str | None], list[bool]]:
        """What the bank does with each instruction: its refusal (None: it settles) and
        whether the money settled comes back. The chosen shares are picked by hashes
        (8 hex digits of an MD5, out of 2^32): the account number's for invalid and frozen
        accounts, the payment id's for refusals and returns — the same instruction always
        meets the same fate."""
        invalid = _out_of_2_32(self.invalid_account_rate)
        blocked = _out_of_2_32(self.invalid_account_rate + self.frozen_account_rate)
        refused, returned = _out_of_2_32(self.failure_rate), _out_of_2_32(self.return_rate)
        refusals: list[str | None] = []
        returns: list[bool] = []
        for i in instructions:
            ending = i.account_number[-4:]
            account = _hash32(i.account_number) if blocked else blocked
            digest = _md5(i.payment_id.lower()) if refused or returned else "0" * 16
            if ending == "0000" or account < invalid:
                refusals.append("invalid account")
            elif ending == "0044" or account < blocked:
                refusals.append("account frozen")
            elif int(digest[:8], 16) < refused:
                refusals.append("refused by the bank (simulated)")
            else:
                refusals.append(None)
            returns.append(ending == "0088" or int(digest[8:16], 16) < returned)
        return refusals, returns


class SimulatedBank:
    def __init__(self, dsn: str, behaviour: BankBehaviour | None = None, *,
                 clock: Clock | None = None) -> None:
        self._dsn, self._clock = dsn, clock or SystemClock()
        self.behaviour = behaviour or BankBehaviour()
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
        async with self._connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('transfers', 0))")
            for statement in _SCHEMA:
                await conn.execute(statement)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        if self.behaviour.latency_ms:
            await asyncio.sleep(self.behaviour.latency_ms / 1000)
        rows = self._rows(instructions)
        async with self._connection() as conn:
            if await _copied(conn, rows):
                results = [BankResult(r[0], r[5], r[7], r[6]) for r in rows]
            else:  # some were recorded before, or came twice
                results = _results(await conn.fetch(
                    _SETTLE, *(list(column) for column in zip(*rows, strict=True))))
            fault = await conn.fetchrow(_TAKE_FAULT) if instructions else None
            kind = fault["kind"] if fault is not None else None
            if kind == "timeout" or random.random() < self.behaviour.timeout_rate:
                raise BankUnavailable(f"batch {batch}: no answer from the bank (simulated)")
            if len(results) < len(instructions):  # some were recorded before: answer those
                fresh = {r.payment_id for r in results}
                results += await _recorded(conn, [
                    i.payment_id for i in instructions if i.payment_id not in fresh])
            if len(results) < len(instructions):  # new payment ids under recorded keys
                fresh = {r.payment_id for r in results}
                again = [i for i in instructions if i.payment_id not in fresh]
                results += _results(await conn.fetch(
                    _BY_KEY, [i.payment_id for i in again],
                    [i.instruction_key or None for i in again]))
        if kind == "late":
            await asyncio.sleep(fault["delay_ms"] / 1000)
        return results + results if kind == "duplicate" else results

    def _rows(self, instructions: Sequence[PaymentInstruction]) -> list[tuple[Any, ...]]:
        """What the bank records of each instruction (`_COLUMNS`): its decision
        (`BankBehaviour.decide`), a reference when it settles, the day it comes back when it
        is returned. Payment ids come in the canonical form the database writes them in;
        a malformed one is a caller's bug, which the COPY into the uuid column refuses."""
        refusals, returns = self.behaviour.decide(instructions)
        today = self._clock.today()
        back_on = today + timedelta(days=self.behaviour.return_days)
        rows: list[tuple[Any, ...]] = []
        for i, refusal, returned in zip(instructions, refusals, returns, strict=True):
            settled = refusal is None
            comes_back = settled and returned
            rows.append((i.payment_id, i.bank_code, i.account_number, i.amount_fen,
                         i.remittance, "settled" if settled else "failed", refusal or "",
                         "SIM" + i.payment_id.replace("-", "").upper() if settled else None,
                         today if settled else None, back_on if comes_back else None,
                         "account closed" if comes_back else "", i.instruction_key or None))
        return rows

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        async with self._connection() as conn:
            return await _recorded(conn, payment_ids)

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        async with self._connection() as conn:
            rows = await conn.fetch(_RETURNS, after, through)
        return [BankReturn(str(r["payment_id"]), r["bank_reference"], r["amount_fen"],
                           r["return_reason"], r["returns_on"]) for r in rows]

    def _connection(self) -> asyncpg.pool.PoolAcquireContext:
        # The bank's own database, another institution's system: not disbursement's, so
        # not a unit of work of disbursement's.
        if self._pool is None:
            raise RuntimeError("simulated bank not opened")
        return self._pool.acquire()


async def _copied(conn: asyncpg.pool.PoolConnectionProxy, rows: list[tuple[Any, ...]]
                  ) -> bool:
    """Record a batch none of which the bank holds with one COPY; False, having recorded
    nothing, when the unique indexes refuse it (one is held by payment id or instruction
    key, or comes twice)."""
    if not rows:
        return True
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("transfers", records=rows, columns=list(_COLUMNS))
    except asyncpg.UniqueViolationError:
        return False
    return True


def _out_of_2_32(rate: float) -> int:
    return round(min(rate, 1.0) * 0x1_0000_0000)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _hash32(text: str) -> int:
    """A stable number in [0, 2^32) from the first 8 hex digits of the text's MD5."""
    return int(_md5(text)[:8], 16)


async def _recorded(conn: asyncpg.pool.PoolConnectionProxy, payment_ids: Sequence[str]
                    ) -> list[BankResult]:
    if not payment_ids:
        return []
    # ids in the canonical form the database writes them in (a chunk's, read as text)
    # compare as text in the order of PostgreSQL's uuid
    asked = set(payment_ids)
    return _results([r for r in await conn.fetch(_RESULTS, min(asked), max(asked))
                     if r["payment_id"] in asked])


def _results(rows: list[asyncpg.Record]) -> list[BankResult]:
    return [BankResult(*r) for r in rows]
