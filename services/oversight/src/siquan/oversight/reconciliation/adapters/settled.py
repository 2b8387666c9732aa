"""Settled payments in oversight's database: one row per payment id, found again by
(person, program, period paid, what it pays) so a second payment for the same key shows;
an arrear pays the same as the period's benefit, and a payment the bank returned no
longer counts. The statements read them too (with the run's period, `run_period`).

A batch's chunks are written with one statement (arrays unnested), never a statement per
payment, and the payments that may break a rule are found by one query: a payment is left
out only when its certification is known, is the payee's, has no change and was in force
by the period's end, the payee has no reported death, a benefit is paid at the policy's
amount for the category, and the run was not started by an officer who decided the
certification. The rules judge every other payment (`judging.judge_items`).

`cert_checked` is false while the payment's certification is unknown; the sweep judges
such payments again after the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import asyncpg

from siquan.oversight.reconciliation.adapters import settled_sql as sql
from siquan.oversight.reconciliation.application.ports import Chunk, Expectation
from siquan.oversight.reconciliation.domain.payments import SettledItem
from siquan.shared.database import Connection


def _item(row: asyncpg.Record) -> SettledItem:
    return SettledItem(row["payment_id"], row["person_key"], row["certification_id"],
                       row["program_code"], row["period"], row["item"],
                       int(row["amount_fen"]), row["division_code"], row["run_id"],
                       str(row["message_id"]))


def _column(chunks: Sequence[Chunk], name: str) -> list[object]:
    return [getattr(i, name) for c in chunks for i in c.items]


class PgSettled:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        items = [i for c in chunks for i in c.items]
        if not items:
            return
        await self._conn.execute(
            sql.INSERT, *(_column(chunks, name) for name in sql.INSERTED),
            [i.period_start for i in items],
            [c.period for c in chunks for _ in c.items])

    async def suspects(self, message_ids: Sequence[str],
                       expectations: Sequence[Expectation]) -> list[SettledItem]:
        e = expectations
        rows = await self._conn.fetch(
            sql.SUSPECTS, list(message_ids), [x.program_code for x in e],
            [x.division_code for x in e], [x.category for x in e], [x.period for x in e],
            [x.amount_fen for x in e], [x.period_end for x in e])
        return [_item(row) for row in rows]

    async def earlier(self, message_ids: Sequence[str]
                      ) -> list[tuple[SettledItem, str, str]]:
        found: dict[str, tuple[SettledItem, str, str]] = {}
        for row in await self._conn.fetch(sql.EARLIER, list(message_ids)):
            found.setdefault(row["payment_id"], (_item(row), row["earlier"],
                                                 str(row["earlier_message"])))
        return list(found.values())

    async def account_changes(self, message_ids: Sequence[str], window: timedelta
                              ) -> list[tuple[SettledItem, str]]:
        rows = await self._conn.fetch(sql.ACCOUNT_CHANGES, list(message_ids), window)
        return [(_item(row), str(row["replacement"])) for row in rows]

    async def of_certifications(self, pairs: Iterable[tuple[str, str]]
                                ) -> list[SettledItem]:
        chosen = sorted(set(pairs))
        if not chosen:
            return []
        rows = await self._conn.fetch(
            f"SELECT {sql.COLUMNS} FROM settled_payments s"
            " JOIN unnest($1::text[], $2::text[]) AS c(person_key, certification_id)"
            " ON s.person_key = c.person_key AND s.certification_id = c.certification_id",
            [p for p, _ in chosen], [c for _, c in chosen])
        return [_item(row) for row in rows]

    async def of_persons(self, person_keys: Iterable[str]) -> list[SettledItem]:
        rows = await self._conn.fetch(
            f"SELECT {sql.COLUMNS} FROM settled_payments s"
            " WHERE person_key = ANY($1::text[])", list(set(person_keys)))
        return [_item(row) for row in rows]

    async def mark_checked(self, payment_ids: Iterable[str]) -> None:
        ids = list(payment_ids)
        if ids:
            await self._conn.execute(
                "UPDATE settled_payments SET cert_checked = true"
                " WHERE payment_id = ANY($1::text[]) AND NOT cert_checked", ids)

    async def mark_returned(self, payment_ids: Iterable[str]) -> None:
        await self._conn.execute("UPDATE settled_payments SET returned = true"
                                 " WHERE payment_id = ANY($1::text[])", list(payment_ids))

    async def unchecked(self, grace_seconds: float, limit: int = 1000) -> list[SettledItem]:
        rows = await self._conn.fetch(
            f"SELECT {sql.COLUMNS} FROM settled_payments s WHERE NOT cert_checked"
            " AND seen_at < now() - make_interval(secs => $1) ORDER BY seen_at LIMIT $2"
            " FOR UPDATE SKIP LOCKED", grace_seconds, limit)
        return [_item(row) for row in rows]

    async def pending_count(self) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM settled_payments WHERE NOT cert_checked"))

    async def unpaid(self, *, program_code: str, period: str, division_code: str,
                     period_end: date) -> list[str]:
        rows = await self._conn.fetch(sql.UNPAID, program_code, period, division_code,
                                      period_end)
        return [row["certification_id"] for row in rows]
