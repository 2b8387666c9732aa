"""Year-end statements, one per special account, append-only in the database (which also
checks that each balances to the fen)."""

from __future__ import annotations

from siquan.fund_custody.application.ports import StoredStatement
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.fund_custody.domain.statement import YearEndStatement
from siquan.shared.database import Connection


class PgStatements:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, stored: StoredStatement) -> None:
        s = stored.statement
        await self._conn.execute(
            "INSERT INTO year_end_statements (id, special_account_id, opening_fen,"
            " central_fen, provincial_fen, municipal_fen, county_fen, paid_fen, returned_fen,"
            " closing_fen, runs_settled, reserved_fen, released_fen, produced_by,"
            " produced_at, recovered_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
            " $11, $12, $13, $14, $15, $16)", stored.statement_id, stored.special_account_id,
            s.opening_fen, *(s.appropriated[level] for level in FISCAL_LEVELS), s.paid_fen,
            s.returned_fen, s.closing_fen, s.runs_settled, s.reserved_fen, s.released_fen,
            stored.produced_by, stored.produced_at, s.recovered_fen)

    async def get(self, special_account_id: str) -> StoredStatement | None:
        row = await self._conn.fetchrow(
            "SELECT st.*, s.program_code, s.fiscal_year, s.division_code FROM"
            " year_end_statements st JOIN special_accounts s ON s.id = st.special_account_id"
            " WHERE st.special_account_id = $1", special_account_id)
        if row is None:
            return None
        statement = YearEndStatement(
            key=AccountKey(row["program_code"], row["fiscal_year"], row["division_code"]),
            opening_fen=row["opening_fen"],
            appropriated={level: row[f"{level}_fen"] for level in FISCAL_LEVELS},
            paid_fen=row["paid_fen"], returned_fen=row["returned_fen"],
            closing_fen=row["closing_fen"], runs_settled=row["runs_settled"],
            reserved_fen=row["reserved_fen"], released_fen=row["released_fen"],
            recovered_fen=row["recovered_fen"])
        return StoredStatement(str(row["id"]), str(row["special_account_id"]), statement,
                               row["produced_by"], row["produced_at"])
