"""Each person's ledger, kept from the logged events for statements: certification
changes (`statement_certification_changes`) and payment lines — settled, failed, or
skipped with a reason (`statement_payment_lines`). Rows are appended in the order the audit
log took the events (the chain head lock serialises them), which `seq` keeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from siquan.oversight.public.domain.statements import (
    CertificationChange,
    PaymentLine,
    RunFacts,
)
from siquan.shared.database import Connection

_CHANGE = ("certification_id", "change", "program_code", "division_code", "effective_from",
           "category", "valid_until", "reason", "masked_name", "masked_resident_id")
_LINE = ("outcome", "run_id", "program_code", "period", "division_code", "certification_id",
         "item", "amount_fen", "reason")


async def record_change(conn: Connection, person_key: str, change: CertificationChange
                        ) -> None:
    await conn.execute(
        "INSERT INTO statement_certification_changes (person_key, " + ", ".join(_CHANGE)
        + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", person_key,
        *(getattr(change, name) for name in _CHANGE))


async def record_lines(conn: Connection, lines: Sequence[tuple[str, str, PaymentLine]]
                       ) -> None:
    """(person_key, line_key, line): a line already recorded (same key and outcome) is
    not recorded again."""
    await conn.executemany(
        "INSERT INTO statement_payment_lines (person_key, line_key, " + ", ".join(_LINE)
        + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        [(person, key, *(getattr(line, name) for name in _LINE))
         for person, key, line in lines])


async def changes_of(conn: Connection, person_key: str, division_prefix: str
                     ) -> list[CertificationChange]:
    rows = await conn.fetch(
        "SELECT seq, " + ", ".join(_CHANGE) + " FROM statement_certification_changes"
        " WHERE person_key = $1 AND division_code LIKE $2 || '%' ORDER BY seq",
        person_key, division_prefix)
    return [CertificationChange(**dict(row)) for row in rows]


async def lines_of(conn: Connection, person_key: str, division_prefix: str
                   ) -> list[PaymentLine]:
    rows = await conn.fetch(
        "SELECT " + ", ".join(_LINE) + " FROM statement_payment_lines"
        " WHERE person_key = $1 AND division_code LIKE $2 || '%' ORDER BY seq",
        person_key, division_prefix)
    return [PaymentLine(**dict(row)) for row in rows]


async def runs_for(conn: Connection, run_ids: Sequence[str],
                   programs: Sequence[tuple[str, str]], since: date | None) -> list[RunFacts]:
    """Runs by id, and runs of these (program, division) pairs (report projections)."""
    rows = await conn.fetch(
        "SELECT r.run_id, r.program_code, r.period, r.division_code, r.status,"
        " EXISTS (SELECT 1 FROM allocations a WHERE a.run_id = r.run_id) AS allocated"
        " FROM payment_runs r WHERE r.run_id = ANY($1::text[])"
        " OR (r.program_code || '/' || r.division_code = ANY($2::text[])"
        "     AND left(r.period, 4) >= $3)",
        list(run_ids), [f"{program}/{division}" for program, division in programs],
        f"{since.year:04d}" if since else "9999")
    return [RunFacts(**dict(row)) for row in rows]
