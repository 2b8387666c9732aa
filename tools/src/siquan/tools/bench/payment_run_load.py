"""The benchmark's certified roster, loaded in bulk straight into disbursement's database:
N certifications of a program in a division and a payee account for each (COPY), as if
eligibility's events and the officers' registrations had arrived long ago. Oversight is
given the same certifications (its `watched_certifications`, as if it had seen the
grants), so it judges the run's payments against them as it would in a province, rather
than holding every payment for a certification it never heard of."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue

_BATCH = 100_000


def _person(i: int) -> str:
    return f"{i:064x}"


def _account(i: int) -> str:
    # Accounts ending 0000 / 0044 / 0088 are refused, frozen, returned later by the
    # simulated bank: about 3 in 10,000, as a real roster has a few.
    return f"6222{i:014d}"


async def bulk_load(conn: asyncpg.Connection, payees: int, *, program: str,
                    division: str, oversight: asyncpg.Connection | None = None,
                    first: int = 0, effective_from: date = date(2020, 1, 1)) -> int:
    """Load the roster (persons `first` to `first + payees - 1`, certified from
    `effective_from`); returns what the policy owes it for the benchmark's month."""
    policy = load_catalogue().in_force(program, period_start("2026-11"), division)
    categories = [b.category for b in policy.benefits]
    now = datetime.now(UTC)
    owed = 0
    for start in range(first, first + payees, _BATCH):
        indices = range(start, min(start + _BATCH, first + payees))
        certifications = []
        for i in indices:
            category = categories[i % len(categories)]
            owed += policy.benefit(category).amount_fen
            certifications.append((str(uuid.uuid4()), _person(i), program, category,
                                   policy.version, division, effective_from, now))
        await conn.copy_records_to_table("certifications", records=certifications, columns=[
            "certification_id", "person_key", "program_code", "category", "policy_version",
            "division_code", "effective_from", "approved_at"])
        if oversight is not None:
            await oversight.copy_records_to_table("watched_certifications", records=[
                (c[0], c[1], c[2], c[3], c[5], c[6], "reviewer-420117-01",
                 "approver-420117-01", now, uuid.uuid4()) for c in certifications], columns=[
                "certification_id", "person_key", "program_code", "category",
                "division_code", "effective_from", "reviewed_by", "approved_by",
                "approved_at", "message_id"])
        await conn.copy_records_to_table("payee_accounts", records=[
            (_person(i), "ABC", _account(i), "*" * 14 + _account(i)[-4:], division,
             "disburser-420117-01", now, now) for i in indices], columns=[
            "person_key", "bank_code", "account_number", "masked_account", "division_code",
            "registered_by", "registered_at", "confirmed_at"])  # first accounts: confirmed
    # Vacuumed as rows written long ago are (autovacuum): their pages all-visible and their
    # hint bits set, so the run does not pay for a bulk load's first reads.
    await conn.execute("VACUUM (ANALYZE) certifications, payee_accounts")
    if oversight is not None:
        await oversight.execute("VACUUM (ANALYZE) watched_certifications")
    return owed
