"""The certification handlers: fund custody counts active certifications per category by
certification id only, whatever order grants and revocations arrive in; a change of the
count moves the roster version that makes forecasts due again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from siquan.contracts.eligibility_v1 import (
    CertificationLapsed,
    CertificationRenewed,
    DeathCorrected,
)
from siquan.fund_custody.application.certifications import (
    count_again_after_death_corrected,
    count_certified,
    keep_count,
    stop_counting,
)

from .conftest import DIVISION, KEY


async def counts(uow) -> dict[str, int]:
    return await uow.head_counts.active_counts(KEY.program_code, DIVISION)


async def roster(uow) -> int:
    return await uow.head_counts.roster_version(KEY.program_code, DIVISION)


async def test_a_grant_counts_one_more_in_its_category_and_moves_the_roster(
        uow, given) -> None:
    await uow.run(count_certified(given.granted("death"), uow))
    assert await counts(uow) == {"death": 1}
    assert await roster(uow) == 1


async def test_a_grant_delivered_twice_counts_once(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(count_certified(grant, uow))
    await uow.run(count_certified(grant, uow))
    assert await counts(uow) == {"death": 1}


async def test_a_revocation_stops_counting_its_certification(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(count_certified(grant, uow))
    await uow.run(stop_counting(given.revoked(grant), uow))
    assert await counts(uow) == {}
    assert await roster(uow) == 2


async def test_a_revocation_seen_before_its_grant_keeps_it_uncounted(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(stop_counting(given.revoked(grant), uow))
    await uow.run(count_certified(grant, uow))
    assert await counts(uow) == {}


async def test_a_lapse_stops_counting_its_certification(uow, given) -> None:
    grant = given.granted("disability")
    await uow.run(count_certified(grant, uow))
    lapse = CertificationLapsed(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=DIVISION,
        effective_from=grant.effective_from, reason="not re-confirmed", decided_by="system")
    await uow.run(stop_counting(lapse, uow))
    assert await counts(uow) == {}


async def test_a_renewal_leaves_the_count_and_the_roster_as_they_are(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(count_certified(grant, uow))
    before = uow.snapshot()
    renewal = CertificationRenewed(
        certification_id=grant.certification_id, program_code=grant.program_code,
        person_key=grant.person_key, division_code=DIVISION,
        effective_from=grant.effective_from, reason="yearly re-confirmation",
        decided_by="approver-420117-01", valid_until=grant.effective_from.replace(year=2027))
    await uow.run(keep_count(renewal, uow))
    assert uow.store == before


async def test_nothing_that_identifies_the_person_is_kept(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(count_certified(grant, uow))
    assert grant.person_key not in repr(uow.store)
    assert grant.masked_name not in repr(uow.store)


async def test_a_death_corrected_counts_its_certifications_again(uow, given) -> None:
    grant = given.granted("death")
    await uow.run(count_certified(grant, uow))
    revoked = given.revoked(grant)
    await uow.run(stop_counting(revoked, uow))
    corrected = DeathCorrected(
        correction_id=str(uuid.uuid4()), report_id="GA-1", person_key=grant.person_key,
        date_of_death=revoked.effective_from - timedelta(days=1),
        certification_ids=(grant.certification_id,), reinstated_from=revoked.effective_from,
        reason="the wrong person", corrected_by="approver-2",
        corrected_at=datetime(2026, 5, 20, tzinfo=UTC))
    await uow.run(count_again_after_death_corrected(corrected, uow))
    assert await counts(uow) == {"death": 1}
    assert await roster(uow) == 3
    await uow.run(count_again_after_death_corrected(corrected, uow))
    assert await roster(uow) == 3  # handled again: nothing changes
