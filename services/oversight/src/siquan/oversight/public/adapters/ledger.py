"""Each person's ledger, kept from the logged events for statements: certification
changes (`statement_certification_changes`) and payment lines — failed, returned, or
skipped with a reason (`statement_payment_lines`), and settled: the rules'
`settled_payments`, stored once for both. Lines are read back in the order recorded
(`seq`; a settled payment takes its number from the same sequence). A transfer the bank
answered again for another payment id (a run lost in a restore of disbursement and started
again) is one line: the payment it was made under."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from siquan.oversight.adapters.batching import Writes
from siquan.oversight.public.domain.statements import (
    Agency,
    CertificationChange,
    PaymentLine,
    RunFacts,
)
from siquan.shared.database import Connection

_CHANGE = ("certification_id", "change", "program_code", "division_code", "effective_from",
           "category", "valid_until", "reason", "masked_name", "masked_resident_id")
_LINE = ("outcome", "run_id", "program_code", "period", "division_code", "certification_id",
         "item", "amount_fen", "reason")
_RECORD_CHANGE = (
    "INSERT INTO statement_certification_changes (person_key, " + ", ".join(_CHANGE)
    + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
_RECORD_LINE = (
    "INSERT INTO statement_payment_lines (person_key, line_key, " + ", ".join(_LINE)
    + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING")
_LINES = """
SELECT seq, outcome, run_id, program_code, period, division_code, certification_id, item,
       amount_fen, reason
FROM statement_payment_lines WHERE person_key = $1 AND division_code LIKE $2 || '%'
UNION ALL
SELECT line_seq, 'settled', run_id, program_code, run_period, division_code,
       certification_id, item, amount_fen, NULL
FROM settled_payments s WHERE person_key = $1 AND division_code LIKE $2 || '%'
  AND NOT EXISTS (SELECT 1 FROM settled_payments e WHERE e.payment_id = s.transferred_as)
ORDER BY 1
"""


_AGENCY = (
    "INSERT INTO statement_agencies (person_key, masked_resident_id, evidence_kind, since)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (person_key) DO UPDATE SET"
    " masked_resident_id = EXCLUDED.masked_resident_id,"
    " evidence_kind = EXCLUDED.evidence_kind, since = EXCLUDED.since"
    " WHERE EXCLUDED.since >= statement_agencies.since")
_NO_AGENCY = "DELETE FROM statement_agencies WHERE person_key = $1 AND since <= $2"


class PgLedger:
    def __init__(self, conn: Connection, writes: Writes) -> None:
        self._conn, self._writes = conn, writes

    def record_change(self, person_key: str, change: CertificationChange) -> None:
        self._writes.add(_RECORD_CHANGE, person_key,
                         *(getattr(change, name) for name in _CHANGE))

    def record_lines(self, lines: Sequence[tuple[str, str, PaymentLine]]) -> None:
        for person, key, line in lines:
            self._writes.add(_RECORD_LINE, person, key,
                             *(getattr(line, name) for name in _LINE))

    async def changes_of(self, person_key: str, division_prefix: str
                         ) -> list[CertificationChange]:
        rows = await self._conn.fetch(
            "SELECT seq, " + ", ".join(_CHANGE) + " FROM statement_certification_changes"
            " WHERE person_key = $1 AND division_code LIKE $2 || '%' ORDER BY seq",
            person_key, division_prefix)
        return [CertificationChange(**dict(row)) for row in rows]

    async def lines_of(self, person_key: str, division_prefix: str) -> list[PaymentLine]:
        rows = await self._conn.fetch(_LINES, person_key, division_prefix)
        return [PaymentLine(**{name: row[name] for name in _LINE}) for row in rows]

    async def runs_for(self, run_ids: Sequence[str], programs: Sequence[tuple[str, str]],
                       since: date | None) -> list[RunFacts]:
        """Runs by id, and runs of these (program, division) pairs (report projections)."""
        rows = await self._conn.fetch(
            "SELECT r.run_id, r.program_code, r.period, r.division_code, r.status,"
            " EXISTS (SELECT 1 FROM allocations a WHERE a.run_id = r.run_id) AS allocated"
            " FROM payment_runs r WHERE r.run_id = ANY($1::text[])"
            " OR (r.program_code || '/' || r.division_code = ANY($2::text[])"
            "     AND left(r.period, 4) >= $3)",
            list(run_ids), [f"{program}/{division}" for program, division in programs],
            f"{since.year:04d}" if since else "9999")
        return [RunFacts(**dict(row)) for row in rows]

    def record_agency(self, person_key: str, agency: Agency | None, at: datetime) -> None:
        if agency is None:
            self._writes.add(_NO_AGENCY, person_key, at)
        else:
            self._writes.add(_AGENCY, person_key, agency.masked_resident_id,
                             agency.evidence_kind, agency.since)

    async def agency_of(self, person_key: str) -> Agency | None:
        row = await self._conn.fetchrow(
            "SELECT masked_resident_id, evidence_kind, since FROM statement_agencies"
            " WHERE person_key = $1", person_key)
        return None if row is None else Agency(**dict(row))
