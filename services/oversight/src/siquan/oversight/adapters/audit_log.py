"""The audit log in oversight's database: the single chain-head row that serialises
appends, the append-only entries table, checkpoints, and reading entries back.

A transaction appends all its entries at once (ADR 0006): when it is about to commit, it
locks the chain head (`SELECT ... FOR UPDATE`) once, links its entries after it in memory
and writes them and the new head in one statement. Any number of consumers and oversight
processes thus keep one gapless chain, each holding the lock only for its last steps.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from siquan.oversight.adapters.audit_questions import ABOUT, EntryFilter, Page
from siquan.oversight.domain.chain import (
    LISTED_ELSEWHERE,
    AuditEntry,
    ChainHead,
    Envelope,
    link_all,
)
from siquan.shared import crash_points
from siquan.shared.database import Connection

_ENVELOPE = ("message_id", "producer", "message_type", "occurred_at", "correlation_id",
             "causation_id", "trace_id", "body", "signature", "received_at")
_LISTED = ", ".join(f"'{kind}'" for kind in LISTED_ELSEWHERE)
_SEARCHED = "CASE message_type " + " ".join(
    f"WHEN '{kind}' THEN body_text::jsonb - '{key}'" for kind, key in LISTED_ELSEWHERE.items()
) + " ELSE body_text::jsonb END"
"""What the searchable body of an entry of format 2 must be."""
_SHOWN = ("seq", *(n if n != "body" else
                   f"CASE WHEN message_type IN ({_LISTED}) AND body_text IS NOT NULL"
                   " THEN body_text::jsonb ELSE body END AS body" for n in _ENVELOPE),
          "prev_hash", "entry_hash")
"""An entry as the auditor reads it: a body left partly out of the search, whole."""
_SELECT = f"SELECT {', '.join(_SHOWN)} FROM audit_entries"
# Verifying reads the digest of each body as received, not the text (a chunk of payments
# is megabytes), and whether the searchable body still says what that text says.
_WALK = (
    "SELECT seq, " + ", ".join(n for n in _ENVELOPE if n != "body")
    + ", CASE WHEN body_text IS NULL THEN body END AS body,"
      " encode(sha256(convert_to(body_text, 'UTF8')), 'hex') AS body_sha256,"
      f" (body_text IS NULL OR body = {_SEARCHED}) AS body_matches,"
      " prev_hash, entry_hash FROM audit_entries ORDER BY seq")
_APPEND = """
WITH logged AS (
    INSERT INTO audit_entries (seq, message_id, producer, message_type, occurred_at,
        correlation_id, causation_id, trace_id, body, body_text, signature, received_at,
        prev_hash, entry_hash)
    SELECT e.seq, e.message_id, e.producer, e.message_type, e.occurred_at, e.correlation_id,
           e.causation_id, e.trace_id, coalesce(e.searched::jsonb, e.body_text::jsonb),
           e.body_text, e.signature, e.received_at, e.prev_hash, e.entry_hash
    FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[],
                $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                $11::timestamptz[], $12::text[], $13::text[], $16::text[])
         AS e(seq, message_id, producer, message_type, occurred_at, correlation_id,
              causation_id, trace_id, body_text, signature, received_at, prev_hash,
              entry_hash, searched)
)
UPDATE audit_chain_head SET seq = $14, head_hash = $15
"""


def entry_of(row: asyncpg.Record) -> AuditEntry:
    envelope = Envelope(**{name: row[name] for name in _ENVELOPE}
                        | {"message_id": str(row["message_id"])})
    return AuditEntry(row["seq"], envelope, row["prev_hash"], row["entry_hash"])


def _walked(row: asyncpg.Record) -> AuditEntry:
    envelope = Envelope(**{name: row[name] for name in _ENVELOPE}
                        | {"message_id": str(row["message_id"]),
                           "body_sha256": row["body_sha256"]})
    return AuditEntry(row["seq"], envelope, row["prev_hash"], row["entry_hash"],
                      row["body_matches"])


class PgAuditLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._appended: list[Envelope] = []

    def append(self, envelope: Envelope) -> None:
        self._appended.append(envelope)

    @property
    def appended(self) -> bool:
        return bool(self._appended)

    async def flush(self, head: ChainHead) -> None:
        """Link what this transaction appended after `head` (which it holds locked until it
        ends), and write the entries and the new head."""
        if not self._appended:
            return
        envelopes, self._appended = self._appended, []
        entries = link_all(envelopes, head)
        e = [entry.envelope for entry in entries]
        await self._conn.execute(
            _APPEND, [x.seq for x in entries], [v.message_id for v in e],
            [v.producer for v in e], [v.message_type for v in e], [v.occurred_at for v in e],
            [v.correlation_id for v in e], [v.causation_id for v in e],
            [v.trace_id for v in e], [v.body_text for v in e], [v.signature for v in e],
            [v.received_at for v in e], [x.prev_hash for x in entries],
            [x.entry_hash for x in entries], entries[-1].seq, entries[-1].entry_hash,
            [None if v.body is None else json.dumps(v.body) for v in e])
        crash_points.reached("audit.after_append")

    async def _head(self, lock: str) -> ChainHead:
        row = await self._conn.fetchrow(f"SELECT seq, head_hash FROM audit_chain_head {lock}")
        if row is None:
            raise RuntimeError("audit_chain_head has no row: the database is not migrated")
        return ChainHead(row["seq"], row["head_hash"])

    async def lock_head(self) -> ChainHead:
        return await self._head("FOR UPDATE")

    async def read_head(self) -> ChainHead:
        return await self._head("")

    async def walk(self, *, prefetch: int = 1000) -> AsyncIterator[AuditEntry]:
        """Every entry in sequence order, for verification (the unit holds the
        transaction a cursor needs)."""
        async for row in self._conn.cursor(_WALK, prefetch=prefetch):
            yield _walked(row)

    async def find(self, query: EntryFilter) -> list[AuditEntry]:
        """Entries matching every given criterion, oldest first. Entries about a division
        outside `division_prefix` are left out; entries about no division are kept."""
        rows = await self._conn.fetch(
            f"{_SELECT} WHERE ($1::text IS NULL OR correlation_id = $1)"
            " AND ($2::text IS NULL OR message_type = $2)"
            " AND ($3::text IS NULL OR trace_id = $3)"
            " AND (body->>'division_code' IS NULL OR body->>'division_code' LIKE $4 || '%')"
            " AND seq > $5 ORDER BY seq LIMIT $6",
            query.correlation_id, query.message_type, query.trace_id, query.division_prefix,
            query.after_seq, query.limit)
        return [entry_of(row) for row in rows]

    async def about(self, subject: str, key: str, page: Page) -> list[AuditEntry]:
        """The entries about one person (by person key), application, run or officer,
        oldest first; entries about a division outside the page's are left out."""
        rows = await self._conn.fetch(
            f"{_SELECT} WHERE seq IN ({ABOUT[subject]})"
            " AND (body->>'division_code' IS NULL OR body->>'division_code' LIKE $2 || '%')"
            " AND seq > $3 ORDER BY seq LIMIT $4",
            key, page.division_prefix, page.after_seq, page.limit)
        return [entry_of(row) for row in rows]

    async def moved_since_checkpoint(self, checkpoint_type: str) -> bool:
        moved = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM audit_entries WHERE message_type <> $1 AND seq >"
            " (SELECT coalesce(max(seq), 0) FROM audit_checkpoints))", checkpoint_type)
        return bool(moved)

    async def record_checkpoint(self, head: ChainHead, message_id: str,
                                taken_at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO audit_checkpoints (seq, head_hash, message_id, taken_at)"
            " VALUES ($1, $2, $3, $4)", head.seq, head.hash, message_id, taken_at)
