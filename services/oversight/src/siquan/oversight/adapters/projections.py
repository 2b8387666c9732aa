"""The report projections in oversight's database: certifications by program and
division, payment runs with their status, allocations, settled or failed payment chunks
(one row per run, outcome and chunk, so a chunk is counted once), and receivables with
their recoveries.

Every change is an upsert that commutes with the others (a revocation wins over a grant,
a run's status only moves forward), so they are written for the whole batch when it
commits, in any order the queues brought them.
"""

from __future__ import annotations

import json
from datetime import datetime

from siquan.oversight.adapters.batching import Writes
from siquan.oversight.domain.reconciliation import RUN_STATUS_RANK, ProgramReport, RunFigures
from siquan.oversight.domain.recovery import TrackedReceivable
from siquan.shared.database import Connection


def _rank(column: str) -> str:
    return "CASE " + column + " " + " ".join(
        f"WHEN '{status}' THEN {rank}" for status, rank in RUN_STATUS_RANK.items()) + " END"


_CERTIFICATION = (
    "INSERT INTO certifications (certification_id, program_code, division_code, status)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (certification_id) DO UPDATE"
    " SET status = 'revoked' WHERE EXCLUDED.status = 'revoked'")
# A run's status moves forward; a batch that brings nothing new (every chunk of a run says
# "paying") leaves its row unlocked: an upsert's ON CONFLICT DO UPDATE locks the row even
# when its WHERE refuses the change, which made competing instances wait for each other's
# commit on every chunk of the same run. The insert is for a run not seen yet (its conflict
# arm, for two instances seeing it first together, is the only one that waits).
_RUN = f"""
WITH moved AS (
    UPDATE payment_runs SET status = $5
     WHERE run_id = $1 AND {_rank('$5::text')} > {_rank('payment_runs.status')})
INSERT INTO payment_runs (run_id, program_code, period, division_code, status)
SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM payment_runs WHERE run_id = $1)
ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status
 WHERE {_rank('EXCLUDED.status')} > {_rank('payment_runs.status')}
"""
_ALLOCATION = ("INSERT INTO allocations (allocation_id, run_id, amount_fen) VALUES ($1, $2, $3)"
               " ON CONFLICT (allocation_id) DO NOTHING")
_CHUNK = ("INSERT INTO payment_chunks (run_id, outcome, chunk, count, amount_fen)"
          " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
_SETTLED = "UPDATE payment_runs SET settled_fen = $2 WHERE run_id = $1"
_RECEIVABLE = (
    "INSERT INTO receivables (receivable_id, program_code, division_code, fiscal_year, cause,"
    " total_fen, periods, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)"
    " ON CONFLICT (receivable_id) DO NOTHING")
_RECOVERY = (
    "INSERT INTO recoveries (recovery_id, receivable_id, program_code, division_code,"
    " fiscal_year, kind, amount_fen, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (recovery_id) DO NOTHING")
_TRACKED = """
SELECT v.receivable_id, v.division_code, v.cause, v.total_fen, v.periods, v.recorded_at,
       coalesce(sum(x.amount_fen) FILTER (WHERE x.kind = 'repayment'), 0)::bigint AS repaid,
       coalesce(sum(x.amount_fen) FILTER (WHERE x.kind = 'offset'), 0)::bigint AS offset_fen,
       coalesce(sum(x.amount_fen) FILTER (WHERE x.kind = 'write_off'), 0)::bigint AS written_off
  FROM receivables v LEFT JOIN recoveries x USING (receivable_id)
 WHERE v.program_code = $1 AND v.fiscal_year = $2 AND v.division_code LIKE $3 || '%'
 GROUP BY v.receivable_id ORDER BY v.recorded_at, v.receivable_id
"""
_UNMATCHED = """
SELECT count(*) FROM recoveries x WHERE x.program_code = $1 AND x.fiscal_year = $2
   AND x.division_code LIKE $3 || '%'
   AND NOT EXISTS (SELECT 1 FROM receivables v WHERE v.receivable_id = x.receivable_id)
"""

_RUNS = """
SELECT r.run_id, r.division_code, r.status,
       coalesce((SELECT sum(amount_fen) FROM allocations a WHERE a.run_id = r.run_id), 0)
           ::bigint AS allocated_fen,
       coalesce((SELECT sum(amount_fen) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'settled'), 0)::bigint AS paid_fen,
       coalesce((SELECT sum(count) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'settled'), 0)::bigint AS paid_count,
       coalesce((SELECT sum(amount_fen) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'failed'), 0)::bigint AS failed_fen,
       coalesce((SELECT sum(count) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'failed'), 0)::bigint AS failed_count,
       coalesce(r.settled_fen, 0) AS settled_fen
FROM payment_runs r
WHERE r.program_code = $1 AND r.period = $2 AND r.division_code LIKE $3 || '%'
ORDER BY r.run_id
"""


class PgProjections:
    def __init__(self, conn: Connection, writes: Writes) -> None:
        self._conn, self._writes = conn, writes

    def certification(self, certification_id: str, program_code: str, division_code: str,
                      *, revoked: bool) -> None:
        self._writes.add(_CERTIFICATION, certification_id, program_code, division_code,
                         "revoked" if revoked else "active")

    def run_moved(self, run_id: str, program_code: str, period: str, division_code: str,
                  status: str) -> None:
        self._writes.add(_RUN, run_id, program_code, period, division_code, status)

    def allocation(self, allocation_id: str, run_id: str, amount_fen: int) -> None:
        self._writes.add(_ALLOCATION, allocation_id, run_id, amount_fen)

    def chunk(self, run_id: str, outcome: str, chunk: int, count: int,
              amount_fen: int) -> None:
        self._writes.add(_CHUNK, run_id, outcome, chunk, count, amount_fen)

    def run_settled(self, run_id: str, paid_fen: int) -> None:
        self._writes.add(_SETTLED, run_id, paid_fen)

    def receivable(self, receivable_id: str, program_code: str, division_code: str,
                   fiscal_year: int, cause: str, total_fen: int, periods: dict[str, int],
                   recorded_at: datetime) -> None:
        self._writes.add(_RECEIVABLE, receivable_id, program_code, division_code, fiscal_year,
                         cause, total_fen, json.dumps(periods, sort_keys=True), recorded_at)

    def recovery(self, recovery_id: str, receivable_id: str, program_code: str,
                 division_code: str, fiscal_year: int, kind: str, amount_fen: int,
                 recorded_at: datetime) -> None:
        self._writes.add(_RECOVERY, recovery_id, receivable_id, program_code, division_code,
                         fiscal_year, kind, amount_fen, recorded_at)

    async def tracked_receivables(self, program_code: str, fiscal_year: int, prefix: str
                                  ) -> tuple[list[TrackedReceivable], int]:
        """The receivables of a program's year with what recovered them, and how many
        recoveries name a receivable not seen yet."""
        rows = await self._conn.fetch(_TRACKED, program_code, fiscal_year, prefix)
        unmatched = await self._conn.fetchval(_UNMATCHED, program_code, fiscal_year, prefix)
        return [TrackedReceivable(
            row["receivable_id"], row["division_code"], row["cause"], int(row["total_fen"]),
            row["recorded_at"].isoformat(), int(row["repaid"]), int(row["offset_fen"]),
            int(row["written_off"]), json.loads(row["periods"])) for row in rows
        ], int(unmatched)

    async def program_report(self, program_code: str, period: str,
                             division_code: str | None, prefix: str) -> ProgramReport:
        certified = await self._conn.fetchval(
            "SELECT count(*) FROM certifications WHERE program_code = $1"
            " AND status = 'active' AND division_code LIKE $2 || '%'", program_code, prefix)
        rows = await self._conn.fetch(_RUNS, program_code, period, prefix)

        def total(column: str) -> int:
            return sum(int(row[column]) for row in rows)

        return ProgramReport(
            program_code=program_code, period=period, division_code=division_code,
            certified_count=int(certified), allocated_fen=total("allocated_fen"),
            paid_fen=total("paid_fen"), paid_count=total("paid_count"),
            failed_fen=total("failed_fen"), failed_count=total("failed_count"),
            settled_fen=total("settled_fen"),
            runs=[RunFigures(row["run_id"], row["division_code"], row["status"],
                             int(row["allocated_fen"]), int(row["paid_fen"]),
                             int(row["settled_fen"])) for row in rows])
