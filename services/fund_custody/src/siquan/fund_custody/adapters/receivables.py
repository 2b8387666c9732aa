"""Receivables and their recoveries in fund custody's PostgreSQL database."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.receivable import Parts, Receivable
from siquan.shared.database import Connection

_LEVEL_COLUMNS = ", ".join(f"{level}_fen" for level in FISCAL_LEVELS)


def _parts(row: Any, prefix: str = "") -> Parts:
    return {level: int(row[f"{prefix}{level}_fen"] or 0) for level in FISCAL_LEVELS}


_WITH_RECOVERIES = f"""
SELECT r.*, s.program_code, s.fiscal_year, s.division_code,
       {", ".join(f"coalesce(x.rec_{lv}, 0) AS rec_{lv}_fen,"
                  f" coalesce(x.off_{lv}, 0) AS off_{lv}_fen" for lv in FISCAL_LEVELS)},
       coalesce(x.repaid, 0) AS repaid_fen, coalesce(x.offset_fen, 0) AS offset_fen,
       coalesce(x.written_off, 0) AS written_off_fen
  FROM receivables r JOIN special_accounts s ON s.id = r.special_account_id
  LEFT JOIN LATERAL (
      SELECT {", ".join(f"sum({lv}_fen) FILTER (WHERE kind <> 'write_off') AS rec_{lv},"
                        f" sum({lv}_fen) FILTER (WHERE kind = 'write_off') AS off_{lv}"
                        for lv in FISCAL_LEVELS)},
             sum(amount_fen) FILTER (WHERE kind = 'repayment') AS repaid,
             sum(amount_fen) FILTER (WHERE kind = 'offset') AS offset_fen,
             sum(amount_fen) FILTER (WHERE kind = 'write_off') AS written_off
        FROM receivable_recoveries WHERE receivable_id = r.receivable_id) x ON true
"""


class PgReceivables:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, receivable: Receivable, *, certification_id: str, cause: str,
                  ended_from: Any, payments: list[dict[str, Any]], at: datetime) -> None:
        t = receivable.total
        await self._conn.execute(
            "INSERT INTO receivables (receivable_id, special_account_id, certification_id,"
            f" cause, ended_from, payments, {_LEVEL_COLUMNS}, total_fen, recorded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12)",
            receivable.receivable_id, receivable.special_account_id, certification_id, cause,
            ended_from, json.dumps(payments), t["central"], t["provincial"], t["municipal"],
            t["county"], receivable.total_fen, at)

    async def get(self, receivable_id: str) -> Receivable | None:
        row = await self._conn.fetchrow(_WITH_RECOVERIES + " WHERE r.receivable_id = $1",
                                        receivable_id)
        if row is None:
            return None
        return Receivable(str(row["receivable_id"]), str(row["special_account_id"]),
                          _parts(row), _parts(row, "rec_"), _parts(row, "off_"))

    async def has_recovery(self, recovery_id: str) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM receivable_recoveries WHERE recovery_id = $1)",
            recovery_id))

    async def add_recovery(self, receivable_id: str, recovery_id: str, kind: str,
                           parts: Parts, *, reference: str, recorded_by: str,
                           approved_by: str | None, at: datetime,
                           returned_payment_id: str | None = None,
                           credited_to: str | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO receivable_recoveries (recovery_id, receivable_id, kind,"
            f" {_LEVEL_COLUMNS}, amount_fen, reference, recorded_by, approved_by,"
            " recorded_at, returned_payment_id, credited_to) VALUES ($1, $2, $3, $4, $5,"
            " $6, $7, $8, $9, $10, $11, $12, $13, $14::text::uuid)",
            recovery_id, receivable_id, kind, parts["central"], parts["provincial"],
            parts["municipal"], parts["county"], sum(parts.values()), reference,
            recorded_by, approved_by, at, returned_payment_id, credited_to)

    async def credited_levels(self, special_account_id: str) -> Parts:
        row = await self._conn.fetchrow(
            "SELECT " + ", ".join(f"sum({lv}_fen) AS {lv}_fen" for lv in FISCAL_LEVELS)
            + " FROM receivable_recoveries WHERE credited_to = $1::text::uuid",
            special_account_id)
        return _parts(row)

    async def listed(self, *, division_prefix: str, program_code: str | None,
                     fiscal_year: int | None) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            _WITH_RECOVERIES + " WHERE s.division_code LIKE $1 || '%'"
            " AND ($2::text IS NULL OR s.program_code = $2)"
            " AND ($3::int IS NULL OR s.fiscal_year = $3)"
            " ORDER BY r.recorded_at, r.receivable_id", division_prefix, program_code,
            fiscal_year)
        return [_described(row) for row in rows]


def _described(row: Any) -> dict[str, Any]:
    total, recovered, written_off = _parts(row), _parts(row, "rec_"), _parts(row, "off_")
    outstanding = {lv: total[lv] - recovered[lv] - written_off[lv] for lv in FISCAL_LEVELS}
    return {
        "receivable_id": str(row["receivable_id"]), "program_code": row["program_code"],
        "fiscal_year": row["fiscal_year"], "division_code": row["division_code"],
        "certification_id": row["certification_id"], "cause": row["cause"],
        "ended_from": row["ended_from"].isoformat(),
        "payments": json.loads(row["payments"]) if isinstance(row["payments"], str)
        else row["payments"],
        "total_fen": int(row["total_fen"]), "repaid_fen": int(row["repaid_fen"]),
        "offset_fen": int(row["offset_fen"]), "written_off_fen": int(row["written_off_fen"]),
        "outstanding_fen": sum(outstanding.values()),
        "levels": [{"fiscal_level": lv, "receivable_fen": total[lv],
                    "recovered_fen": recovered[lv], "written_off_fen": written_off[lv],
                    "outstanding_fen": outstanding[lv]} for lv in FISCAL_LEVELS],
        "recorded_at": row["recorded_at"].isoformat()}
