"""What the treasury pages list that no use case reads: the special accounts within an
officer's division (their figures come from the queries)."""

from __future__ import annotations

from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.database import Connection

LISTED = 200
"""Special accounts listed on the page, at most."""


async def accounts_within(conn: Connection, prefix: str, program_code: str | None,
                          fiscal_year: int | None) -> list[AccountKey]:
    """The special accounts under a division prefix, latest year first."""
    rows = await conn.fetch(
        "SELECT program_code, fiscal_year, division_code FROM special_accounts"
        " WHERE division_code LIKE $1 || '%' AND ($2::text IS NULL OR program_code = $2)"
        " AND ($3::int IS NULL OR fiscal_year = $3)"
        " ORDER BY fiscal_year DESC, program_code, division_code LIMIT $4",
        prefix, program_code, fiscal_year, LISTED)
    return [AccountKey(r["program_code"], r["fiscal_year"], r["division_code"])
            for r in rows]
