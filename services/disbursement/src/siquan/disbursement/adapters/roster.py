"""Freezing a run's roster in one statement per step, for a county or a province (10^6
payees). A bulk path: it works on the unit's connection directly, set-based.

1. One statement reads every certification of the program in force for the run's period
   in the division (`payable.IN_FORCE`, in SQL) with the facts the rule weighs, and pays
   the *plain* ones by INSERT ... SELECT: `payable.PLANNABLE` allows them (in SQL) and
   nothing else about them needs the domain's judgement (one certification of the program
   on the roster, never suspended, no payment of the window failed, cancelled or
   returned, no arrears owed, no one-off paid, no recent account change, a category the
   policy pays, not a household member for a per-household program). For them
   `roster.plan_person` could only decide "pay the run's period at the policy's amount".
   The others go to a temporary table, and so do the certifications (spans of them in the
   division) not in force for the run's period that were for a period of the arrears
   window nobody paid (`ArrearsOwedWhateverFollowed`: revoked, lapsed or dead since,
   transferred out, of another category since).
2. The others (few) are read with the rest of their facts in person order, decided by
   `plan_person`, and copied (COPY).
   Where the policy allows offsets, a person or household an open receivable of the
   program is owed by is never plain: `offsets.apply_offsets` withholds it from what the
   person is owed here.
3. Each person paid for the run's period is paid the top-ups a raise owes for periods
   earlier runs paid at a lower amount (`top_ups.TopUpAfterRaise`), found set-based, as
   far back as the first run (`RosterQuery.top_ups`), not only within the arrears window.
4. The payments are cut into chunks of consecutive ids for the payers.
Memory holds the totals, skips and flags, never the roster.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from uuid6 import uuid7

from siquan.contracts.periods import period_bounds, period_end, period_start
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.payable_sql import held, suspended
from siquan.disbursement.domain.amounts import AmountTable
from siquan.disbursement.domain.certification import Certification, open_suspensions
from siquan.disbursement.domain.offsets import OpenReceivable, apply_offsets
from siquan.disbursement.domain.payable import IN_FORCE, PLANNABLE
from siquan.disbursement.domain.roster import (
    Candidate,
    FrozenRoster,
    PayeeAccount,
    PlannedPayment,
    RosterQuery,
    account_change_flag,
    is_one_off,
    once_per_household,
    plan_person,
)
from siquan.disbursement.domain.top_ups import PaidBefore, top_up

_OTHERS_TABLE = """
CREATE TEMP TABLE roster_others (
    certification_id text, person_key text, program_code text, category text,
    division_code text, effective_from date, revoked_from date, benefits_end date,
    bank_code text, account_number text, account_name text, registered_at timestamptz,
    previous_registered_at timestamptz, account_unconfirmed boolean, held boolean,
    paid text[], household_key text
) ON COMMIT DROP
"""

# $1 program, $2 division, $3/$4 the run period's first/last day (a certification is a
# candidate when it is in force for a period from the window's first, $10, to the run's:
# one not owed the run's period may still be owed arrears), $5 the periods whose
# payments count (the run's and the arrears window's; NULL for a one-off run: every
# period of the program), $6 the run's period ($9/$11: see `_PAY_PLAIN`). A period of the
# run or its window that ends before the first day a migrated certification is owed was
# paid by the system it came from (`roster_import`) and counts as paid. The periods earlier
# runs paid are probed per row (the program's payments grow run after run; the index finds
# a person's few); the migrated periods (one row per migrated certification of the
# program at most) and the offsets (rare) are grouped once and hash-joined, and so are
# the other facts (hashed subqueries), never a subquery per row of a table that is
# usually empty.
_FACTS = {
    "certified_from": "c.effective_from",
    "certified_until": "LEAST(r.effective_from, c.span_until)",
    "benefits_end": "d.benefits_end", "period_start": "COALESCE(($10::date[])[1], $3)",
    "period_end": "$4",
}
_CANDIDATES = f"""
SELECT c.certification_id, c.person_key, c.category, c.effective_from, c.household_key,
       LEAST(r.effective_from, c.span_until) AS revoked_from, d.benefits_end, a.bank_code,
       a.account_number, a.account_name,
       a.registered_at, a.previous_registered_at,
       a.person_key IS NOT NULL AND a.confirmed_at IS NULL AS account_unconfirmed,
       {held("c.person_key", "$1")} AS held,
       {suspended("c.certification_id")} AS suspended,
       c.certification_id IN (SELECT certification_id FROM certification_suspensions)
           AS ever_suspended,
       c.person_key IN (SELECT person_key FROM payment_orders WHERE program_code = $1
                          AND NOT live AND ($5::text[] IS NULL OR period = ANY($5)))
           AS ever_voided,
       c.person_key IN (SELECT x.person_key FROM certifications x
                         WHERE x.program_code = ANY($19::text[]))
           OR c.person_key IN (SELECT x.person_key FROM payment_orders x
                                WHERE x.program_code = ANY($19::text[]) AND x.live)
           AS exclusive,
       ARRAY(SELECT p.period FROM payment_orders p WHERE p.person_key = c.person_key
               AND p.program_code = $1 AND ($5::text[] IS NULL OR p.period = ANY($5))
               AND p.item = 'benefit' AND p.live)
       || COALESCE(migrated.periods, '{{}}') || COALESCE(offset_periods.periods, '{{}}')
           AS paid
  FROM certification_spans c
  LEFT JOIN certification_revocations r ON r.certification_id = c.certification_id
  LEFT JOIN deaths d ON d.person_key = c.person_key
  LEFT JOIN payee_accounts a ON a.person_key = c.person_key AND a.superseded_at IS NULL
  LEFT JOIN (SELECT m.certification_id, array_agg(w.period) AS periods
               FROM migrated_paid_through m,
                    unnest(array_append($9::text[], $6::text),
                           array_append($11::date[], $4::date)) AS w (period, ends)
              WHERE m.program_code = $1 AND w.ends < m.owed_from
              GROUP BY m.certification_id) migrated
         ON migrated.certification_id = c.certification_id
  LEFT JOIN (SELECT e.person_key, array_agg(e.period) AS periods
               FROM entitlement_offsets e
              WHERE e.program_code = $1 AND e.payment_id IS NULL AND e.item = 'benefit'
                AND ($5::text[] IS NULL OR e.period = ANY($5))
              GROUP BY e.person_key) offset_periods
         ON offset_periods.person_key = c.person_key
 WHERE c.program_code = $1 AND c.division_code = $2 AND {IN_FORCE.sql_allows(_FACTS)}
"""

_JUDGED = {"certified_from": "g.effective_from", "certified_until": "g.revoked_from",
           "benefits_end": "g.benefits_end"}
_IN_RUN = IN_FORCE.sql_allows({**_JUDGED, "period_start": "$3", "period_end": "$4"})
_IN_WINDOW_PERIOD = IN_FORCE.sql_allows({**_JUDGED, "period_start": "w.starts",
                                         "period_end": "w.ends"})

_PLANNABLE = PLANNABLE.sql_allows({
    "certified_from": "g.effective_from", "certified_until": "g.revoked_from",
    "benefits_end": "g.benefits_end", "held": "g.held", "suspended": "g.suspended",
    "has_account": "g.bank_code IS NOT NULL",
    "account_unconfirmed": "g.account_unconfirmed", "paid": "$6 = ANY(g.paid)",
    "period_start": "$3", "period_end": "$4"})

# ... and $7/$8 the categories the run's period pays and their amounts, $9 the arrear
# periods with $10/$11 their first/last days, $12 accounts changed after this instant are
# flagged, $13 the run, $14 the payment id prefix, $15 a one-off run, $16 a per-household
# program (its household members are decided one by one: `once_per_household`), $17/$18
# the persons and households an open receivable may be offset against (`offsets`: never
# plain), $19 the programs exclusive with the run's (a person certified or paid in one is
# never plain: `ExclusiveProgramsPayOnce`). Ids
# follow person keys, so paying in id order walks the per-person unique index in order too.
# A certification owes arrears when it was in force for a window period nobody paid; one
# in force for neither the run's period nor such a period is left out (paid up, or owed
# nothing here any more).
_PAY_PLAIN = f"""
WITH candidates AS MATERIALIZED ({_CANDIDATES}
), owing AS (
    SELECT g.*, {_IN_RUN} AS in_run,
           cardinality($9::text[]) > 0  -- no window: nothing to look for, row by row
           AND EXISTS (SELECT 1 FROM unnest($9::text[], $10::date[], $11::date[])
                                     AS w (period, starts, ends)
                        WHERE {_IN_WINDOW_PERIOD} AND NOT (w.period = ANY(g.paid)))
               AS owes_arrears
      FROM candidates g
), judged AS MATERIALIZED (
    -- a person with two certifications of the program on the roster is never plain
    SELECT g.*, {_PLANNABLE}
           AND g.person_key NOT IN (SELECT t.person_key FROM candidates t
                                     GROUP BY t.person_key HAVING count(*) > 1)
           AND NOT g.ever_voided AND NOT g.ever_suspended
           AND g.category = ANY($7::text[])
           AND NOT ($15 AND cardinality(g.paid) > 0)
           AND NOT ($16 AND g.household_key IS NOT NULL)
           AND NOT (g.previous_registered_at IS NOT NULL AND g.registered_at > $12)
           AND NOT (g.person_key = ANY($17::text[])
                    OR COALESCE(g.household_key = ANY($18::text[]), false))
           AND NOT g.exclusive AND NOT g.owes_arrears AS plain
      FROM owing g
), paid AS (
    INSERT INTO payment_orders (payment_id, run_id, certification_id, person_key,
                                program_code, period, item, amount_fen, bank_code,
                                account_number, account_name, certified_from)
    SELECT ($14 || lpad(to_hex(row_number() OVER (ORDER BY j.person_key)), 12, '0'))::uuid,
           $13, j.certification_id, j.person_key, $1, $6, 'benefit', a.amount_fen,
           j.bank_code, j.account_number, j.account_name, j.effective_from
      FROM judged j
      JOIN unnest($7::text[], $8::bigint[]) AS a (category, amount_fen)
        ON a.category = j.category
     WHERE j.plain
    RETURNING amount_fen
), others AS (
    INSERT INTO roster_others
    SELECT certification_id, person_key, $1, category, $2, effective_from, revoked_from,
           benefits_end, bank_code, account_number, account_name, registered_at,
           previous_registered_at,
           account_unconfirmed, held, paid, household_key
      FROM judged WHERE NOT plain AND (in_run OR owes_arrears)
)
SELECT count(*) AS n, COALESCE(sum(amount_fen), 0)::bigint AS fen FROM paid
"""

# The rest of the facts of the others: refusals to the current account, suspensions, and
# what offsets withheld from each period's benefit (a period whose order paying the rest
# moved no money is owed again, less what the receivable already took:
# `owed_after_offsets`), and the periods of the run and its window ($1, their first and
# last days $2/$3) a program exclusive with the run's ($4) pays the person for, or holds
# an older certification of theirs in force for (`ExclusiveProgramsPayOnce`).
_OTHER_IN_FORCE = IN_FORCE.sql_allows({
    "certified_from": "x.effective_from", "certified_until": "xr.effective_from",
    "benefits_end": "xd.benefits_end", "period_start": "w.starts", "period_end": "w.ends"})
_OTHERS = f"""
SELECT o.*,
       ARRAY(SELECT w.period FROM unnest($1::text[], $2::date[], $3::date[])
                                  AS w (period, starts, ends)
              WHERE EXISTS (SELECT 1 FROM payment_orders p
                             WHERE p.person_key = o.person_key AND p.program_code = ANY($4)
                               AND p.period = w.period AND p.item = 'benefit' AND p.live)
                 OR EXISTS (SELECT 1 FROM certifications x
                              JOIN certifications me
                                ON me.certification_id = o.certification_id
                              LEFT JOIN certification_revocations xr
                                ON xr.certification_id = x.certification_id
                              LEFT JOIN deaths xd ON xd.person_key = x.person_key
                             WHERE x.person_key = o.person_key
                               AND x.program_code = ANY($4)
                               AND (x.effective_from, x.certification_id)
                                   < (me.effective_from, me.certification_id)
                               AND {_OTHER_IN_FORCE})) AS excluded,
       ARRAY(SELECT e.period FROM entitlement_offsets e WHERE e.person_key = o.person_key
               AND e.program_code = o.program_code AND e.item = 'benefit'
              GROUP BY e.period ORDER BY e.period) AS withheld_periods,
       ARRAY(SELECT sum(e.offset_fen)::bigint FROM entitlement_offsets e
              WHERE e.person_key = o.person_key AND e.program_code = o.program_code
                AND e.item = 'benefit'
              GROUP BY e.period ORDER BY e.period) AS withheld_fen,
       ARRAY(SELECT p.period FROM payments p WHERE p.person_key = o.person_key
               AND p.program_code = o.program_code AND p.item = 'benefit'
               AND p.status IN ('failed', 'returned') AND p.bank_code = o.bank_code
               AND p.account_number = o.account_number) AS refused,
       ARRAY(SELECT s.suspended_from FROM certification_suspensions s
              WHERE s.certification_id = o.certification_id) AS suspended_from,
       ARRAY(SELECT x.reinstated_from FROM certification_reinstatements x
              WHERE x.certification_id = o.certification_id) AS reinstated_from
  FROM roster_others o
 ORDER BY o.person_key, o.effective_from, o.certification_id
"""

PAYMENT_COLUMNS = ["payment_id", "run_id", "certification_id", "person_key", "program_code",
                   "period", "item", "amount_fen", "bank_code", "account_number",
                   "account_name", "certified_from"]


class PaymentIds:
    """Time-ordered payment ids (UUIDv7 layout): a random prefix per run and a counter in
    the last 48 bits, so a run's payments sit together in the primary key, in the order
    they were written, and a chunk is a range of them. The database counts the plain ones
    with the same prefix; the rest continue after them."""

    def __init__(self) -> None:
        self.prefix = str(uuid7())[:24]
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return self.at(self.issued)

    def at(self, number: int) -> str:
        return f"{self.prefix}{number:012x}"


async def freeze(conn: Connection, query: RosterQuery, *, batch: int = 10_000
                 ) -> FrozenRoster:
    """Write the run's payments and chunks in the caller's transaction."""
    frozen, ids = FrozenRoster(), PaymentIds()
    table = query.table
    start, end = table.run.bounds
    categories = sorted(table.run.by_category.items())
    one_off = is_one_off(table.run.period)
    # one pass over every certification of the division: hash joins and the roster kept in
    # memory, no JIT
    await conn.execute("SET LOCAL work_mem = '512MB'; SET LOCAL jit = off")
    await conn.execute(_OTHERS_TABLE)
    owing = await open_receivables(conn, query.program_code) if query.offset_allowed else []
    plain = await conn.fetchrow(
        _PAY_PLAIN, query.program_code, query.division_code, start, end,
        None if one_off else list(table.periods), table.run.period,
        [c for c, _ in categories], [a for _, a in categories],
        [a.period for a in table.arrears], [a.bounds[0] for a in table.arrears],
        [a.bounds[1] for a in table.arrears],
        query.started_at - timedelta(days=query.flag_days), query.run_id, ids.prefix, one_off,
        query.per_household,
        sorted({r.person_key for r in owing}),
        sorted({h for r in owing for h in r.households}), sorted(query.exclusive_with))
    assert plain is not None
    ids.issued = frozen.payee_count = plain["n"]
    frozen.total_fen = plain["fen"]
    pending: list[PlannedPayment] = []
    paid_by = await _households_paid(conn, query, one_off) if query.per_household else {}
    excluding = (list(table.periods), [bounds[0] for bounds in map(period_bounds,
                                                                    table.periods)],
                 [bounds[1] for bounds in map(period_bounds, table.periods)],
                 sorted(query.exclusive_with))
    async for group in _by_person(conn, batch, excluding):
        pending += _decide(group, query, frozen, paid_by, owing)
        if len(pending) >= batch:
            await copy_payments(conn, query.run_id, query.program_code, pending, ids)
            pending = []
    await copy_payments(conn, query.run_id, query.program_code, pending, ids)
    tops = query.top_ups or table  # top-ups reach beyond the arrears window
    periods, owed_categories, owed_fen = _owed_arrays(tops)
    starts = [period_start(period) for period in periods]
    ends = [period_end(period) for period in periods]
    # each a pass over the division's certifications and the program's earlier payments:
    # hash joins, never a nested loop over them (this run's orders are not analysed yet,
    # a freshly loaded roster may not be either, and a loop estimated at a few rows runs
    # the spans of the whole division once per payment: seconds for a thousand payees,
    # hours for a province)
    await conn.execute("SET LOCAL enable_nestloop = off")
    top_ups = [t for r in await conn.fetch(_PAID_BEFORE, query.run_id, table.run.period,
                                           periods, owed_categories, owed_fen, starts, ends,
                                           query.division_code)
               if (t := top_up(_paid_before(r), tops)) is not None]
    top_ups += [t for r in await conn.fetch(_PAID_BEFORE_OFF_RUN, query.run_id,
                                            query.program_code, query.division_code,
                                            periods, owed_categories, owed_fen, starts, ends,
                                            table.run.period)
                if (t := top_up(_paid_before(r), tops)) is not None]
    await conn.execute("SET LOCAL enable_nestloop = on")
    frozen.add(top_ups)
    await copy_payments(conn, query.run_id, query.program_code, top_ups, ids)
    await add_chunks(conn, query.run_id, ids, query.chunk_size)
    return frozen


# What offsets withheld from the entitlement a live payment pays: paid as much as what the
# bank moved. Every offset of the (person, program, period, item) counts, whichever order
# it named: a retry or arrear paying the rest after that order failed or came back is the
# one live payment of the entitlement (`owed_after_offsets`).
_WITHHELD = ("COALESCE((SELECT sum(e.offset_fen) FROM entitlement_offsets e"
             " WHERE e.person_key = p.person_key AND e.program_code = p.program_code"
             " AND e.period = p.period AND e.item = p.item), 0)")

# What earlier runs paid (live payments of any item) for each arrear period of the window
# to each person this run pays its period, where the window's amounts now owe more
# (`top_ups.TopUpAfterRaise`, and the same after a change of category: the category in
# force in each period is the one owed); a period this run pays anyway is left out, and
# so is one the certification belonged to another county in (that county tops it up).
# $1 the run, $2 its period, $3/$4/$5 the arrear periods, categories and amounts owed now,
# $6/$7 each period's first and last day, $8 the run's division.
_PAID_BEFORE = f"""
SELECT y.person_key, y.certification_id, c.category, p.period, y.bank_code,
       y.account_number, y.account_name, y.certified_from,
       sum(p.amount_fen + {_WITHHELD})::bigint AS paid_fen
  FROM payment_orders y
  JOIN payment_orders p ON p.person_key = y.person_key AND p.program_code = y.program_code
                       AND p.live AND p.run_id <> y.run_id
  JOIN unnest($3::text[], $4::text[], $5::bigint[], $6::date[], $7::date[])
       AS w (period, category, amount_fen, starts, ends) ON w.period = p.period
  JOIN certification_spans c ON c.certification_id = y.certification_id
                            AND c.category = w.category AND c.division_code = $8
                            AND c.effective_from <= w.ends
                            AND (c.span_until IS NULL OR c.span_until > w.starts)
 WHERE y.run_id = $1::uuid AND y.period = $2 AND y.item = 'benefit'
   AND NOT EXISTS (SELECT 1 FROM payment_orders t WHERE t.run_id = y.run_id
                     AND t.person_key = y.person_key AND t.period = p.period)
 GROUP BY y.person_key, y.certification_id, c.category, p.period, y.bank_code,
          y.account_number, y.account_name, y.certified_from, w.amount_fen
HAVING sum(p.amount_fen + {_WITHHELD}) < w.amount_fen
 ORDER BY y.person_key, p.period
"""


# The same for people this run does not pay the run's period (revoked, lapsed or dead
# since, or not owed the run's period; it may pay them arrears of other periods): a window
# period their certification was still owed for and earlier runs paid at a lower amount is
# topped up to their current confirmed account, unless they are held. $1 the run, $2 the
# program, $3 the division, $4/$5/$6 the arrear periods, categories and amounts owed now,
# $7/$8 each period's first and last day, $9 the run's period. A period is
# the division's to top up when the certification belonged to it then, at the category in
# force then.
_PAID_BEFORE_OFF_RUN = f"""
SELECT p.person_key, p.certification_id, c.category, p.period, a.bank_code,
       a.account_number, a.account_name, p.certified_from,
       sum(p.amount_fen + {_WITHHELD})::bigint AS paid_fen
  FROM payment_orders p
  JOIN unnest($4::text[], $5::text[], $6::bigint[], $7::date[], $8::date[])
       AS w (period, category, amount_fen, starts, ends) ON w.period = p.period
  JOIN certification_spans c ON c.certification_id = p.certification_id
                            AND c.category = w.category
                            AND c.effective_from <= w.ends
                            AND (c.span_until IS NULL OR c.span_until > w.starts)
  LEFT JOIN certification_revocations r ON r.certification_id = c.certification_id
  LEFT JOIN deaths d ON d.person_key = c.person_key
  JOIN payee_accounts a ON a.person_key = p.person_key AND a.superseded_at IS NULL
                       AND a.confirmed_at IS NOT NULL
 WHERE p.program_code = $2 AND c.division_code = $3 AND p.live AND p.run_id <> $1::uuid
   AND (r.effective_from IS NULL OR r.effective_from > w.starts)
   AND (d.benefits_end IS NULL OR d.benefits_end > w.starts)
   AND NOT {held("p.person_key", "$2")}
   AND NOT EXISTS (SELECT 1 FROM payment_orders y WHERE y.run_id = $1::uuid
                     AND y.person_key = p.person_key
                     AND (y.period = p.period OR (y.period = $9 AND y.item = 'benefit')))
 GROUP BY p.person_key, p.certification_id, c.category, p.period, a.bank_code,
          a.account_number, a.account_name, p.certified_from, w.amount_fen
HAVING sum(p.amount_fen + {_WITHHELD}) < w.amount_fen
 ORDER BY p.person_key, p.period
"""


def _owed_arrays(table: AmountTable) -> tuple[list[str], list[str], list[int]]:
    owed = [(a.period, category, fen) for a in table.arrears
            for category, fen in sorted(a.by_category.items())]
    return [o[0] for o in owed], [o[1] for o in owed], [o[2] for o in owed]


def _paid_before(r: asyncpg.Record) -> PaidBefore:
    return PaidBefore(r["person_key"], r["certification_id"], r["category"], r["period"],
                      r["paid_fen"], _account(r),
                      r["certified_from"])


async def _by_person(conn: Connection, batch: int, excluding: tuple[Any, ...]
                     ) -> AsyncIterator[list[asyncpg.Record]]:
    group: list[asyncpg.Record] = []
    async for row in conn.cursor(_OTHERS, *excluding, prefetch=batch):
        if group and group[0]["person_key"] != row["person_key"]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


# Who in each household has a live payment of a per-household program for the run's
# period ($2; NULL for a one-off run: any period). $1 the program.
_HOUSEHOLDS_PAID = """
SELECT c.household_key, array_agg(DISTINCT p.person_key) AS paid
  FROM payment_orders p
  JOIN certifications c ON c.certification_id = p.certification_id
 WHERE p.program_code = $1 AND p.live AND p.item = 'benefit'
   AND c.household_key IS NOT NULL AND ($2::text IS NULL OR p.period = $2)
 GROUP BY c.household_key
"""


async def _households_paid(conn: Connection, query: RosterQuery, one_off: bool
                           ) -> dict[str, set[str]]:
    rows = await conn.fetch(_HOUSEHOLDS_PAID, query.program_code,
                            None if one_off else query.table.run.period)
    return {r["household_key"]: set(r["paid"]) for r in rows}


def _decide(rows: list[asyncpg.Record], query: RosterQuery, frozen: FrozenRoster,
            paid_by: dict[str, set[str]], owing: Sequence[OpenReceivable]
            ) -> list[PlannedPayment]:
    candidates = [_candidate(r) for r in rows]
    planned, skipped = plan_person(candidates, query.table)
    if query.per_household:
        planned, more = once_per_household(planned, candidates, paid_by)
        skipped += more
    frozen.skipped += skipped
    payments, offsets = apply_offsets(planned, rows[0]["household_key"], owing)
    frozen.offsets += offsets
    if payments:
        frozen.add(payments)
    if planned:
        row = next(r for r in rows if r["certification_id"] == planned[0].certification_id)
        flag = account_change_flag(
            row["person_key"], row["certification_id"], registered_at=row["registered_at"],
            previous_registered_at=row["previous_registered_at"],
            run_started_at=query.started_at, days=query.flag_days)
        if flag is not None:
            frozen.flags.append(flag)
    return payments


def _account(r: asyncpg.Record) -> PayeeAccount:
    """The account a row names, with its holder's name (written into the order)."""
    return PayeeAccount(r["bank_code"], r["account_number"], r["account_name"] or "")


def _candidate(r: asyncpg.Record) -> Candidate:
    account = _account(r) if r["bank_code"] is not None else None
    return Candidate(
        certification=Certification(
            id=r["certification_id"], person_key=r["person_key"],
            program_code=r["program_code"], category=r["category"],
            division_code=r["division_code"], effective_from=r["effective_from"],
            effective_until=r["revoked_from"], benefits_end=r["benefits_end"],
            suspensions=open_suspensions(r["suspended_from"], r["reinstated_from"]),
            household_key=r["household_key"]),
        account=account, held=r["held"], paid_periods=frozenset(r["paid"]),
        refused_periods=frozenset(r["refused"]),
        account_unconfirmed=bool(r["account_unconfirmed"]),
        withheld=dict(zip(r["withheld_periods"], map(int, r["withheld_fen"]), strict=True)),
        excluded_periods=frozenset(r["excluded"]))


async def copy_payments(conn: Connection, run_id: str, program_code: str,
                        payments: Sequence[PlannedPayment], ids: PaymentIds) -> None:
    if not payments:
        return
    await conn.copy_records_to_table("payment_orders", columns=PAYMENT_COLUMNS, records=[
        (ids(), run_id, p.certification_id, p.person_key, program_code, p.period, p.item,
         p.amount_fen, p.account.bank_code, p.account.account_number,
         p.account.holder_name or None, p.certified_from)
        for p in payments])


async def add_chunks(conn: Connection, run_id: str, ids: PaymentIds, size: int) -> None:
    """Cut the run's payments (ids 1..issued) into chunks of `size` consecutive ids."""
    bounds = [(k, ids.at(first), ids.at(min(first + size - 1, ids.issued)),
               min(size, ids.issued - first + 1))
              for k, first in enumerate(range(1, ids.issued + 1, size))]
    await conn.executemany(
        "INSERT INTO payment_chunks (run_id, chunk, first_payment_id, last_payment_id,"
        " payee_count) VALUES ($1, $2, $3, $4, $5)",
        [(run_id, k, first, last, count) for k, first, last, count in bounds])


# The program's receivables with what is still outstanding, locked (`FOR UPDATE` on the
# receivables: a repayment recorded meanwhile waits), with the households of the person
# they are owed by; $1 the program.
_OPEN_RECEIVABLES = """
SELECT v.receivable_id::text, v.person_key, v.recorded_at,
       v.total_fen - COALESCE((SELECT sum(x.amount_fen) FROM recoveries x
                                WHERE x.receivable_id = v.receivable_id), 0) AS outstanding,
       ARRAY(SELECT DISTINCT h.household_key FROM certifications h
              WHERE h.person_key = v.person_key AND h.household_key IS NOT NULL)
           AS households
  FROM receivables v
 WHERE v.program_code = $1
 ORDER BY v.recorded_at, v.receivable_id
   FOR UPDATE OF v
"""


async def open_receivables(conn: Connection, program_code: str) -> list[OpenReceivable]:
    """The receivables of the program a run may offset (`offsets.apply_offsets`)."""
    return [OpenReceivable(r["receivable_id"], r["person_key"], frozenset(r["households"]),
                           int(r["outstanding"]), r["recorded_at"])
            for r in await conn.fetch(_OPEN_RECEIVABLES, program_code)
            if int(r["outstanding"]) > 0]
