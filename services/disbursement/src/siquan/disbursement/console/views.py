"""What the disbursement pages list that no use case reads: the payee account changes
awaiting a second officer's confirmation within an officer's division (masked accounts
only; the confirmation itself is the use case's)."""

from __future__ import annotations

from typing import Any

from siquan.disbursement.adapters.db import Connection

LISTED = 200
"""Changes listed on the page, at most."""


async def awaiting_confirmation(conn: Connection, prefix: str) -> list[dict[str, Any]]:
    """The changes awaiting confirmation under a division prefix, oldest first."""
    rows = await conn.fetch(
        "SELECT person_key, bank_code, masked_account, division_code, registered_by,"
        " registered_at, previous_registered_at FROM payee_accounts"
        " WHERE superseded_at IS NULL AND confirmed_at IS NULL"
        " AND division_code LIKE $1 || '%' ORDER BY registered_at, person_key LIMIT $2",
        prefix, LISTED)
    return [dict(r) for r in rows]
