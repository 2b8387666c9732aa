"""A change of category cuts a certification's term at its effective date: the forecast
counts each month at the standard of the category in force that month (disability to
death of the only child from April: January to March at the disability standard, April to
December at the death standard), the certification still counts once, and the order the
events arrive in does not change the result."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from siquan.contracts.eligibility_v1 import (
    CertificationCategoryChanged,
    CertificationGranted,
    CertificationTransferred,
)
from siquan.fund_custody.application.certifications import (
    count_certified,
    count_in_the_new_category,
    count_in_the_receiving_county,
    stop_counting,
)
from siquan.fund_custody.application.forecasts import request_forecast
from siquan.fund_custody.domain.forecast import CertifiedTerm, counts_in, forecast

from .conftest import DIVISION, KEY, officer

DEATH, DISABILITY = 21_000, 15_000  # special_assistance in Wuhan, 2026, per month
SHARES = (5_000, 2_500, 1_000, 1_500)
OTHER_COUNTY = "420102"


def changed(grant: CertificationGranted, to: str, since: date,
            division: str = DIVISION) -> CertificationCategoryChanged:
    return CertificationCategoryChanged(
        change_id=str(uuid.uuid4()), certification_id=grant.certification_id,
        program_code=grant.program_code, person_key=grant.person_key,
        division_code=division, from_category=grant.category, to_category=to,
        effective_from=since, reason="the only child died",
        decided_by="approver-420117-01", decided_at=datetime.now(UTC))


def transferred(grant: CertificationGranted, category: str, since: date
                ) -> CertificationTransferred:
    return CertificationTransferred(
        transfer_id=str(uuid.uuid4()), certification_id=grant.certification_id,
        program_code=grant.program_code, category=category, person_key=grant.person_key,
        from_division_code=DIVISION, to_division_code=OTHER_COUNTY, effective_from=since,
        initiated_by="approver-420117-01", accepted_by="approver-420102-01",
        accepted_at=datetime.now(UTC))


def standard(category: str, period: str) -> int:
    return {"death": DEATH, "disability": DISABILITY}[category]


def test_the_spans_of_one_certification_count_once_and_each_month_at_its_category(
        ) -> None:
    terms = [CertifiedTerm("disability", date(2025, 1, 1), date(2026, 4, 1), False, "c1"),
             CertifiedTerm("death", date(2026, 4, 1), None, True, "c1")]
    result = forecast(terms, "monthly", 2026, standard, lambda p: SHARES)
    assert result.total_fen == 3 * DISABILITY + 9 * DEATH == 234_000
    assert result.head_count == 1
    assert [(line.category, line.head_count, line.total_fen) for line in result.lines] == [
        ("death", 1, 9 * DEATH), ("disability", 1, 3 * DISABILITY)]
    assert counts_in(terms, "2026-03") == {"disability": 1}
    assert counts_in(terms, "2026-04") == {"death": 1}


async def granted_in_2025(given, uow, category: str = "disability") -> CertificationGranted:
    event = given.granted(category).model_copy(update={"effective_from": date(2025, 1, 1)})
    await given.done(count_certified(event, uow))
    return event


async def test_a_change_from_april_counts_january_to_march_at_the_old_standard(
        uow, given) -> None:
    grant = await granted_in_2025(given, uow)
    await given.done(count_in_the_new_category(changed(grant, "death", date(2026, 4, 1)),
                                               uow))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == 3 * DISABILITY + 9 * DEATH
    assert stored.forecast.head_count == 1
    assert await uow.head_counts.active_counts(KEY.program_code, DIVISION) == {"death": 1}


async def test_a_change_delivered_twice_or_before_its_grant_counts_the_same(
        uow, given) -> None:
    grant = given.granted("disability").model_copy(
        update={"effective_from": date(2025, 1, 1)})
    change = changed(grant, "death", date(2026, 4, 1))
    await given.done(count_in_the_new_category(change, uow))
    await given.done(count_certified(grant, uow))
    await given.done(count_in_the_new_category(change, uow))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == 3 * DISABILITY + 9 * DEATH
    assert stored.forecast.head_count == 1


async def test_a_revocation_ends_the_new_category_too(uow, given) -> None:
    grant = await granted_in_2025(given, uow)
    await given.done(count_in_the_new_category(changed(grant, "death", date(2026, 4, 1)),
                                               uow))
    revocation = given.revoked(grant).model_copy(update={"effective_from": date(2026, 7, 1)})
    await given.done(stop_counting(revocation, uow))
    stored, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert stored.forecast.total_fen == 3 * DISABILITY + 3 * DEATH


async def test_a_retroactive_change_seen_after_a_later_transfer_reaches_the_new_county(
        uow, given) -> None:
    """Transferred from October at the old category, then a change from April recorded:
    April to September at the new standard here, October to December at it there."""
    grant = await granted_in_2025(given, uow)
    await given.done(count_in_the_receiving_county(
        transferred(grant, "disability", date(2026, 10, 1)), uow))
    await given.done(count_in_the_new_category(changed(grant, "death", date(2026, 4, 1)),
                                               uow))
    here, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert here.forecast.total_fen == 3 * DISABILITY + 6 * DEATH
    there = await uow.head_counts.terms(KEY.program_code, OTHER_COUNTY)
    assert [(t.category, t.certified_from) for t in there] == [("death", date(2026, 10, 1))]


async def test_a_transfer_after_a_change_keeps_the_new_category(uow, given) -> None:
    grant = await granted_in_2025(given, uow)
    await given.done(count_in_the_new_category(changed(grant, "death", date(2026, 4, 1)),
                                               uow))
    await given.done(count_in_the_receiving_county(
        transferred(grant, "disability", date(2026, 10, 1)), uow))
    here, _ = await given.done(request_forecast(uow, officer(), KEY))
    assert here.forecast.total_fen == 3 * DISABILITY + 6 * DEATH
    there = await uow.head_counts.terms(KEY.program_code, OTHER_COUNTY)
    assert [(t.category, t.certified_from, t.certified_until) for t in there] == [
        ("death", date(2026, 10, 1), None)]
