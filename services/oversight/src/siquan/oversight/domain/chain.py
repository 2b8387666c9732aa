"""The audit log's hash chain: how an entry is hashed and how a chain is verified.

Each entry's hash is SHA-256 over a canonical JSON serialisation (sorted keys, no spaces,
UTF-8) of every recorded field and the previous entry's hash, so altering, removing,
inserting or reordering an entry breaks the chain from that point on. The chain starts
from `GENESIS_HASH`; sequence numbers start at 1 and have no gaps.

An entry carries its body in one of two forms. Entries logged since the log appends in
batches keep the body exactly as the producer sent it (`body_text`), and the hash covers
its SHA-256 (`body_sha256`, format 2): no parsing or re-serialising on the way in, and
anyone holding the stored text can recompute it. Older entries (format 1) hash the parsed
body itself. Either way the searchable `body` must say what the hashed body says.

Verification checks, in order, for each entry walked in sequence order: the sequence
continues without a gap (else an entry was removed), the entry points at its predecessor
(else one was inserted or the order changed), and its hash matches its contents (else it
was altered). The recorded chain head must then be the last entry walked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

GENESIS_HASH = "0" * 64

LISTED_ELSEWHERE: dict[str, str] = {"payments.settled.v1": "payments"}
"""Message types whose searchable body leaves out a list that is kept, and searched,
elsewhere (a chunk's thousands of payments: in `settled_payments`). The body as received
keeps it, and is what the hash covers."""

Problem = Literal["altered", "removed", "inserted"]


def canonical_time(moment: datetime | None) -> str | None:
    """A timestamp as the chain hashes it: UTC, ISO 8601, microseconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""What `json.dumps` with these arguments builds anew for every call (each entry hashed)."""


def canonical_json(value: Any) -> bytes:
    return _CANONICAL.encode(value).encode("utf-8")


@dataclass(frozen=True)
class Envelope:
    """What the audit log records about one event, before it is placed in the chain."""

    message_id: str
    producer: str
    message_type: str
    occurred_at: datetime | None
    correlation_id: str | None
    causation_id: str | None
    trace_id: str | None
    body: Any
    signature: str | None
    received_at: datetime
    body_text: str | None = None
    """The body exactly as received (format 2); None for entries of format 1."""
    body_sha256: str | None = None
    """Its SHA-256, when the text itself was not read back (verifying a long chain)."""

    @property
    def body_format(self) -> int:
        return 1 if self.body_text is None and self.body_sha256 is None else BODY_FORMAT


_HASHED_FIELDS = tuple(f for f in fields(Envelope) if f.name not in ("body_text",
                                                                       "body_sha256"))
BODY_FORMAT = 2


@dataclass(frozen=True)
class AuditEntry:
    """One link of the chain: an envelope, its place, and the hashes that bind it."""

    seq: int
    envelope: Envelope
    prev_hash: str
    entry_hash: str
    body_matches: bool = True
    """Whether the stored searchable body is the one the hash covers (format 2)."""


def body_digest(body_text: str) -> str:
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


def entry_hash(seq: int, envelope: Envelope, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical serialisation of the entry's fields and `prev_hash`."""
    # the fields as they are (asdict would deep-copy the body only to serialise it)
    hashed = {f.name: getattr(envelope, f.name) for f in _HASHED_FIELDS}
    hashed["occurred_at"] = canonical_time(envelope.occurred_at)
    hashed["received_at"] = canonical_time(envelope.received_at)
    hashed["seq"] = seq
    hashed["prev_hash"] = prev_hash
    if envelope.body_format == BODY_FORMAT:
        del hashed["body"]
        hashed["body_sha256"] = envelope.body_sha256 or body_digest(envelope.body_text or "")
        hashed["format"] = BODY_FORMAT
    return hashlib.sha256(canonical_json(hashed)).hexdigest()


def link(envelope: Envelope, *, after_seq: int, after_hash: str) -> AuditEntry:
    """The entry that appends `envelope` to a chain whose head is (after_seq, after_hash)."""
    seq = after_seq + 1
    return AuditEntry(seq, envelope, after_hash, entry_hash(seq, envelope, after_hash))


def link_all(envelopes: Iterable[Envelope], head: ChainHead) -> list[AuditEntry]:
    """The entries appending `envelopes`, in order, to a chain whose head is `head`."""
    entries: list[AuditEntry] = []
    seq, prev = head.seq, head.hash
    for envelope in envelopes:
        entry = link(envelope, after_seq=seq, after_hash=prev)
        entries.append(entry)
        seq, prev = entry.seq, entry.entry_hash
    return entries


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


GENESIS = ChainHead(0, GENESIS_HASH)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: Problem | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChainVerifier:
    """Walks a chain one entry at a time (entries can be streamed) and keeps the first
    break it finds; later entries are still counted."""

    _expected_seq: int = 1
    _prev_hash: str = GENESIS_HASH
    _count: int = 0
    _failure: tuple[int, Problem, str] | None = field(default=None)

    def feed(self, entry: AuditEntry) -> None:
        self._count += 1
        if self._failure is None:
            self._failure = self._check(entry)
        self._expected_seq, self._prev_hash = entry.seq + 1, entry.entry_hash

    def _check(self, entry: AuditEntry) -> tuple[int, Problem, str] | None:
        expected = self._expected_seq
        if entry.seq > expected:
            return (expected, "removed",
                    f"sequence gap: entry {expected} is missing (next entry is {entry.seq})")
        if entry.seq < expected:
            return (entry.seq, "inserted",
                    f"entry {entry.seq} appears where entry {expected} was expected")
        if entry.prev_hash != self._prev_hash:
            return (entry.seq, "inserted",
                    f"prev_hash mismatch at entry {entry.seq}: it does not follow the "
                    "entry before it (an entry was inserted or the order changed)")
        if entry_hash(entry.seq, entry.envelope, entry.prev_hash) != entry.entry_hash:
            return (entry.seq, "altered",
                    f"hash mismatch at entry {entry.seq}: its contents were altered")
        if not entry.body_matches:
            return (entry.seq, "altered",
                    f"entry {entry.seq}'s searchable body differs from the body it hashes")
        return None

    def finish(self, recorded_head: ChainHead | None = None) -> Verification:
        """The verdict; `recorded_head` is the head the log says it has, if known."""
        last = ChainHead(self._expected_seq - 1, self._prev_hash)
        failure = self._failure
        if failure is None and recorded_head is not None and recorded_head != last:
            failure = self._head_failure(recorded_head, last)
        if failure is None:
            return Verification(True, self._count, last.hash)
        seq, problem, reason = failure
        return Verification(False, self._count, last.hash, seq, problem, reason)

    @staticmethod
    def _head_failure(recorded: ChainHead, last: ChainHead) -> tuple[int, Problem, str]:
        if recorded.seq > last.seq:
            return (last.seq + 1, "removed",
                    f"the chain ends at entry {last.seq} but its head is entry {recorded.seq}")
        if recorded.seq < last.seq:
            return (recorded.seq + 1, "inserted",
                    f"entries after the recorded head {recorded.seq} (up to {last.seq})")
        return (last.seq, "altered",
                f"entry {last.seq}'s hash differs from the recorded head's hash")


def verify(entries: Iterable[AuditEntry], recorded_head: ChainHead | None = None
           ) -> Verification:
    """Verify a whole chain given in sequence order."""
    verifier = ChainVerifier()
    for entry in entries:
        verifier.feed(entry)
    return verifier.finish(recorded_head)
