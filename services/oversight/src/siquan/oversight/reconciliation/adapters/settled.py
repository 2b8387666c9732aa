"""Settled payments in oversight's database: one row per payment id, found again by
(person, program, period paid, what it pays) so a second payment for the same key shows;
an arrear pays the same as the period's benefit, and a payment the bank returned no
longer counts. A chunk is written with one statement (arrays unnested), never a statement
per payment.

`cert_checked` is false while the payment's certification is unknown; the sweep judges
such payments again after the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import asyncpg

from siquan.oversight.reconciliation.domain.payments import SettledItem
from siquan.shared.database import Connection

_INSERT = """
INSERT INTO settled_payments (payment_id, person_key, program_code, period, item,
    period_start, certification_id, run_id, division_code, amount_fen, message_id,
    cert_checked)
SELECT p.payment_id, p.person_key, $1, p.period, p.item, p.period_start, p.certification_id,
       $2, $3, p.amount_fen, $4, p.checked
FROM unnest($5::text[], $6::text[], $7::text[], $8::date[], $9::text[], $10::text[],
            $11::bigint[], $12::bool[])
     AS p(payment_id, person_key, period, period_start, certification_id, item, amount_fen,
          checked)
ON CONFLICT (payment_id) DO NOTHING
RETURNING payment_id
"""

_EARLIER = """
SELECT n.payment_id, s.payment_id AS earlier, s.message_id AS earlier_message
FROM settled_payments n
JOIN settled_payments s
  ON s.person_key = n.person_key AND s.program_code = n.program_code
 AND s.period = n.period AND s.pays = n.pays AND s.payment_id <> n.payment_id
WHERE n.payment_id = ANY($1::text[]) AND NOT s.returned
  AND (NOT s.payment_id = ANY($1::text[]) OR s.payment_id < n.payment_id)
ORDER BY n.payment_id, s.seen_at, s.payment_id
"""

_COLUMNS = ("payment_id, person_key, certification_id, program_code, period, item,"
            " amount_fen, division_code, run_id, message_id")


async def insert_chunk(conn: Connection, items: Sequence[SettledItem], checked: set[str]
                       ) -> set[str]:
    """Store a chunk's payments (all of one run); the ids stored for the first time."""
    if not items:
        return set()
    first = items[0]
    rows = await conn.fetch(
        _INSERT, first.program_code, first.run_id, first.division_code, first.message_id,
        [i.payment_id for i in items], [i.person_key for i in items],
        [i.period for i in items], [i.period_start for i in items],
        [i.certification_id for i in items], [i.item for i in items],
        [i.amount_fen for i in items], [i.payment_id in checked for i in items])
    return {row["payment_id"] for row in rows}


async def mark_returned(conn: Connection, payment_ids: Iterable[str]) -> None:
    await conn.execute("UPDATE settled_payments SET returned = true"
                       " WHERE payment_id = ANY($1::text[])", list(payment_ids))


async def earlier_payments(conn: Connection, payment_ids: Iterable[str]
                           ) -> dict[str, tuple[str, str]]:
    """For each given payment that pays what another live payment paid before it (or, in
    the same chunk, with a smaller id): that payment's id and message id."""
    found: dict[str, tuple[str, str]] = {}
    for row in await conn.fetch(_EARLIER, list(payment_ids)):
        found.setdefault(row["payment_id"], (row["earlier"], str(row["earlier_message"])))
    return found


def _item(row: asyncpg.Record) -> SettledItem:
    return SettledItem(row["payment_id"], row["person_key"], row["certification_id"],
                       row["program_code"], row["period"], row["item"],
                       int(row["amount_fen"]), row["division_code"], row["run_id"],
                       str(row["message_id"]))


async def of_certification(conn: Connection, certification_id: str, person_key: str
                           ) -> list[SettledItem]:
    """The payments resting on a certification (found through its person's index)."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM settled_payments"
                            " WHERE person_key = $2 AND certification_id = $1",
                            certification_id, person_key)
    return [_item(row) for row in rows]


async def of_person(conn: Connection, person_key: str) -> list[SettledItem]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM settled_payments WHERE person_key = $1",
                            person_key)
    return [_item(row) for row in rows]


async def unchecked(conn: Connection, grace_seconds: float, limit: int = 1000
                    ) -> list[SettledItem]:
    """Payments whose certification was still unknown after the grace period (locked)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM settled_payments WHERE NOT cert_checked"
        " AND seen_at < now() - make_interval(secs => $1) ORDER BY seen_at LIMIT $2"
        " FOR UPDATE SKIP LOCKED", grace_seconds, limit)
    return [_item(row) for row in rows]


async def pending_count(conn: Connection) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM settled_payments WHERE NOT cert_checked"))


async def mark_checked(conn: Connection, payment_ids: Iterable[str]) -> None:
    ids = list(payment_ids)
    if ids:
        await conn.execute("UPDATE settled_payments SET cert_checked = true"
                           " WHERE payment_id = ANY($1::text[]) AND NOT cert_checked", ids)


async def unpaid(conn: Connection, *, program_code: str, period: str, division_code: str,
                 period_end: date) -> list[str]:
    """Certifications of the program and county in force by the period's end whose person
    has no live payment of the period's benefit (or an arrear for it)."""
    rows = await conn.fetch(
        "SELECT c.certification_id FROM watched_certifications c"
        " WHERE c.program_code = $1 AND c.division_code = $3 AND c.effective_from <= $4"
        " AND NOT EXISTS (SELECT 1 FROM settled_payments p WHERE p.person_key = c.person_key"
        "   AND p.program_code = c.program_code AND p.period = $2 AND p.pays = 'benefit'"
        "   AND NOT p.returned)",
        program_code, period, division_code, period_end)
    return [row["certification_id"] for row in rows]
