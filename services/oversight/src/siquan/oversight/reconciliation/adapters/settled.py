"""Settled payments in oversight's database: one row per payment id, found again by
(person, program, period paid, what it pays) so a second payment for the same key shows;
an arrear pays the same as the period's benefit, and a payment the bank returned no
longer counts. A payment the bank answered with a transfer it had made earlier under
another payment id (`transferred_as`) is that payment again, not a second one. The
statements read them too (with the run's period, `run_period`).

A batch's chunks are written with one COPY among the batch's facts (with one statement,
arrays unnested, skipping what is recorded, when a chunk comes again), and judged, where
that can be done in the database, with one more (a statement per batch, never per
payment) while the batch holds the chain head: a payment is left to no rule
only when its certification is known, is the payee's, has no change and was in force by
the period's end, the payee has no reported death, a benefit is paid at the policy's
amount for the category, and the run was not started by an officer who decided the
certification. The rules judge every other payment (`judging.judge_items`).

`cert_checked` is false while the payment's certification is unknown; the sweep judges
such payments again after the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import asyncpg

from siquan.contracts.periods import period_start
from siquan.contracts.topology import RoutingKey
from siquan.oversight.reconciliation.adapters import settled_sql as sql
from siquan.oversight.reconciliation.application.ports import (
    Chunk,
    Expectation,
    Repeat,
    Settling,
)
from siquan.oversight.reconciliation.domain.bank import Answer, latest_answers
from siquan.oversight.reconciliation.domain.payments import SettledItem
from siquan.shared.database import Connection, hashing_small_tables


def _item(row: asyncpg.Record) -> SettledItem:
    return SettledItem(row["payment_id"], row["person_key"], row["certification_id"],
                       row["program_code"], row["period"], row["item"],
                       int(row["amount_fen"]), row["division_code"], row["run_id"],
                       str(row["message_id"]), row["transferred_as"])


def _settling(rows: Sequence[asyncpg.Record]) -> Settling:
    suspects: list[SettledItem] = []
    again: dict[str, tuple[SettledItem, str, str]] = {}
    accounts: list[tuple[SettledItem, str]] = []
    for row in rows:
        if row["kind"] == "suspect":
            suspects.append(_item(row))
        elif row["kind"] == "again":
            again.setdefault(row["payment_id"], (_item(row), row["other"],
                                                 str(row["other_message"])))
        else:
            accounts.append((_item(row), row["other"]))
    return Settling(suspects, list(again.values()), accounts)


def _rows(chunks: Sequence[Chunk]) -> list[tuple[Any, ...]]:
    """The rows of the chunks' payments (`settled_sql.STORED`)."""
    rows = []
    for c in chunks:
        start = period_start(c.period)
        for p in c.payments:
            rows.append((
                p.payment_id, p.person_key, c.program_code, p.period or c.period, p.item,
                p.certification_id, c.run_id, c.division_code, p.amount_fen, c.message_id,
                start if p.period is None else period_start(p.period), c.period, True,
                p.transferred_as))
    return rows


class PgSettled:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._held: list[Chunk] = []
        self._returned: list[str] = []
        self._new: set[str] = set()

    def store(self, chunk: Chunk) -> None:
        self._held.append(chunk)

    async def flush(self) -> None:
        """Write the chunks held, then the returns (with the batch's other facts)."""
        chunks, self._held = self._held, []
        rows = _rows(chunks)
        if rows:
            self._new.update(await self._copy(rows) or [
                row["payment_id"] for row in await self._conn.fetch(
                    sql.STORE, *(list(column) for column in zip(*rows, strict=True)))])
        returned, self._returned = self._returned, []
        if returned:
            await self._conn.execute("UPDATE settled_payments SET returned = true"
                                     " WHERE payment_id = ANY($1::text[])", returned)

    async def _copy(self, rows: list[tuple[Any, ...]]) -> list[str] | None:
        """Write rows none of which is recorded (the usual case: a chunk comes once) with one
        COPY; their payment ids. None, having written nothing, when a payment is recorded
        already (a chunk delivered again) or comes twice: the primary key refuses the COPY,
        and `STORE` skips those."""
        try:
            async with self._conn.transaction():  # a savepoint in the batch's unit
                await self._conn.copy_records_to_table("settled_payments", records=rows,
                                                       columns=list(sql.STORED))
        except asyncpg.UniqueViolationError:
            return None
        return [row[0] for row in rows]

    async def settle(self, chunks: Sequence[Chunk], expectations: Sequence[Expectation],
                     account_window: timedelta) -> Settling:
        new = [p.payment_id for c in chunks for p in c.payments if p.payment_id in self._new]
        if not new:
            return Settling([], [], [])
        self._new.difference_update(new)
        e = expectations
        async with hashing_small_tables(self._conn):  # a step of the batch: by key
            rows = await self._conn.fetch(
                sql.JUDGE, new, [x.program_code for x in e], [x.division_code for x in e],
                [x.category for x in e], [x.period for x in e], [x.amount_fen for x in e],
                [x.period_end for x in e], account_window, [c.message_id for c in chunks])
        return _settling(rows)

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

    async def answers(self, payment_ids: Sequence[str]) -> dict[str, Answer]:
        rows = await self._conn.fetch(sql.ANSWERS, list(payment_ids),
                                      str(RoutingKey.PAYMENTS_FAILED))
        return latest_answers(Answer(r["payment_id"], r["outcome"], r["run_id"], r["chunk"],
                                     r["occurred_at"]) for r in rows)

    async def of_persons(self, person_keys: Iterable[str]) -> list[SettledItem]:
        rows = await self._conn.fetch(
            f"SELECT {sql.COLUMNS} FROM settled_payments s"
            " WHERE person_key = ANY($1::text[])", list(set(person_keys)))
        return [_item(row) for row in rows]

    async def by_ids(self, payment_ids: Iterable[str]) -> list[SettledItem]:
        rows = await self._conn.fetch(
            f"SELECT {sql.COLUMNS} FROM settled_payments s"
            " WHERE payment_id = ANY($1::text[])", list(set(payment_ids)))
        return [_item(row) for row in rows]

    async def mark_checked(self, payment_ids: Iterable[str]) -> None:
        ids = list(payment_ids)
        if ids:
            await self._conn.execute(
                "UPDATE settled_payments SET cert_checked = true"
                " WHERE payment_id = ANY($1::text[]) AND NOT cert_checked", ids)

    def mark_returned(self, payment_ids: Iterable[str]) -> None:
        self._returned.extend(payment_ids)

    async def repeats_of_returned(self, payment_ids: Iterable[str]) -> list[Repeat]:
        rows = await self._conn.fetch(sql.REPEATS_OF_RETURNED, list(set(payment_ids)))
        return [Repeat(row["payment_id"], row["person_key"], row["returned_id"],
                       row["occurred_at"])
                for row in rows]

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
