"""The accountability report's queries: who was owed and who was paid (不漏不冒), holds,
returns, findings by category, rule and status, and complaints with their SLAs (from the
public side's `complaints` table, when it exists)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from siquan.oversight.reconciliation.domain.findings import FALSE_CLAIM_RULES
from siquan.shared.database import Connection

_OWED = """
WITH owed AS (
    SELECT DISTINCT c.person_key FROM watched_certifications c
    WHERE c.program_code = $1 AND c.division_code LIKE $3 || '%' AND c.effective_from <= $5::date
      AND NOT EXISTS (SELECT 1 FROM watched_changes ch
                      WHERE ch.certification_id = c.certification_id
                        AND ch.kind IN ('revoked', 'lapsed') AND ch.effective_from <= $4::date)
      AND NOT EXISTS (SELECT 1 FROM watched_deaths d WHERE d.person_key = c.person_key
                        AND date_trunc('month', d.date_of_death) + interval '1 month' <= $4::date)
)
SELECT count(*) AS certified,
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM settled_payments p WHERE p.person_key = owed.person_key
             AND p.program_code = $1 AND p.period = $2 AND p.pays = 'benefit'
             AND NOT p.returned)) AS unpaid
FROM owed
"""

_RUN_LISTS = """
SELECT count(*) FILTER (WHERE a.message_type = 'run.started.v1') AS skipped,
       count(*) FILTER (WHERE a.message_type = 'run.started.v1'
                          AND x.value->>'reason' ILIKE '%hold%') AS held,
       count(*) FILTER (WHERE a.message_type = 'payments.returned.v1') AS returned_count,
       coalesce(sum((x.value->>'amount_fen')::bigint)
                FILTER (WHERE a.message_type = 'payments.returned.v1'), 0) AS returned_fen
FROM audit_entries a
CROSS JOIN LATERAL jsonb_array_elements(
    CASE a.message_type WHEN 'run.started.v1' THEN a.body->'skipped'
                        ELSE a.body->'payments' END) AS x
WHERE a.message_type IN ('run.started.v1', 'payments.returned.v1')
  AND a.body->>'program_code' = $1 AND a.body->>'period' = $2
  AND a.body->>'division_code' LIKE $3 || '%'
"""

_FINDINGS = """
SELECT category, rule, status, count(*) AS count,
       coalesce(sum(amount_fen), 0)::bigint AS amount_fen
FROM findings
WHERE (division_code IS NULL OR division_code LIKE $3 || '%')
  AND ((program_code = $1 AND (period = $2 OR period IS NULL)) OR program_code IS NULL)
GROUP BY category, rule, status ORDER BY category, rule, status
"""

_COMPLAINTS = """
SELECT category, count(*) AS filed,
       count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'escalated') AS escalated,
       count(*) FILTER (WHERE status = 'resolved') AS resolved,
       count(*) FILTER (WHERE status = 'resolved' AND resolved_at <= due_at)
           AS resolved_on_time,
       count(*) FILTER (WHERE status <> 'resolved' AND due_at < $4) AS overdue
FROM complaints
WHERE division_code LIKE $1 || '%' AND filed_at >= $2 AND filed_at < $3
GROUP BY category ORDER BY category
"""


class PgAccountability:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def owed_and_unpaid(self, program_code: str, period: str, prefix: str,
                              start: date, end: date) -> tuple[int, int]:
        row = await self._conn.fetchrow(_OWED, program_code, period, prefix, start, end)
        assert row is not None
        return int(row["certified"]), int(row["unpaid"])

    async def skipped_held_returned(self, program_code: str, period: str, prefix: str
                                    ) -> dict[str, int]:
        row = await self._conn.fetchrow(_RUN_LISTS, program_code, period, prefix)
        assert row is not None
        return {key: int(row[key]) for key in ("skipped", "held", "returned_count",
                                                "returned_fen")}

    async def active_holds(self, program_code: str, prefix: str) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM holds WHERE lifted_at IS NULL AND run_id IS NULL"
            " AND (program_code IS NULL OR program_code = $1)"
            " AND (division_code IS NULL OR division_code LIKE $2 || '%')",
            program_code, prefix))

    async def findings_summary(self, program_code: str, period: str, prefix: str
                               ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(_FINDINGS, program_code, period, prefix)
        return [{"category": r["category"], "rule": r["rule"], "status": r["status"],
                 "count": int(r["count"]), "amount_fen": int(r["amount_fen"]),
                 "false_claim": r["rule"] in FALSE_CLAIM_RULES} for r in rows]

    async def flag_count(self, program_code: str, period: str, prefix: str) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM flags WHERE program_code = $1 AND period = $2"
            " AND (division_code IS NULL OR division_code LIKE $3 || '%')",
            program_code, period, prefix))

    async def complaints_by_category(self, prefix: str, since: datetime, until: datetime,
                                     now: datetime) -> list[dict[str, Any]] | None:
        if not await self._conn.fetchval("SELECT to_regclass('complaints') IS NOT NULL"):
            return None
        rows = await self._conn.fetch(_COMPLAINTS, prefix, since, until, now)
        return [{key: (value if key == "category" else int(value))
                 for key, value in dict(row).items()} for row in rows]
