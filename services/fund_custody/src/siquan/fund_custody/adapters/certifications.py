"""Counts of active certifications per program, division and category.

Only the certification id (not personal) is kept, so a redelivered or late grant or
revocation counts once; no person key, name or ID number is ever stored here.
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
