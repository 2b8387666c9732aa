"""A run's payments: written with the roster, worked a chunk at a time, finished with their
results, returned. The chunk paths are bulk paths on the unit's connection: one
statement per chunk, never one per payment.

A payer claims a chunk by locking its one row (`FOR UPDATE SKIP LOCKED`: competing payers
of any instance never take the same chunk; a crashed one's lock goes with its
transaction). The chunk's payments are read with their obstacle under `payable.PAYABLE`,
computed in the database as of now, for the re-check right before the bank, and with the
holder's name registered with the account the order was written to (the latest
registration of that account; an order keeps the account, not the name).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg

from siquan.contracts.periods import period_bounds
from siquan.disbursement.adapters import roster
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.payable_sql import Subject, facts
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.application.repositories import AlreadyPaying, Disputed, Returned
from siquan.disbursement.domain.chunk import Chunk, ChunkPayment, Outcome
from siquan.disbursement.domain.payable import PAYABLE
from siquan.disbursement.domain.payment import instruction_key
from siquan.disbursement.domain.payment_run import RunTotals
from siquan.disbursement.domain.roster import FrozenRoster, PlannedPayment, RosterQuery
from siquan.shared.database import by_key

_CLAIM = """
SELECT k.chunk, k.first_payment_id, k.last_payment_id, r.program_code
  FROM payment_chunks k JOIN payment_runs r USING (run_id)
 WHERE k.run_id = $1 AND k.done_at IS NULL AND k.chunk <> ALL($2::int[])
 ORDER BY k.chunk LIMIT 1
   FOR UPDATE OF k SKIP LOCKED
"""

_PERIODS = """
SELECT DISTINCT period FROM payment_orders WHERE payment_id BETWEEN $2 AND $3 AND run_id = $1
"""

# $1 run, $2/$3 the chunk's first and last payment id, $4/$5/$6 its periods and their
# first and last days, $7 the run's program (every payment of a run is of its program, and
# a constant lets the holds in force be hashed once rather than scanned for every row).
_OBSTACLE = PAYABLE.sql_obstacle(facts(
    Subject(certification="p.certification_id", person="p.person_key",
            program="$7::text", period="p.period", period_start="b.starts",
            period_end="b.ends", item="p.item", payment="p.payment_id", live="p.live"),
    certified_from="p.certified_from", certified_until="r.effective_from",
    benefits_end="d.benefits_end", has_account="p.account_number IS NOT NULL",
    # an order is written only to an account the roster or the retry planner found
    # confirmed; a change registered since does not touch the order
    account_unconfirmed="false",
    # the run's status, read once for the chunk (an InitPlan), not joined to every row
    allocated="(SELECT run.status FROM payment_runs run WHERE run.run_id = $1) = 'allocated'"))
# `earlier`: the orders of the same payable amount written before (none of them live: one
# live order at a time), for the payment's instruction key (`payment.instruction_key`); the
# holder's name is the order's own, written with its account (migration 0023)
_CHUNK = f"""
SELECT p.payment_id::text, p.person_key, p.certification_id, p.period, p.item,
       p.amount_fen, p.bank_code, p.account_number,
       (SELECT count(*) FROM payment_orders q WHERE q.person_key = p.person_key
           AND q.program_code = p.program_code AND q.period = p.period AND NOT q.live
           AND q.item = p.item) AS earlier,
       {_OBSTACLE} AS obstacle, COALESCE(p.account_name, '') AS account_name
  FROM payment_orders p
  JOIN unnest($4::text[], $5::date[], $6::date[]) AS b (period, starts, ends)
    ON b.period = p.period
  LEFT JOIN certification_revocations r ON r.certification_id = p.certification_id
  LEFT JOIN deaths d ON d.person_key = p.person_key
 WHERE p.payment_id BETWEEN $2 AND $3 AND p.run_id = $1 AND p.program_code = $7
   AND NOT EXISTS (SELECT 1 FROM payment_results x WHERE x.payment_id = p.payment_id)
 ORDER BY p.payment_id
"""

# A result for each payment of the chunk, written by COPY (a second result for a payment
# breaks the primary key); those that moved no money stop being live.
_RESULT_COLUMNS = ["payment_id", "status", "reason", "bank_reference", "chunk", "finished_at",
                   "transferred_as"]
_VOID = "UPDATE payment_orders SET live = false WHERE payment_id = ANY($1::uuid[]) AND live"
# The chunk is done, with what its results came to (migration 0021: `RUN_TOTALS` adds
# them up rather than reading the run's payments).
_TALLIED = [f"{status}_{what}" for status in ("settled", "failed", "cancelled")
            for what in ("count", "fen")]
_DONE = ("UPDATE payment_chunks SET done_at = $3, "
         + ", ".join(f"{t} = ${i}" for i, t in enumerate(_TALLIED, start=4))
         + " WHERE run_id = $1 AND chunk = $2")

# The payments of chunk $2 the bank owes a correction for ($3) move to a new chunk of the
# run ($1): the span of their ids (the chunk's others have their results, so they are the
# only payments of the run without one in it), the next number (the run's row is locked
# first: two payers never take the same), and the chunk keeps the count of the others.
_SET_APART = """
WITH held AS (
    SELECT min(x::text)::uuid AS first, max(x::text)::uuid AS last, count(*) AS n
      FROM unnest($3::uuid[]) AS x
), kept AS (
    UPDATE payment_chunks SET payee_count = payee_count - (SELECT n FROM held)
     WHERE run_id = $1 AND chunk = $2
)
INSERT INTO payment_chunks (run_id, chunk, first_payment_id, last_payment_id, payee_count)
SELECT $1, (SELECT max(chunk) + 1 FROM payment_chunks WHERE run_id = $1), first, last, n
  FROM held
RETURNING chunk
"""

# A run's payments are the range of ids its chunks span ($1 the run; uuid has no min()).
RUN_SPAN = """
SELECT min(first_payment_id::text)::uuid AS first, max(last_payment_id::text)::uuid AS last
  FROM payment_chunks WHERE run_id = $1
"""
# A run's payments counted and summed by result, for the run correlated as `r.run_id`:
# the results as its chunks tallied them when they were recorded (and returned), and the
# payments still without a result, read only within the span of its chunks not yet done
# (none once the run is finished). `settled_chunks` and `failed_chunks`: how many chunks
# had payments settled (returned since or not) and failed.
RUN_TOTALS = f"""
SELECT d.settled_count - d.returned_count AS settled_count,
       d.settled_fen - d.returned_fen AS settled_fen,
       d.failed_count, d.failed_fen, d.cancelled_count, d.cancelled_fen,
       d.returned_count, d.returned_fen, w.pending_count, w.pending_fen,
       d.settled_chunks, d.failed_chunks
  FROM (SELECT {", ".join(f"COALESCE(sum(k.{t}), 0)::bigint AS {t}" for t in (
                   "settled_count", "settled_fen", "failed_count", "failed_fen",
                   "cancelled_count", "cancelled_fen", "returned_count", "returned_fen"))},
               count(*) FILTER (WHERE k.settled_count > 0) AS settled_chunks,
               count(*) FILTER (WHERE k.failed_count > 0) AS failed_chunks
          FROM payment_chunks k WHERE k.run_id = r.run_id AND k.done_at IS NOT NULL) d,
       (SELECT count(*) AS pending_count, COALESCE(sum(o.amount_fen), 0)::bigint AS pending_fen
          FROM (SELECT min(first_payment_id::text)::uuid AS first,
                       max(last_payment_id::text)::uuid AS last
                  FROM payment_chunks c WHERE c.run_id = r.run_id AND c.done_at IS NULL) span
          JOIN payment_orders o ON o.payment_id BETWEEN span.first AND span.last
         WHERE o.run_id = r.run_id
           AND NOT EXISTS (SELECT 1 FROM payment_results x
                            WHERE x.payment_id = o.payment_id)) w
"""
_RUN_TOTALS = f"SELECT t.* FROM payment_runs r, LATERAL ({RUN_TOTALS}) t WHERE r.run_id = $1"

# The run's disputes whose payment has no result yet: their payments, counted and summed
# once however many batches the bank misstated them in, and those batches.
_DISPUTED = """
WITH open AS (
    SELECT d.payment_id, d.batch FROM bank_result_disputes d
     WHERE d.run_id = $1
       AND NOT EXISTS (SELECT 1 FROM payment_results x WHERE x.payment_id = d.payment_id)
)
SELECT count(*) AS n, COALESCE(sum(o.amount_fen), 0) AS fen,
       (SELECT array_agg(DISTINCT batch ORDER BY batch) FROM open) AS batches
  FROM payment_orders o WHERE o.payment_id IN (SELECT payment_id FROM open)
"""

# A settled payment becomes returned (same amount and bank reference) and stops being live;
# its chunk counts it returned.
_MARK_RETURNED = """
WITH returned AS (
    UPDATE payment_results x
       SET returned_on = r.returned_on, return_reason = r.reason
      FROM unnest($1::uuid[], $2::date[], $3::text[], $4::bigint[], $5::text[])
           AS r (payment_id, returned_on, reason, amount_fen, bank_reference),
           payment_orders o
     WHERE x.payment_id = r.payment_id AND o.payment_id = x.payment_id
       AND x.status = 'settled' AND x.returned_on IS NULL
       AND o.amount_fen = r.amount_fen AND x.bank_reference = r.bank_reference
    RETURNING x.payment_id, o.run_id, o.person_key, o.period, o.amount_fen,
              x.bank_reference, x.return_reason, x.returned_on, o.item, x.chunk
), voided AS (
    UPDATE payment_orders o SET live = false FROM returned r
     WHERE o.payment_id = r.payment_id
), tallied AS (
    UPDATE payment_chunks k
       SET returned_count = k.returned_count + t.n, returned_fen = k.returned_fen + t.fen
      FROM (SELECT run_id, COALESCE(chunk, -1) AS chunk, count(*) AS n,
                   sum(amount_fen) AS fen
              FROM returned GROUP BY run_id, COALESCE(chunk, -1)) t
     WHERE k.run_id = t.run_id AND k.chunk = t.chunk
)
SELECT * FROM returned
"""


class PgPayments:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def freeze(self, query: RosterQuery) -> FrozenRoster:
        try:
            return await roster.freeze(self._conn, query)
        except asyncpg.UniqueViolationError as exc:
            raise AlreadyPaying(str(exc)) from exc

    async def add(self, run_id: str, program_code: str, payments: Sequence[PlannedPayment],
                  chunk_size: int) -> None:
        ids = roster.PaymentIds()
        try:
            await roster.copy_payments(self._conn, run_id, program_code, payments, ids)
        except asyncpg.UniqueViolationError as exc:
            raise AlreadyPaying(str(exc)) from exc
        await roster.add_chunks(self._conn, run_id, ids, chunk_size)

    async def claim_chunk(self, run_id: str, aside: Collection[int] = ()) -> Chunk | None:
        claimed = await self._conn.fetchrow(_CLAIM, run_id, list(aside))
        if claimed is None:
            return None
        number, first, last, program = claimed
        periods = [r["period"] for r in await self._conn.fetch(_PERIODS, run_id, first, last)]
        bounds = [period_bounds(p) for p in periods]
        async with by_key(self._conn, in_key_order=True):  # a chunk: a range of the key
            rows = await self._conn.fetch(_CHUNK, run_id, first, last, periods,
                                          [b[0] for b in bounds], [b[1] for b in bounds],
                                          program)
        return Chunk(run_id, number, [ChunkPayment(
            row["payment_id"], row["person_key"], row["certification_id"], row["period"],
            row["item"], row["amount_fen"], row["bank_code"], row["account_number"],
            instruction_key(row["person_key"], program, row["period"], row["item"],
                            row["earlier"]),
            row["obstacle"], row["account_name"]) for row in rows])

    async def record(self, chunk: Chunk, outcomes: dict[str, Outcome], at: datetime, *,
                     disputed: Collection[str] = ()) -> None:
        if disputed:
            await self._conn.execute(
                "SELECT 1 FROM payment_runs WHERE run_id = $1 FOR UPDATE", chunk.run_id)
            await self._conn.fetchval(_SET_APART, chunk.run_id, chunk.number, list(disputed))
        if outcomes:
            await self._conn.copy_records_to_table(
                "payment_results", columns=_RESULT_COLUMNS, records=[
                    (i, "settled", "", o.bank_reference, chunk.number, at, o.transferred_as)
                    if o.status == "settled" else
                    (i, o.status, o.reason, None, chunk.number, at, None)
                    for i, o in outcomes.items()])
            void = [i for i, o in outcomes.items() if o.status != "settled"]
            if void and await self._conn.execute(_VOID, void) != f"UPDATE {len(void)}":
                raise RuntimeError("a payment that moved no money was not live")
        tallies = dict.fromkeys(_TALLIED, 0)
        amounts = {p.payment_id: p.amount_fen for p in chunk.payments}
        for payment_id, outcome in outcomes.items():
            tallies[f"{outcome.status}_count"] += 1
            tallies[f"{outcome.status}_fen"] += amounts[payment_id]
        await self._conn.execute(_DONE, chunk.run_id, chunk.number, at, *tallies.values())

    async def note_dispute(self, run_id: str, payment_id: str, batch: str, kind: str,
                           found_at: datetime) -> None:
        try:
            key = uuid.UUID(payment_id)
        except ValueError:
            return  # a line naming no payment id of ours
        await self._conn.execute(
            "INSERT INTO bank_result_disputes (payment_id, batch, run_id, kind, found_at)"
            " SELECT o.payment_id, $3, o.run_id, $4, $5 FROM payment_orders o"
            " WHERE o.payment_id = $1 AND o.run_id = $2"
            " ON CONFLICT (payment_id, batch) DO NOTHING", key, run_id, batch, kind, found_at)

    async def disputed(self, run_id: str) -> Disputed:
        row = await self._conn.fetchrow(_DISPUTED, run_id)
        return Disputed(int(row["n"]), int(row["fen"]), tuple(row["batches"] or ()))

    async def any_pending(self, run_id: str) -> bool:
        found: bool = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM payment_chunks WHERE run_id = $1"
            " AND done_at IS NULL)", run_id)
        return found

    async def totals(self, run_id: str) -> RunTotals:
        return (await self.totals_with_chunks(run_id))[0]

    async def totals_with_chunks(self, run_id: str) -> tuple[RunTotals, int, int]:
        row = await self._conn.fetchrow(_RUN_TOTALS, run_id)
        if row is None:
            return RunTotals(), 0, 0
        values = dict(row)
        settled, failed = values.pop("settled_chunks"), values.pop("failed_chunks")
        return RunTotals(**{k: int(v) for k, v in values.items()}), int(settled), int(failed)

    async def mark_returned(self, returns: Sequence[BankReturn]) -> list[Returned]:
        rows = await self._conn.fetch(
            _MARK_RETURNED, [r.payment_id for r in returns], [r.returned_on for r in returns],
            [r.reason for r in returns], [r.amount_fen for r in returns],
            [r.bank_reference for r in returns])
        return [Returned(str(r["payment_id"]), str(r["run_id"]), r["person_key"], r["period"],
                         r["amount_fen"], r["bank_reference"], r["return_reason"],
                         r["returned_on"], r["item"]) for r in rows]
