"""The auditor's questions to the audit log: which entries match some filters, and
everything about one person, application, payment run or officer.

Each subject names its entries by `seq`; the indexes are in migration 0003. People and
applications listed inside an event, or inside an entry of a batch message, are found
through the GIN index on bodies, except in settled payment chunks, which
`settled_payments` (reconciliation) finds by person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntryFilter:
    correlation_id: str | None = None
    message_type: str | None = None
    trace_id: str | None = None
    division_prefix: str = ""
    after_seq: int = 0
    limit: int = 100


@dataclass(frozen=True)
class Page:
    """Which entries of an answer to show: in the division, after a sequence number."""

    division_prefix: str = ""
    after_seq: int = 0
    limit: int = 100


_NESTED = "message_type <> 'payments.settled.v1' AND "
_LISTED = "jsonb_build_object('{list}', jsonb_build_array(jsonb_build_object('{key}', $1::text)))"


def _in_batch(key: str, value: str = "$1::text") -> str:
    """A batch message (`<type>.batch.v<n>`) with an entry whose event has `key` = value."""
    return ("jsonb_build_object('events', jsonb_build_array(jsonb_build_object('event',"
            f" jsonb_build_object('{key}', {value}))))")


_CERTIFICATIONS_OF_APPLICATION = (
    "SELECT body->>'certification_id' AS id FROM audit_entries"
    " WHERE body->>'application_id' = $1 AND body ? 'certification_id'"
    " UNION SELECT e->'event'->>'certification_id' FROM audit_entries a,"
    " jsonb_array_elements(a.body->'events') e"
    f" WHERE a.body @> {_in_batch('application_id')}"
    " AND e->'event'->>'application_id' = $1 AND e->'event' ? 'certification_id'")

ABOUT: dict[str, str] = {
    "person": (
        "SELECT seq FROM audit_entries WHERE body->>'person_key' = $1"
        " UNION SELECT seq FROM audit_entries WHERE " + _NESTED + "("
        + " OR ".join(f"body @> {_LISTED.format(list=name, key='person_key')}"
                      for name in ("payments", "entries", "skipped"))
        + f" OR body @> {_in_batch('person_key')})"
        " UNION SELECT a.seq FROM settled_payments p"
        " JOIN audit_entries a ON a.message_id = p.message_id WHERE p.person_key = $1"),
    "application": (
        f"WITH c AS MATERIALIZED ({_CERTIFICATIONS_OF_APPLICATION})"
        " SELECT seq FROM audit_entries WHERE body->>'application_id' = $1"
        " UNION SELECT seq FROM audit_entries WHERE " + _NESTED + "("
        f"body @> {_LISTED.format(list='entries', key='application_id')}"
        f" OR body @> {_in_batch('application_id')}"
        " OR body @> jsonb_build_object('blocked_application_ids', jsonb_build_array($1::text))"
        ") UNION SELECT seq FROM audit_entries WHERE body->>'certification_id' IN ("
        "  SELECT id FROM c)"
        " UNION SELECT a.seq FROM audit_entries a JOIN c"
        f" ON a.body @> {_in_batch('certification_id', 'c.id')}"),
    "run": "SELECT seq FROM audit_entries WHERE body->>'run_id' = $1",
    "officer": "SELECT seq FROM audit_entries WHERE audit_officers(body) @> ARRAY[$1::text]",
}
