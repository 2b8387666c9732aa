"""The ends a program's rules set for each certification, in eligibility's own database:
assessed per certification (`end_assessed`, cleared when what the rules read changes),
kept as `ends_on` and `ends_reason`, and found again on their day (once assessed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from siquan.eligibility.adapters.certifications import _SELECT, _from_row
from siquan.eligibility.application.ports import EndToAssess
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.household import applicant_from_id
from siquan.shared.database import Connection

_LIVE = "c.status IN ('active', 'suspended')"
_COLUMNS = _SELECT.removeprefix("SELECT ").removesuffix(" FROM certifications")
_PREFIXED = ", ".join(f"c.{name.strip()}" for name in _COLUMNS.split(","))


class PgCertificationEnds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def to_assess(self, limit: int) -> list[EndToAssess]:
        """A chunk of the certifications not yet assessed, locked, with the applicant's
        facts. The chunk is chosen and locked on the certifications alone before the join:
        joined first, every unassessed certification (thousands after a county's approval)
        was read with its application's facts and sorted to keep a chunk of them."""
        rows = await self._conn.fetch(
            f"WITH chunk AS (SELECT c.id FROM certifications c"
            f" WHERE NOT c.end_assessed AND {_LIVE} ORDER BY c.id LIMIT $1"
            f" FOR UPDATE SKIP LOCKED)"
            f" SELECT {_PREFIXED}, a.resident_id, a.facts FROM chunk"
            f" JOIN certifications c ON c.id = chunk.id"
            f" JOIN applications a ON a.id = c.application_id ORDER BY c.id", limit)
        return [EndToAssess(_from_row(r), applicant_from_id(r["resident_id"]).birth_date,
                            r["facts"]) for r in rows]

    async def schedule(self, ends: Sequence[tuple[str, date | None, str | None]]) -> None:
        if not ends:
            return
        await self._conn.execute(
            "UPDATE certifications c SET end_assessed = true, ends_on = u.ends_on,"
            " ends_reason = u.reason"
            " FROM unnest($1::uuid[], $2::date[], $3::text[]) AS u(id, ends_on, reason)"
            " WHERE c.id = u.id",
            [i for i, _, _ in ends], [d for _, d, _ in ends], [r for _, _, r in ends])

    async def due(self, today: date, limit: int) -> list[tuple[Certification, date, str]]:
        rows = await self._conn.fetch(
            f"SELECT {_PREFIXED}, c.ends_on, c.ends_reason FROM certifications c"
            f" WHERE {_LIVE} AND c.end_assessed AND c.ends_on <= $1 ORDER BY c.id LIMIT $2"
            f" FOR UPDATE SKIP LOCKED", today, limit)
        return [(_from_row(r), r["ends_on"], r["ends_reason"]) for r in rows]

    async def live_of_program(self, program_code: str, limit: int) -> list[Certification]:
        rows = await self._conn.fetch(
            f"SELECT {_PREFIXED} FROM certifications c WHERE {_LIVE}"
            f" AND c.program_code = $1 ORDER BY c.id LIMIT $2 FOR UPDATE SKIP LOCKED",
            program_code, limit)
        return [_from_row(r) for r in rows]

    async def reassess(self, *, certification_ids: Sequence[str] = (),
                       program_code: str | None = None, person_keys: Sequence[str] = ()
                       ) -> None:
        await self._conn.execute(
            f"UPDATE certifications c SET end_assessed = false WHERE c.end_assessed"
            f" AND {_LIVE} AND (c.id = ANY($1::uuid[]) OR c.program_code = $2"
            f" OR c.person_key = ANY($3::text[]))",
            list(certification_ids), program_code, list(person_keys))
