"""Certification counts: fund custody counts active certifications per category and keeps
nothing that identifies a person."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.fund_custody.domain.special_account import AccountKey


def granted(key: AccountKey, category: str) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=key.program_code, category=category, policy_version="test",
        person_key=uuid.uuid4().hex * 2, masked_name="张**",
        masked_resident_id="4201**********1234", division_code=key.division_code,
        effective_from=date(key.fiscal_year, 1, 1), reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime.now(UTC))


def revoked(grant: CertificationGranted) -> CertificationRevoked:
    return CertificationRevoked(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=grant.division_code,
        effective_from=date.today(), reason="death", revoked_by="approver-420117-01")


async def test_active_certifications_are_counted_per_category(fc, key: AccountKey) -> None:
    await fc.funded(key, 1_000)
    first, second, third = granted(key, "death"), granted(key, "death"), granted(key, "other")
    for event in (first, second, third):
        await fc.publish(event)
    await fc.publish(first)  # the same certification again counts once
    await fc.wait_processed(await fc.publish(revoked(second)))
    counts = (await fc.account(key))["active_certifications"]
    assert counts == {"death": 1, "other": 1}


async def test_no_person_key_or_name_is_stored(fc, key: AccountKey) -> None:
    grant = granted(key, "death")
    await fc.wait_processed(await fc.publish(grant))
    columns = await fc.fetchval(
        "SELECT string_agg(column_name, ',') FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name NOT IN ('inbox', 'outbox')"
        # the service's own officer accounts: officers' names, no beneficiary's
        " AND table_name NOT IN ('officers', 'officer_sessions', 'officer_api_tokens')")
    assert not [c for c in columns.split(",")
                if any(word in c for word in ("person", "name", "resident", "bank"))]
