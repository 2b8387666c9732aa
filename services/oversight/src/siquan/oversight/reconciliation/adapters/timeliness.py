"""Certification timeliness from the applications and grants oversight has seen: per
division and year of submission, how many counted and how many were certified in time."""

from __future__ import annotations

from datetime import datetime

from siquan.oversight.reconciliation.domain.timeliness import DivisionTimeliness
from siquan.shared.database import Connection

_TIMELINESS = """
WITH judged AS (
    SELECT a.division_code, extract(year FROM a.submitted_at)::int AS year, a.message_id,
           c.approved_at,
           c.approved_at IS NOT NULL
               AND c.approved_at <= a.submitted_at + make_interval(days => $2) AS on_time,
           (c.approved_at IS NOT NULL
               AND c.approved_at > a.submitted_at + make_interval(days => $2))
           OR (c.approved_at IS NULL
               AND a.submitted_at + make_interval(days => $2) < $1) AS late
    FROM watched_applications a
    LEFT JOIN LATERAL (SELECT min(approved_at) AS approved_at FROM watched_certifications w
                       WHERE w.application_id = a.application_id) c ON true
    WHERE NOT a.rejected AND a.submitted_at >= $3 AND a.submitted_at < $4
      AND a.division_code LIKE $5 || '%' AND ($6::text IS NULL OR a.program_code = $6)
)
SELECT division_code, year, count(*) FILTER (WHERE on_time OR late) AS counted,
       count(*) FILTER (WHERE on_time) AS on_time,
       (array_agg(message_id::text ORDER BY message_id) FILTER (WHERE late))[1:20]
           AS late_evidence
FROM judged GROUP BY division_code, year ORDER BY division_code, year
"""


async def by_division(conn: Connection, *, now: datetime, target_days: int,
                      since: datetime, until: datetime, division_prefix: str = "",
                      program_code: str | None = None) -> list[DivisionTimeliness]:
    rows = await conn.fetch(_TIMELINESS, now, target_days, since, until, division_prefix,
                            program_code)
    return [DivisionTimeliness(row["division_code"], row["year"], int(row["counted"]),
                               int(row["on_time"]), tuple(row["late_evidence"] or ()))
            for row in rows]
