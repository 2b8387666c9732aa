"""Receivables on PostgreSQL: the settled payments a certification's end makes overpaid,
the receivables found, their recoveries and write-off proposals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.offsets import Offset
from siquan.disbursement.domain.recovery import (
    Found,
    PaidUnder,
    Receivable,
    Recovery,
    SettledPayment,
    WriteOffProposal,
    in_force_on,
    status_of,
)

NO_RECEIVABLE = "no such receivable"

_SETTLED = """
SELECT p.payment_id::text, p.run_id::text, r.period AS run_period, p.certification_id,
       p.program_code, r.division_code, p.period, p.item, p.amount_fen,
       t.effective_until,
       (t.benefits_end IS NOT NULL AND t.benefits_end = t.effective_until) AS death
  FROM payments p
  JOIN payment_runs r ON r.run_id = p.run_id
  JOIN certification_terms t ON t.certification_id = p.certification_id
 WHERE p.person_key = $1 AND p.status = 'settled' AND t.effective_until IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM overpaid_payments o WHERE o.payment_id = p.payment_id)
"""

# The same payments on any certification (ended or not), not yet found overpaid; and the
# spans of their certifications (`certification_spans`, an empty one left out).
_SETTLED_IN_FORCE = """
SELECT p.payment_id::text, p.run_id::text, r.period AS run_period, p.certification_id,
       p.program_code, r.division_code, p.period, p.item, p.amount_fen, t.effective_until
  FROM payments p
  JOIN payment_runs r ON r.run_id = p.run_id
  JOIN certification_terms t ON t.certification_id = p.certification_id
 WHERE p.person_key = $1 AND p.status = 'settled'
   AND NOT EXISTS (SELECT 1 FROM overpaid_payments o WHERE o.payment_id = p.payment_id)
"""

_SPANS = """
SELECT certification_id, effective_from, category, division_code
  FROM certification_spans
 WHERE certification_id = ANY($1::text[])
   AND (span_until IS NULL OR span_until > effective_from)
 ORDER BY certification_id, effective_from
"""

_LISTED = """
SELECT v.*, coalesce(s.repaid, 0)::bigint AS repaid_fen,
       coalesce(s.offset_fen, 0)::bigint AS offset_fen,
       coalesce(s.written_off, 0)::bigint AS written_off_fen
  FROM receivables v
  LEFT JOIN LATERAL (
      SELECT sum(amount_fen) FILTER (WHERE kind = 'repayment') AS repaid,
             sum(amount_fen) FILTER (WHERE kind = 'offset') AS offset_fen,
             sum(amount_fen) FILTER (WHERE kind = 'write_off') AS written_off
        FROM recoveries WHERE receivable_id = v.receivable_id) s ON true
"""


class PgReceivables:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of_death(self, person_key: str, certification_ids: Sequence[str]
                       ) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT receivable_id::text FROM receivables WHERE person_key = $1"
            " AND certification_id = ANY($2::text[]) AND cause = 'death'"
            " ORDER BY recorded_at, receivable_id", person_key, list(certification_ids))
        return [r[0] for r in rows]

    async def lock_person(self, person_key: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('receivable:' || $1))",
                                 person_key)

    async def settled_after_end(self, person_key: str) -> list[SettledPayment]:
        rows = await self._conn.fetch(_SETTLED, person_key)
        return [SettledPayment(r["payment_id"], r["run_id"], r["run_period"],
                               r["certification_id"], r["program_code"], r["division_code"],
                               r["period"], r["item"], int(r["amount_fen"]),
                               r["effective_until"], bool(r["death"])) for r in rows]

    async def settled_in_force(self, person_key: str) -> list[PaidUnder]:
        rows = await self._conn.fetch(_SETTLED_IN_FORCE, person_key)
        spans: dict[str, list[tuple[Any, str, str]]] = {}
        for span in await self._conn.fetch(
                _SPANS, sorted({r["certification_id"] for r in rows})):
            spans.setdefault(span["certification_id"], []).append(
                (span["effective_from"], span["category"], span["division_code"]))
        found = []
        for r in rows:
            span = in_force_on(spans.get(r["certification_id"], []), r["period"])
            if span is None:
                continue
            found.append(PaidUnder(SettledPayment(
                r["payment_id"], r["run_id"], r["run_period"], r["certification_id"],
                r["program_code"], r["division_code"], r["period"], r["item"],
                int(r["amount_fen"]), r["effective_until"]), span[1], span[2], span[0]))
        return found

    async def add(self, found: Found, person_key: str, at: datetime) -> bool:
        """Keep a receivable and its payments; False when it was kept before."""
        status = await self._conn.execute(
            "INSERT INTO receivables (receivable_id, person_key, certification_id,"
            " program_code, division_code, fiscal_year, cause, ended_from, total_fen,"
            " recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (receivable_id) DO NOTHING",
            found.receivable_id, person_key, found.certification_id, found.program_code,
            found.division_code, found.fiscal_year, found.cause, found.ended_from,
            found.total_fen, at)
        if status.endswith(" 0"):
            return False
        await self._conn.executemany(
            "INSERT INTO overpaid_payments (payment_id, receivable_id, run_id, run_period,"
            " period, item, amount_fen) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(p.payment_id, found.receivable_id, p.run_id, p.run_period, p.period, p.item,
              p.amount_fen) for p in found.payments])
        return True

    async def get(self, receivable_id: str, *, for_update: bool = False
                  ) -> tuple[Receivable, dict[str, Any]]:
        """The receivable with its recoveries and open proposal, and its description
        (program, division, fiscal year)."""
        try:
            uuid.UUID(receivable_id)
        except ValueError:
            raise NotFound(NO_RECEIVABLE) from None
        row = await self._conn.fetchrow(
            "SELECT * FROM receivables WHERE receivable_id = $1::text::uuid"
            + (" FOR UPDATE" if for_update else ""), receivable_id)
        if row is None:
            raise NotFound(NO_RECEIVABLE)
        recoveries = await self._conn.fetch(
            "SELECT recovery_id::text, kind, amount_fen, recorded_by, approved_by"
            " FROM recoveries WHERE receivable_id = $1 ORDER BY recorded_at, recovery_id",
            row["receivable_id"])
        proposal = await self._conn.fetchrow(
            "SELECT proposal_id::text, amount_fen, proposed_by FROM write_off_proposals"
            " WHERE receivable_id = $1 AND decided_at IS NULL", row["receivable_id"])
        receivable = Receivable(
            str(row["receivable_id"]), int(row["total_fen"]),
            [Recovery(r["recovery_id"], r["kind"], int(r["amount_fen"]), r["recorded_by"],
                      r["approved_by"]) for r in recoveries],
            None if proposal is None else WriteOffProposal(
                proposal["proposal_id"], int(proposal["amount_fen"]), proposal["proposed_by"]))
        return receivable, _described(row)

    async def add_recovery(self, receivable_id: str, recovery: Recovery, reference: str,
                           at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO recoveries (recovery_id, receivable_id, kind, amount_fen, reference,"
            " recorded_by, approved_by, recorded_at, returned_payment_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::uuid)",
            recovery.recovery_id, receivable_id, recovery.kind, recovery.amount_fen,
            reference, recovery.recorded_by, recovery.approved_by, at,
            recovery.returned_payment_id)

    async def add_offset(self, run_id: str, recovery_id: str, taken: Offset) -> None:
        """What an offset took from an entitlement, with the order paying the rest (none
        when it took the whole entitlement)."""
        await self._conn.execute(
            "INSERT INTO entitlement_offsets (recovery_id, receivable_id, run_id, payment_id,"
            " certification_id, person_key, program_code, period, item, entitlement_fen,"
            " offset_fen)"
            " SELECT $1::uuid, $2::uuid, $3::uuid, (SELECT o.payment_id FROM payment_orders o"
            "   WHERE o.run_id = $3::uuid AND o.person_key = $5 AND o.period = $6"
            "   AND o.item = $7), $4, $5, r.program_code, $6, $7, $8, $9"
            " FROM receivables r WHERE r.receivable_id = $2::uuid",
            recovery_id, taken.receivable_id, run_id, taken.certification_id,
            taken.person_key, taken.period, taken.item, taken.entitlement_fen,
            taken.offset_fen)

    async def holding(self, payment_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        rows = await self._conn.fetch(
            "SELECT payment_id::text, receivable_id::text, amount_fen FROM overpaid_payments"
            " WHERE payment_id = ANY($1::text[]::uuid[])", list(payment_ids))
        return {r["payment_id"]: (r["receivable_id"], int(r["amount_fen"])) for r in rows}

    async def add_proposal(self, receivable_id: str, proposal: WriteOffProposal,
                           reason: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO write_off_proposals (proposal_id, receivable_id, amount_fen, reason,"
            " proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            proposal.proposal_id, receivable_id, proposal.amount_fen, reason,
            proposal.proposed_by, at)

    async def decide_proposal(self, proposal_id: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE write_off_proposals SET decided_at = $2 WHERE proposal_id = $1", proposal_id,
            at)

    async def search(self, *, division_prefix: str, program_code: str | None,
                     status: str | None, person_key: str | None) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            _LISTED + " WHERE v.division_code LIKE $1 || '%'"
            " AND ($2::text IS NULL OR v.program_code = $2)"
            " AND ($3::text IS NULL OR v.person_key = $3)"
            " ORDER BY v.recorded_at, v.receivable_id", division_prefix, program_code,
            person_key)
        listed = [_listed(r) for r in rows]
        return [r for r in listed if status is None or r["status"] == status]

    async def payments_of(self, receivable_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT payment_id::text, run_id::text, run_period, period, item, amount_fen"
            " FROM overpaid_payments WHERE receivable_id = $1 ORDER BY period, item, payment_id",
            receivable_id)
        return [dict(r) for r in rows]


def _described(row: Any) -> dict[str, Any]:
    return {"receivable_id": str(row["receivable_id"]), "person_key": row["person_key"],
            "certification_id": row["certification_id"], "program_code": row["program_code"],
            "division_code": row["division_code"], "fiscal_year": row["fiscal_year"],
            "cause": row["cause"], "ended_from": row["ended_from"].isoformat(),
            "total_fen": int(row["total_fen"]), "recorded_at": row["recorded_at"].isoformat()}


def _listed(row: Any) -> dict[str, Any]:
    repaid, offset, written_off = (int(row["repaid_fen"]), int(row["offset_fen"]),
                                   int(row["written_off_fen"]))
    total = int(row["total_fen"])
    return _described(row) | {
        "repaid_fen": repaid, "offset_fen": offset, "written_off_fen": written_off,
        "outstanding_fen": total - repaid - offset - written_off,
        "status": status_of(total, {"repayment": repaid, "offset": offset,
                                    "write_off": written_off})}
