"""The audit hash chain on in-memory entries: canonical hashing and verification."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from siquan.oversight.domain.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainHead,
    Envelope,
    entry_hash,
    link,
    verify,
)

T0 = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def envelope(n: int, **changes: object) -> Envelope:
    base = Envelope(
        message_id=f"0190f0c8-0000-7000-8000-{n:012d}", producer="disbursement",
        message_type="payments.settled.v1", occurred_at=T0 + timedelta(seconds=n),
        correlation_id="corr-1", causation_id=None, trace_id="ab" * 16,
        body={"run_id": "r1", "chunk": n, "note": "已发放"}, signature="c2lnbmF0dXJl",
        received_at=T0 + timedelta(seconds=n, milliseconds=5))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    head = ChainHead(0, GENESIS_HASH)
    for n in range(1, length + 1):
        entries.append(link(envelope(n), after_seq=head.seq, after_hash=head.hash))
        head = ChainHead(entries[-1].seq, entries[-1].entry_hash)
    return entries


def head_of(entries: list[AuditEntry]) -> ChainHead:
    return ChainHead(entries[-1].seq, entries[-1].entry_hash)


def test_an_entry_hash_is_sha256_of_the_canonical_json_of_its_fields_and_prev_hash() -> None:
    e = envelope(1)
    expected_fields = {
        "seq": 1, "message_id": e.message_id, "producer": "disbursement",
        "message_type": "payments.settled.v1", "occurred_at": "2026-11-01T08:30:01.000000+00:00",
        "correlation_id": "corr-1", "causation_id": None, "trace_id": "ab" * 16,
        "body": {"run_id": "r1", "chunk": 1, "note": "已发放"}, "signature": "c2lnbmF0dXJl",
        "received_at": "2026-11-01T08:30:01.005000+00:00", "prev_hash": GENESIS_HASH}
    canonical = json.dumps(expected_fields, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()
    assert entry_hash(1, e, GENESIS_HASH) == hashlib.sha256(canonical).hexdigest()


def test_the_same_moment_in_another_time_zone_hashes_the_same() -> None:
    beijing = timezone(timedelta(hours=8))
    shifted = envelope(1, occurred_at=(T0 + timedelta(seconds=1)).astimezone(beijing))
    assert entry_hash(1, shifted, GENESIS_HASH) == entry_hash(1, envelope(1), GENESIS_HASH)


def test_body_key_order_does_not_change_the_hash() -> None:
    reordered = envelope(1, body={"note": "已发放", "chunk": 1, "run_id": "r1"})
    assert entry_hash(1, reordered, GENESIS_HASH) == entry_hash(1, envelope(1), GENESIS_HASH)


def test_the_first_entry_follows_the_genesis_hash_with_sequence_one() -> None:
    first = chain(1)[0]
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)


def test_an_intact_chain_verifies_with_its_length_and_head_hash() -> None:
    entries = chain(5)
    verdict = verify(entries, head_of(entries))
    assert verdict.ok
    assert (verdict.entries, verdict.head_hash, verdict.first_bad_seq) == (
        5, entries[-1].entry_hash, None)


def test_an_empty_chain_verifies_against_the_genesis_head() -> None:
    verdict = verify([], ChainHead(0, GENESIS_HASH))
    assert verdict.ok and verdict.entries == 0 and verdict.head_hash == GENESIS_HASH


def test_an_altered_body_is_reported_at_its_sequence_as_altered() -> None:
    entries = chain(5)
    entries[2] = dataclasses.replace(
        entries[2], envelope=envelope(3, body={"run_id": "r1", "chunk": 3, "note": "改"}))
    verdict = verify(entries, head_of(entries))
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 3, "altered")
    assert verdict.entries == 5


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chain(5)
    forged = envelope(3, body={"run_id": "r1", "chunk": 3, "note": "改"})
    entries[2] = link(forged, after_seq=2, after_hash=entries[1].entry_hash)
    verdict = verify(entries, head_of(entries))
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 4, "inserted")


def test_a_removed_entry_is_reported_as_a_sequence_gap() -> None:
    entries = chain(5)
    del entries[1]
    verdict = verify(entries, head_of(entries))
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 2, "removed")
    assert "gap" in (verdict.reason or "")


def test_removing_the_last_entry_is_caught_by_the_recorded_head() -> None:
    entries = chain(5)
    head = head_of(entries)
    verdict = verify(entries[:-1], head)
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 5, "removed")


def test_an_entry_inserted_in_the_middle_is_reported_as_a_prev_hash_mismatch() -> None:
    entries = chain(5)
    forged = link(envelope(99), after_seq=2, after_hash=entries[1].entry_hash)
    renumbered = [dataclasses.replace(e, seq=e.seq + 1) for e in entries[2:]]
    tampered = [*entries[:2], forged, *renumbered]
    verdict = verify(tampered, ChainHead(6, renumbered[-1].entry_hash))
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 4, "inserted")
    assert "prev_hash" in (verdict.reason or "")


def test_two_entries_swapped_are_reported_as_reordered() -> None:
    entries = chain(5)
    second, third = entries[1], entries[2]
    entries[1] = dataclasses.replace(third, seq=2)
    entries[2] = dataclasses.replace(second, seq=3)
    verdict = verify(entries, head_of(entries))
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 2, "inserted")


def test_an_entry_appended_beyond_the_recorded_head_is_reported_as_inserted() -> None:
    entries = chain(5)
    head = head_of(entries)
    extra = link(envelope(6), after_seq=5, after_hash=entries[-1].entry_hash)
    verdict = verify([*entries, extra], head)
    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, 6, "inserted")


@given(length=st.integers(1, 12), data=st.data(),
       field_name=st.sampled_from(["message_id", "producer", "message_type", "correlation_id",
                                   "causation_id", "trace_id", "body", "signature"]))
def test_changing_any_recorded_field_of_any_entry_is_caught_at_that_entry(
        length: int, data: st.DataObject, field_name: str) -> None:
    entries = chain(length)
    index = data.draw(st.integers(0, length - 1))
    changes: dict[str, Any] = {field_name: "tampered"}
    changed = dataclasses.replace(entries[index].envelope, **changes)
    entries[index] = dataclasses.replace(entries[index], envelope=changed)

    verdict = verify(entries, head_of(entries))

    assert (verdict.ok, verdict.first_bad_seq, verdict.problem) == (False, index + 1, "altered")
