"""Counts of active certifications per program, division and category.

Only the certification id (not personal) is kept, so a redelivered or late grant or
revocation counts once; no person key, name or ID number is ever stored here. Every change
bumps the roster version of its (program, division), which tells the forecast loop which
forecasts to compute again.
"""

from __future__ import annotations

from siquan.shared.database import Connection


async def grant(conn: Connection, certification_id: str, program_code: str,
                division_code: str, category: str) -> None:
    """Count a certification as active, unless it is known already (or was revoked)."""
    await conn.execute(
        "INSERT INTO certifications (certification_id, program_code, division_code, category,"
        " active) VALUES ($1, $2, $3, $4, true) ON CONFLICT (certification_id) DO UPDATE"
        " SET category = coalesce(certifications.category, EXCLUDED.category)",
        certification_id, program_code, division_code, category)


async def revoke(conn: Connection, certification_id: str, program_code: str,
                 division_code: str) -> None:
    """Stop counting a certification; remember the revocation even if the grant is unseen."""
    await conn.execute(
        "INSERT INTO certifications (certification_id, program_code, division_code, active)"
        " VALUES ($1, $2, $3, false) ON CONFLICT (certification_id) DO UPDATE"
        " SET active = false, updated_at = now()",
        certification_id, program_code, division_code)


async def active_counts(conn: Connection, program_code: str,
                        division_code: str) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT category, count(*) AS n FROM certifications WHERE program_code = $1"
        " AND division_code = $2 AND active GROUP BY category ORDER BY category",
        program_code, division_code)
    return {r["category"]: r["n"] for r in rows}


async def roster_changed(conn: Connection, program_code: str, division_code: str) -> None:
    await conn.execute(
        "INSERT INTO rosters (program_code, division_code, version) VALUES ($1, $2, 1)"
        " ON CONFLICT (program_code, division_code) DO UPDATE"
        " SET version = rosters.version + 1, changed_at = now()", program_code, division_code)


async def roster_version(conn: Connection, program_code: str, division_code: str) -> int:
    version = await conn.fetchval("SELECT version FROM rosters WHERE program_code = $1"
                                  " AND division_code = $2", program_code, division_code)
    return int(version or 0)
