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
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

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

# The bank records each instruction with what it decided (`BankBehaviour.decide`): $6
# today, $7 return days, $9 the refusal (NULL: settled), $10 whether it is returned later.
_SETTLE = """
INSERT INTO transfers (payment_id, bank_code, account_number, amount_fen, remittance,
                       outcome, reason, bank_reference, settled_on, returns_on, return_reason,
                       instruction_key)
SELECT payment_id, bank_code, account_number, amount_fen, remittance,
       CASE WHEN refusal IS NULL THEN 'settled' ELSE 'failed' END, COALESCE(refusal, ''),
       CASE WHEN refusal IS NULL
            THEN 'SIM' || upper(replace(payment_id::text, '-', '')) END,
       CASE WHEN refusal IS NULL THEN $6::date END,
       CASE WHEN refusal IS NULL AND returned THEN $6::date + $7::int END,
       CASE WHEN refusal IS NULL AND returned THEN 'account closed' ELSE '' END,
       instruction_key
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $8::uuid[],
              $9::text[], $10::bool[])
       AS i (payment_id, bank_code, account_number, amount_fen, remittance, instruction_key,
             refusal, returned)
ON CONFLICT DO NOTHING
RETURNING payment_id::text, outcome, bank_reference, reason
"""

# A chunk's ids are consecutive: the range between the lowest and the highest id asked for
# (usually empty: nothing was sent before) is read, not one probe per id.
_RESULTS = """
WITH asked AS MATERIALIZED (SELECT unnest($1::uuid[]) AS payment_id)
SELECT payment_id::text, outcome, bank_reference, reason FROM transfers
 WHERE payment_id BETWEEN (SELECT min(payment_id::text)::uuid FROM asked)
                      AND (SELECT max(payment_id::text)::uuid FROM asked)
   AND payment_id IN (SELECT payment_id FROM asked)
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

# What `_SETTLE` writes, in the order of `SimulatedBank._settle_new`'s rows.
_COLUMNS = ["payment_id", "bank_code", "account_number", "amount_fen", "remittance", "outcome",
            "reason", "bank_reference", "settled_on", "returns_on", "return_reason",
            "instruction_key"]

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
        refusals, returns = self.behaviour.decide(instructions)
        today = self._clock.today()
        async with self._connection() as conn:
            results = await self._settle_new(conn, instructions, refusals, returns, today)
            if results is None:  # some were recorded before, or came twice
                results = (_results(await conn.fetch(
                    _SETTLE, [i.payment_id for i in instructions],
                    [i.bank_code for i in instructions],
                    [i.account_number for i in instructions],
                    [i.amount_fen for i in instructions], [i.remittance for i in instructions],
                    today, self.behaviour.return_days,
                    [i.instruction_key or None for i in instructions], refusals, returns))
                    if instructions else [])
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

    async def _settle_new(self, conn: asyncpg.pool.PoolConnectionProxy,
                          instructions: Sequence[PaymentInstruction],
                          refusals: Sequence[str | None], returns: Sequence[bool], today: date
                          ) -> list[BankResult] | None:
        """Record a batch of instructions none of which the bank holds yet with one COPY,
        what `_SETTLE` records for each; None, having recorded nothing, when one of them is
        held already (by payment id or by instruction key) or is not a valid id: `_SETTLE`
        then sorts the batch out row by row."""
        if not instructions:
            return []
        try:
            ids = [uuid.UUID(i.payment_id) for i in instructions]
            keys = [uuid.UUID(i.instruction_key) if i.instruction_key else None
                    for i in instructions]
        except ValueError:
            return None
        back_on = today + timedelta(days=self.behaviour.return_days)
        rows = []
        results = []
        for i, payment_id, key, refusal, returned in zip(instructions, ids, keys, refusals,
                                                          returns, strict=True):
            settled = refusal is None
            reference = "SIM" + payment_id.hex.upper() if settled else None
            comes_back = settled and returned
            rows.append((payment_id, i.bank_code, i.account_number, i.amount_fen,
                         i.remittance, "settled" if settled else "failed", refusal or "",
                         reference, today if settled else None,
                         back_on if comes_back else None,
                         "account closed" if comes_back else "", key))
            results.append(BankResult(str(payment_id), "settled" if settled else "failed",
                                      reference, refusal or ""))
        try:
            async with conn.transaction():
                await conn.copy_records_to_table("transfers", records=rows, columns=_COLUMNS)
        except asyncpg.UniqueViolationError:
            return None
        return results

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
    return _results(await conn.fetch(_RESULTS, list(payment_ids)))


def _results(rows: list[asyncpg.Record]) -> list[BankResult]:
    return [BankResult(*r) for r in rows]
