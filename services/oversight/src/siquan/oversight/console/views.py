"""What the auditor's pages list that no use case reads: the audit log paged newest first
and filtered by event type, producer and day; the reconciliation figures of every program
and period in a division (the program report's sums, and the findings of each kind); the
published checkpoints. Each is one query in the caller's read-only unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from siquan.oversight.reconciliation.domain import findings as rules

PAGE = 50
"""Audit entries, findings or complaints on a page."""
PERIODS = 24
"""Program periods on the reconciliation dashboard, at most (the latest)."""
CHECKPOINTS = 100
"""Checkpoints listed, at most (the latest)."""

OMISSIONS = (rules.CERTIFIED_NOT_PAID.name,)
FALSE_CLAIMS = tuple(r.name for r in (
    rules.PAID_WITHOUT_CERTIFICATION, rules.PAID_BEFORE_CERTIFICATION, rules.PAID_AFTER_DEATH,
    rules.PAID_AFTER_REVOCATION, rules.PAID_WHILE_LAPSED, rules.PAID_WHILE_SUSPENDED,
    rules.PAID_TWICE))
MISMATCHES = tuple(r.name for r in (
    rules.AMOUNT_DIFFERS_FROM_POLICY, rules.NO_POLICY_AMOUNT, rules.SETTLEMENT_UNBALANCED,
    rules.SETTLEMENT_DIFFERS_FROM_ALLOCATION, rules.BANK_STATEMENT_DIFFERS,
    rules.BANK_RESULT_DIFFERS))
"""The findings the dashboard counts per program and period, by the reconciliation's
three questions: who was certified and not paid, who was paid without being owed, and
which sums disagree."""


@dataclass(frozen=True)
class EntryPage:
    """Which entries of the log to show: filters, and the page's upper bound."""

    division_prefix: str
    message_type: str | None = None
    producer: str | None = None
    since: date | None = None
    until: date | None = None
    before_seq: int | None = None
    message_id: str | None = None
    zone: str = "Asia/Shanghai"
    """The time zone of the office's days."""


_ENTRIES = (
    "SELECT seq, message_id::text, producer, message_type, occurred_at, received_at,"
    " correlation_id, body->>'division_code' AS division_code, entry_hash"
    " FROM audit_entries"
    " WHERE ($1::text IS NULL OR message_type = $1) AND ($2::text IS NULL OR producer = $2)"
    " AND ($3::date IS NULL OR received_at >= ($3::date::timestamp AT TIME ZONE $9))"
    " AND ($4::date IS NULL OR received_at < (($4::date + 1)::timestamp AT TIME ZONE $9))"
    " AND ($5::bigint IS NULL OR seq < $5) AND ($8::uuid IS NULL OR message_id = $8)"
    " AND (body->>'division_code' IS NULL OR body->>'division_code' LIKE $6 || '%')"
    " ORDER BY seq DESC LIMIT $7")


async def entries(conn: Any, page: EntryPage) -> list[dict[str, Any]]:
    """One page of entries, newest first (one more than a page: is there an older one),
    each with its envelope and division, not its body (a chunk of payments is long)."""
    rows = await conn.fetch(_ENTRIES, page.message_type, page.producer, page.since,
                            page.until, page.before_seq, page.division_prefix, PAGE + 1,
                            page.message_id, page.zone)
    return [dict(row) for row in rows]


_KNOWN = """
WITH RECURSIVE types AS (
    (SELECT message_type FROM audit_entries ORDER BY message_type LIMIT 1)
    UNION ALL
    SELECT (SELECT a.message_type FROM audit_entries a WHERE a.message_type > t.message_type
            ORDER BY a.message_type LIMIT 1)
    FROM types t WHERE t.message_type IS NOT NULL
)
SELECT t.message_type, p.producer FROM types t
CROSS JOIN LATERAL (SELECT producer FROM audit_entries a WHERE a.message_type = t.message_type
                    ORDER BY seq LIMIT 1) p
WHERE t.message_type IS NOT NULL
"""
"""Each event type the log holds and its producer, one index probe a type (a loose scan
of `audit_entries_by_type`), never a read of the whole log."""


async def known_types(conn: Any) -> tuple[list[str], list[str]]:
    """The event types and the producers the log holds (for the filters' choices)."""
    rows = await conn.fetch(_KNOWN)
    return ([r["message_type"] for r in rows],
            sorted({r["producer"] for r in rows}))


_FIGURES = """
WITH periods AS (
    SELECT program_code, period FROM payment_runs WHERE division_code LIKE $1 || '%'
    UNION SELECT program_code, period FROM findings
          WHERE program_code IS NOT NULL AND period IS NOT NULL
          AND (division_code IS NULL OR division_code LIKE $1 || '%')
)
SELECT p.program_code, p.period,
  (SELECT count(*) FROM certifications c WHERE c.program_code = p.program_code
     AND c.status = 'active' AND c.division_code LIKE $1 || '%') AS certified_count,
  coalesce((SELECT sum(a.amount_fen) FROM allocations a JOIN payment_runs r USING (run_id)
     WHERE r.program_code = p.program_code AND r.period = p.period
     AND r.division_code LIKE $1 || '%'), 0)::bigint AS allocated_fen,
  coalesce((SELECT sum(c.amount_fen) FROM payment_chunks c JOIN payment_runs r USING (run_id)
     WHERE r.program_code = p.program_code AND r.period = p.period
     AND r.division_code LIKE $1 || '%' AND c.outcome = 'settled'), 0)::bigint AS paid_fen,
  coalesce((SELECT sum(c.count) FROM payment_chunks c JOIN payment_runs r USING (run_id)
     WHERE r.program_code = p.program_code AND r.period = p.period
     AND r.division_code LIKE $1 || '%' AND c.outcome = 'settled'), 0)::bigint AS paid_count,
  coalesce((SELECT sum(r.settled_fen) FROM payment_runs r
     WHERE r.program_code = p.program_code AND r.period = p.period
     AND r.division_code LIKE $1 || '%'), 0)::bigint AS settled_fen,
  (SELECT count(*) FROM findings f WHERE f.program_code = p.program_code
     AND f.period = p.period AND f.rule = ANY($2::text[])
     AND (f.division_code IS NULL OR f.division_code LIKE $1 || '%')) AS omissions,
  (SELECT count(*) FROM findings f WHERE f.program_code = p.program_code
     AND f.period = p.period AND f.rule = ANY($3::text[])
     AND (f.division_code IS NULL OR f.division_code LIKE $1 || '%')) AS false_claims,
  (SELECT count(*) FROM findings f WHERE f.program_code = p.program_code
     AND f.period = p.period AND f.rule = ANY($4::text[])
     AND (f.division_code IS NULL OR f.division_code LIKE $1 || '%')) AS mismatches
FROM periods p
WHERE ($5::text IS NULL OR p.program_code = $5)
ORDER BY p.period DESC, p.program_code
LIMIT $6
"""


async def figures(conn: Any, division_prefix: str, program_code: str | None
                  ) -> list[dict[str, Any]]:
    """Per program and period in the division, latest first: certified persons, allocated,
    paid and settled sums (fen), and the findings of omission, false claim and mismatch."""
    rows = await conn.fetch(_FIGURES, division_prefix, list(OMISSIONS), list(FALSE_CLAIMS),
                            list(MISMATCHES), program_code, PERIODS)
    return [{key: (int(value) if key not in ("program_code", "period") else value)
             for key, value in dict(row).items()} for row in rows]


async def checkpoints(conn: Any) -> list[dict[str, Any]]:
    """The published checkpoints of the chain, latest first."""
    rows = await conn.fetch("SELECT seq, head_hash, message_id, taken_at"
                            " FROM audit_checkpoints ORDER BY seq DESC LIMIT $1", CHECKPOINTS)
    return [dict(row) for row in rows]
