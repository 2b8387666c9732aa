"""Year-end statements, one per special account, append-only in the database (which also
checks that each balances to the fen)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.statement import YearEndStatement
from siquan.shared.database import Connection


async def add(conn: Connection, statement_id: str, account_id: str,
              statement: YearEndStatement, produced_by: str, produced_at: datetime) -> None:
    s = statement
    await conn.execute(
        "INSERT INTO year_end_statements (id, special_account_id, opening_fen, central_fen,"
        " provincial_fen, municipal_fen, county_fen, paid_fen, returned_fen, closing_fen,"
        " runs_settled, reserved_fen, released_fen, produced_by, produced_at) VALUES ($1, $2,"
        " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        statement_id, account_id, s.opening_fen,
        *(s.appropriated[level] for level in FISCAL_LEVELS), s.paid_fen, s.returned_fen,
        s.closing_fen, s.runs_settled, s.reserved_fen, s.released_fen, produced_by,
        produced_at)


async def get(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The stored statement as the API and the event show it, or None."""
    row = await conn.fetchrow(
        "SELECT st.*, s.program_code, s.fiscal_year, s.division_code FROM year_end_statements"
        " st JOIN special_accounts s ON s.id = st.special_account_id"
        " WHERE st.special_account_id = $1", account_id)
    if row is None:
        return None
    appropriated = {level: row[f"{level}_fen"] for level in FISCAL_LEVELS}
    return {
        "statement_id": str(row["id"]), "program_code": row["program_code"],
        "fiscal_year": row["fiscal_year"], "division_code": row["division_code"],
        "opening_fen": row["opening_fen"], "appropriated": appropriated,
        "appropriated_total_fen": sum(appropriated.values()), "paid_fen": row["paid_fen"],
        "returned_fen": row["returned_fen"], "closing_fen": row["closing_fen"],
        "runs_settled": row["runs_settled"], "reserved_fen": row["reserved_fen"],
        "released_fen": row["released_fen"], "produced_by": row["produced_by"],
        "produced_at": row["produced_at"]}
