"""Freezing a run's roster in one transaction, for a county or a province (10^6 payees).

1. The candidates (certifications active in the run's period in the division, with their
   payee account, holds, live and refused payments of the run's and the arrears window's
   periods (for a one-off run: of any one-off period), suspensions) are gathered once
   into a temporary table.
2. `plain` candidates are paid by one INSERT ... SELECT: a person with this one
   certification of the program, an account, no hold, nothing paid, refused or suspended,
   no arrears owed, no recent account change and a category the policy pays. For them the
   domain's rules (`plan_person`) can only decide "pay the run's period at the policy's
   amount", so the database does it without a round trip per person.
3. Everyone else is streamed in person order through `plan_person`, and what it decides
   (payments with arrears, skips with reasons, flags) is copied in batches (COPY).
Memory holds the totals, skips and flags, never the roster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from uuid6 import uuid7

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.amounts import AmountTable
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.roster import (
    BENEFIT,
    Candidate,
    Flag,
    PayeeAccount,
    PlannedPayment,
    Skip,
    account_change_flag,
    plan_person,
)

_TABLE = """
CREATE TEMP TABLE roster_candidates (
    certification_id text, person_key text, program_code text, category text,
    division_code text, effective_from date, effective_until date, bank_code text,
    account_number text, registered_at timestamptz, previous_registered_at timestamptz,
    held boolean, paid text[], refused text[], suspensions date[], plain boolean
) ON COMMIT DROP
"""

# $1 program, $2 division, $3/$4 run period's first/last day, $5 run and arrear periods,
# $6 run period, $7 categories paid for it, $8 arrear periods, $9/$10 their first/last
# days, $11 accounts changed after this instant are flagged.
_GATHER = """
INSERT INTO roster_candidates
SELECT c.certification_id, c.person_key, c.program_code, c.category, c.division_code,
       c.effective_from, c.effective_until, c.bank_code, c.account_number, c.registered_at,
       c.previous_registered_at, c.held, c.paid, c.refused, c.suspensions,
       c.bank_code IS NOT NULL AND NOT c.held AND NOT c.shared
       AND cardinality(c.refused) = 0 AND cardinality(c.suspensions) = 0
       AND c.category = ANY($7::text[]) AND NOT ($6 = ANY(c.paid))
       AND NOT ($6 LIKE '____-O%' AND cardinality(c.paid) > 0)
       AND NOT (c.previous_registered_at IS NOT NULL AND c.registered_at > $11)
       AND NOT EXISTS (SELECT 1 FROM unnest($8::text[], $9::date[], $10::date[])
                              AS w (period, starts, ends)
                        WHERE c.effective_from <= w.ends
                          AND (c.effective_until IS NULL OR c.effective_until > w.starts)
                          AND NOT (w.period = ANY(c.paid)))
  FROM (
    SELECT t.certification_id, t.person_key, t.program_code, t.category, t.division_code,
           t.effective_from, t.effective_until, a.bank_code, a.account_number,
           a.registered_at, a.previous_registered_at,
           EXISTS (SELECT 1 FROM holds h WHERE h.person_key = t.person_key
                     AND h.lifted_at IS NULL
                     AND (h.program_code IS NULL OR h.program_code = t.program_code)) AS held,
           ARRAY(SELECT p.period FROM payments p WHERE p.person_key = t.person_key
                   AND p.program_code = t.program_code
                   AND (p.period = ANY($5::text[])
                        OR ($6 LIKE '____-O%' AND p.period LIKE '____-O%'))
                   AND p.item = 'benefit' AND p.status IN ('pending', 'settled')) AS paid,
           ARRAY(SELECT p.period FROM payments p WHERE p.person_key = t.person_key
                   AND p.program_code = t.program_code AND p.period = ANY($5::text[])
                   AND p.item = 'benefit' AND p.status IN ('failed', 'returned')
                   AND p.bank_code = a.bank_code AND p.account_number = a.account_number)
               AS refused,
           ARRAY(SELECT ARRAY[s.suspended_from, s.reinstated_from]
                   FROM certification_suspensions s
                  WHERE s.certification_id = t.certification_id) AS suspensions,
           EXISTS (SELECT 1 FROM certifications o WHERE o.person_key = t.person_key
                     AND o.program_code = t.program_code
                     AND o.certification_id <> t.certification_id) AS shared
      FROM certification_terms t
      LEFT JOIN payee_accounts a ON a.person_key = t.person_key
                                AND a.superseded_at IS NULL
     WHERE t.program_code = $1 AND t.division_code = $2 AND t.effective_from <= $4
       AND (t.effective_until IS NULL OR t.effective_until > $3)
    OFFSET 0  -- evaluate each subquery once, not again inside `plain`
  ) c
"""

# $1 run, $2 payment id prefix, $3 period, $4/$5 categories and their amounts. Ids follow
# person keys, so paying in id order walks the per-person unique index in order too.
_PAY_PLAIN = """
WITH paid AS (
    INSERT INTO payments (payment_id, run_id, certification_id, person_key, program_code,
                          period, item, amount_fen, bank_code, account_number)
    SELECT ($2 || lpad(to_hex(row_number() OVER (ORDER BY c.person_key)), 12, '0'))::uuid,
           $1,
           c.certification_id, c.person_key, c.program_code, $3, 'benefit', a.amount_fen,
           c.bank_code, c.account_number
      FROM roster_candidates c
      JOIN unnest($4::text[], $5::bigint[]) AS a (category, amount_fen)
        ON a.category = c.category
     WHERE c.plain
    RETURNING amount_fen)
SELECT count(*) AS n, COALESCE(sum(amount_fen), 0)::bigint AS fen FROM paid
"""

_OTHERS = """
SELECT * FROM roster_candidates WHERE NOT plain
 ORDER BY person_key, effective_from, certification_id
"""

PAYMENT_COLUMNS = ["payment_id", "run_id", "certification_id", "person_key", "program_code",
                   "period", "item", "amount_fen", "bank_code", "account_number"]


class PaymentIds:
    """Time-ordered payment ids (UUIDv7 layout): a random prefix per run and a counter in
    the last 48 bits, so a run's payments sit together in the primary key and are claimed
    in the order they were written. The database counts the plain ones with the same
    prefix; the rest continue after them."""

    def __init__(self) -> None:
        self.prefix = str(uuid7())[:24]
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return f"{self.prefix}{self.issued:012x}"


@dataclass
class FrozenRoster:
    payee_count: int = 0
    total_fen: int = 0
    arrears_count: int = 0
    arrears_fen: int = 0
    skipped: list[Skip] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


@dataclass(frozen=True)
class RosterQuery:
    run_id: str
    program_code: str
    division_code: str
    table: AmountTable
    started_at: datetime
    flag_days: int


async def freeze(conn: Connection, query: RosterQuery, *, batch: int = 10_000
                 ) -> FrozenRoster:
    """Write the run's payments; the caller's transaction holds them with the run row."""
    frozen, ids = FrozenRoster(), PaymentIds()
    await _gather(conn, query)
    categories = sorted(query.table.run.by_category.items())
    plain = await conn.fetchrow(_PAY_PLAIN, query.run_id, ids.prefix, query.table.run.period,
                                [c for c, _ in categories], [a for _, a in categories])
    assert plain is not None
    ids.issued = frozen.payee_count = plain["n"]
    frozen.total_fen = plain["fen"]
    pending: list[PlannedPayment] = []
    group: list[asyncpg.Record] = []
    async for row in conn.cursor(_OTHERS, prefetch=batch):
        if group and group[0]["person_key"] != row["person_key"]:
            pending += _decide(group, query, frozen)
            group = []
        group.append(row)
        if len(pending) >= batch:
            await copy_payments(conn, query.run_id, query.program_code, pending, ids)
            pending = []
    if group:
        pending += _decide(group, query, frozen)
    await copy_payments(conn, query.run_id, query.program_code, pending, ids)
    return frozen


async def _gather(conn: Connection, query: RosterQuery) -> None:
    table = query.table
    start, end = table.run.bounds
    arrears = [a.period for a in table.arrears]
    # one pass over every certification of the division: hash joins in memory, no JIT
    await conn.execute("SET LOCAL work_mem = '256MB'; SET LOCAL jit = off")
    await conn.execute(_TABLE)
    await conn.execute(
        _GATHER, query.program_code, query.division_code, start, end, list(table.periods),
        table.run.period, list(table.run.by_category), arrears,
        [a.bounds[0] for a in table.arrears], [a.bounds[1] for a in table.arrears],
        query.started_at - timedelta(days=query.flag_days))


def _decide(rows: list[asyncpg.Record], query: RosterQuery,
            frozen: FrozenRoster) -> list[PlannedPayment]:
    payments, skipped = plan_person([_candidate(r) for r in rows], query.table)
    frozen.skipped += skipped
    if payments:
        frozen.payee_count += len(payments)
        frozen.total_fen += sum(p.amount_fen for p in payments)
        arrears = [p.amount_fen for p in payments if p.arrear]
        frozen.arrears_count += len(arrears)
        frozen.arrears_fen += sum(arrears)
        row = next(r for r in rows if r["certification_id"] == payments[0].certification_id)
        flag = account_change_flag(
            row["person_key"], row["certification_id"], registered_at=row["registered_at"],
            previous_registered_at=row["previous_registered_at"],
            run_started_at=query.started_at, days=query.flag_days)
        if flag is not None:
            frozen.flags.append(flag)
    return payments


def _candidate(r: asyncpg.Record) -> Candidate:
    account = (PayeeAccount(r["bank_code"], r["account_number"])
               if r["bank_code"] is not None else None)
    return Candidate(
        certification=Certification(
            id=r["certification_id"], person_key=r["person_key"],
            program_code=r["program_code"], category=r["category"],
            division_code=r["division_code"], effective_from=r["effective_from"],
            effective_until=r["effective_until"],
            suspensions=tuple((s[0], s[1]) for s in (r["suspensions"] or ()))),
        account=account, held=r["held"], paid_periods=frozenset(r["paid"]),
        refused_periods=frozenset(r["refused"]))


async def copy_payments(conn: Connection, run_id: str, program_code: str,
                        payments: Sequence[PlannedPayment], ids: PaymentIds) -> None:
    if not payments:
        return
    await conn.copy_records_to_table("payments", columns=PAYMENT_COLUMNS, records=[
        (ids(), run_id, p.certification_id, p.person_key, program_code, p.period, BENEFIT,
         p.amount_fen, p.account.bank_code, p.account.account_number) for p in payments])
