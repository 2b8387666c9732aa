"""The re-confirmation worklist, straight from eligibility's tables: for one year and one
division, each certification due for re-confirmation that year (valid until the end of
the year before), or re-confirmed for it, with its status and only what an officer needs
to find the person and act (the masked name, never the ID number).

Status: `confirmed` (re-confirmed for the year, with how, by whom and when), `due` (not
yet, the certification still in its year), `overdue` (its year is over, the grace days
run), `lapsed` (not re-confirmed by the deadline)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from siquan.shared.database import Connection

_WORKLIST = """
SELECT * FROM (
    SELECT c.id::text AS certification_id, c.program_code, c.category, a.masked_name,
           c.division_code, c.township_code, c.status AS certification_status,
           make_date($1::int - 1, 12, 31)
               + coalesce(($2::jsonb ->> c.program_code)::int, $3::int) AS deadline,
           CASE WHEN r.id IS NOT NULL THEN 'confirmed'
                WHEN c.status = 'lapsed' THEN 'lapsed'
                WHEN $4::date <= make_date($1::int - 1, 12, 31) THEN 'due'
                ELSE 'overdue' END AS status,
           r.method, r.evidence_reference, r.confirmed_by, r.confirmed_at
    FROM certifications c
    JOIN applications a ON a.id = c.application_id
    LEFT JOIN reconfirmations r ON r.certification_id = c.id AND r.year = $1::int
    WHERE coalesce(c.township_code, c.division_code) LIKE $5 || '%'
      AND ($6::text IS NULL OR c.program_code = $6)
      AND (r.id IS NOT NULL OR (c.valid_until = make_date($1::int - 1, 12, 31)
                                AND c.status IN ('active', 'suspended', 'lapsed')))
) w
WHERE ($7::text IS NULL OR w.status = $7)
ORDER BY coalesce(w.township_code, w.division_code), w.certification_id
LIMIT $8 OFFSET $9"""


async def worklist(conn: Connection, *, year: int, today: date, division_prefix: str,
                   program_code: str | None, status: str | None, grace_days: int,
                   grace_by_program: Mapping[str, int], limit: int, offset: int
                   ) -> list[dict[str, Any]]:
    rows = await conn.fetch(_WORKLIST, year, dict(grace_by_program), grace_days, today,
                            division_prefix, program_code, status, limit, offset)
    return [dict(r) for r in rows]
