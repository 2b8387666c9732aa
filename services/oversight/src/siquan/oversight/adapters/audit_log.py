"""The audit log in oversight's database: the single chain-head row that serialises
appends, the append-only entries table, checkpoints, and reading entries back.

Every append takes a row lock on the chain head (`SELECT ... FOR UPDATE`), so the competing
consumers of oversight's five queues (and any number of oversight processes) keep one
gapless chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from siquan.oversight.domain.chain import AuditEntry, ChainHead, Envelope
from siquan.shared.database import Connection

_ENVELOPE = ("message_id", "producer", "message_type", "occurred_at", "correlation_id",
             "causation_id", "trace_id", "body", "signature", "received_at")
_COLUMNS = ("seq", *_ENVELOPE, "prev_hash", "entry_hash")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM audit_entries"


async def _head(conn: Connection, lock: str) -> ChainHead:
    row = await conn.fetchrow(f"SELECT seq, head_hash FROM audit_chain_head {lock}")
    if row is None:
        raise RuntimeError("audit_chain_head has no row: the database is not migrated")
    return ChainHead(row["seq"], row["head_hash"])


async def lock_head(conn: Connection) -> ChainHead:
    """The chain head, locked until the caller's transaction ends."""
    return await _head(conn, "FOR UPDATE")


async def read_head(conn: Connection) -> ChainHead:
    return await _head(conn, "")


async def is_logged(conn: Connection, message_id: str) -> bool:
    found = await conn.fetchval("SELECT true FROM audit_entries WHERE message_id = $1",
                                message_id)
    return bool(found)


async def as_stored(conn: Connection, body: Any) -> Any:
    """The body as the jsonb column will give it back, so its hash can be recomputed."""
    return await conn.fetchval("SELECT $1::jsonb", body)


async def append(conn: Connection, entry: AuditEntry) -> None:
    """Insert the entry and move the head to it (the caller holds the head lock)."""
    envelope = entry.envelope
    await conn.execute(
        f"INSERT INTO audit_entries ({', '.join(_COLUMNS)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 1))})",
        entry.seq, *(getattr(envelope, name) for name in _ENVELOPE), entry.prev_hash,
        entry.entry_hash)
    await conn.execute("UPDATE audit_chain_head SET seq = $1, head_hash = $2",
                       entry.seq, entry.entry_hash)


def entry_of(row: asyncpg.Record) -> AuditEntry:
    envelope = Envelope(**{name: row[name] for name in _ENVELOPE}
                        | {"message_id": str(row["message_id"])})
    return AuditEntry(row["seq"], envelope, row["prev_hash"], row["entry_hash"])


async def walk(conn: Connection, *, prefetch: int = 1000
               ) -> AsyncIterator[AuditEntry]:
    """Every entry in sequence order (the caller opens the transaction a cursor needs)."""
    async for row in conn.cursor(f"{_SELECT} ORDER BY seq", prefetch=prefetch):
        yield entry_of(row)


@dataclass(frozen=True)
class EntryFilter:
    correlation_id: str | None = None
    message_type: str | None = None
    trace_id: str | None = None
    division_prefix: str = ""
    after_seq: int = 0
    limit: int = 100


async def find(conn: Connection, query: EntryFilter) -> list[AuditEntry]:
    """Entries matching every given criterion, oldest first. Entries about a division
    outside `division_prefix` are left out; entries about no division are kept."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE ($1::text IS NULL OR correlation_id = $1)"
        " AND ($2::text IS NULL OR message_type = $2)"
        " AND ($3::text IS NULL OR trace_id = $3)"
        " AND (body->>'division_code' IS NULL OR body->>'division_code' LIKE $4 || '%')"
        " AND seq > $5 ORDER BY seq LIMIT $6",
        query.correlation_id, query.message_type, query.trace_id, query.division_prefix,
        query.after_seq, query.limit)
    return [entry_of(row) for row in rows]


async def moved_since_last_checkpoint(conn: Connection, checkpoint_type: str
                                      ) -> bool:
    """Whether anything but checkpoints was logged after the last checkpoint."""
    moved = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM audit_entries WHERE message_type <> $1 AND seq >"
        " (SELECT coalesce(max(seq), 0) FROM audit_checkpoints))", checkpoint_type)
    return bool(moved)


async def record_checkpoint(conn: Connection, head: ChainHead, message_id: str,
                            taken_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO audit_checkpoints (seq, head_hash, message_id, taken_at)"
        " VALUES ($1, $2, $3, $4)", head.seq, head.hash, message_id, taken_at)


# The auditor's questions: everything about one person, application, payment run or
# officer. Each names the entries by `seq`; the indexes are in migration 0003. People and
# applications listed inside an event are found through the GIN index on bodies, except
# in settled payment chunks, which `settled_payments` (reconciliation) finds by person.

_NESTED = "message_type <> 'payments.settled.v1' AND "
_LISTED = "jsonb_build_object('{list}', jsonb_build_array(jsonb_build_object('{key}', $1::text)))"

_ABOUT: dict[str, str] = {
    "person": (
        "SELECT seq FROM audit_entries WHERE body->>'person_key' = $1"
        " UNION SELECT seq FROM audit_entries WHERE " + _NESTED + "("
        + " OR ".join(f"body @> {_LISTED.format(list=name, key='person_key')}"
                      for name in ("payments", "entries", "skipped")) + ")"
        " UNION SELECT a.seq FROM settled_payments p"
        " JOIN audit_entries a ON a.message_id = p.message_id WHERE p.person_key = $1"),
    "application": (
        "SELECT seq FROM audit_entries WHERE body->>'application_id' = $1"
        " UNION SELECT seq FROM audit_entries WHERE " + _NESTED + "("
        f"body @> {_LISTED.format(list='entries', key='application_id')}"
        " OR body @> jsonb_build_object('blocked_application_ids', jsonb_build_array($1::text))"
        ") UNION SELECT seq FROM audit_entries WHERE body->>'certification_id' IN ("
        "  SELECT body->>'certification_id' FROM audit_entries"
        "  WHERE body->>'application_id' = $1 AND body ? 'certification_id')"),
    "run": "SELECT seq FROM audit_entries WHERE body->>'run_id' = $1",
    "officer": "SELECT seq FROM audit_entries WHERE audit_officers(body) @> ARRAY[$1::text]",
}


@dataclass(frozen=True)
class Page:
    """Which entries of an answer to show: in the division, after a sequence number."""

    division_prefix: str = ""
    after_seq: int = 0
    limit: int = 100


async def about(conn: Connection, subject: str, key: str, page: Page) -> list[AuditEntry]:
    """The entries about one person (by person key), application, run or officer, oldest
    first; entries about a division outside the page's are left out."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE seq IN ({_ABOUT[subject]})"
        " AND (body->>'division_code' IS NULL OR body->>'division_code' LIKE $2 || '%')"
        " AND seq > $3 ORDER BY seq LIMIT $4",
        key, page.division_prefix, page.after_seq, page.limit)
    return [entry_of(row) for row in rows]
