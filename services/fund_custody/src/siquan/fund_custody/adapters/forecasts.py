"""Fund forecasts, one numbered version after another per special account, and which
accounts are due for a new forecast because their roster changed.

The account row keeps the version last published and the roster version last looked at:
a recomputation that changes no figure is recorded as looked at, without a new version.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from siquan.fund_custody.application.ports import StoredForecast
from siquan.fund_custody.domain.forecast import Forecast, ForecastLine
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.shared.database import Connection


class PgForecasts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def latest(self, special_account_id: str, *,
                     version: int | None = None) -> StoredForecast | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM forecasts WHERE special_account_id = $1"
            " AND ($2::integer IS NULL OR version = $2) ORDER BY version DESC LIMIT 1",
            special_account_id, version)
        return None if row is None else _stored(row)

    async def add(self, special_account_id: str, stored: StoredForecast) -> None:
        f = stored.forecast
        lines = [{"category": line.category, "head_count": line.head_count,
                  "per_person_fen": line.per_person_fen, "total_fen": line.total_fen}
                 for line in f.lines]
        await self._conn.execute(
            "INSERT INTO forecasts (special_account_id, version, roster_version, frequency,"
            " periods, head_count, total_fen, central_fen, provincial_fen, municipal_fen,"
            " county_fen, lines, cause, computed_by, computed_at) VALUES ($1, $2, $3, $4,"
            " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            special_account_id, stored.version, stored.roster_version, f.frequency,
            list(f.periods), f.head_count, f.total_fen,
            *(f.by_level[level] for level in FISCAL_LEVELS), lines, stored.cause,
            stored.computed_by, stored.computed_at)
        await self.looked_at(special_account_id, stored.version, stored.roster_version,
                             stored.computed_at)

    async def looked_at(self, special_account_id: str, version: int, roster_version: int,
                        at: datetime) -> None:
        await self._conn.execute(
            "UPDATE special_accounts SET forecast_version = $2, forecast_roster_version = $3,"
            " forecast_checked_at = $4 WHERE id = $1", special_account_id, version,
            roster_version, at)

    async def due(self, checked_before: datetime, limit: int = 100) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT s.id FROM special_accounts s JOIN rosters r USING (program_code,"
            " division_code) WHERE s.forecast_version IS NOT NULL AND s.closed_at IS NULL"
            " AND s.forecast_roster_version < r.version AND s.forecast_checked_at <= $1"
            " ORDER BY s.forecast_checked_at LIMIT $2", checked_before, limit)
        return [str(r["id"]) for r in rows]


def _stored(row: asyncpg.Record) -> StoredForecast:
    lines = tuple(ForecastLine(line["category"], line["head_count"], line["per_person_fen"],
                               line.get("total_fen",
                                        line["head_count"] * line["per_person_fen"]))
                  for line in row["lines"])
    by_level = {level: row[f"{level}_fen"] for level in FISCAL_LEVELS}
    forecast = Forecast(row["frequency"], tuple(row["periods"]), lines, by_level,
                        row["head_count"])
    return StoredForecast(row["version"], row["roster_version"], forecast, row["cause"],
                          row["computed_by"], row["computed_at"])
