"""Eligibility's aggregates as the contract events other powers read (translation only:
every rule was checked before these are built)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.base import Event
from siquan.eligibility.application.ports import Granted
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.notice import PublicNotice

_CHANGES: dict[str, type[v1.CertificationRenewed] | type[v1.CertificationLapsed]
               | type[v1.CertificationSuspended] | type[v1.CertificationReinstated]] = {
    "renewed": v1.CertificationRenewed, "lapsed": v1.CertificationLapsed,
    "suspended": v1.CertificationSuspended, "reinstated": v1.CertificationReinstated}


def submitted(a: Application, import_id: str | None = None, *,
              contact_phone: str | None = None) -> v1.ApplicationSubmitted:
    return v1.ApplicationSubmitted(
        application_id=a.id, program_code=a.program_code, category=a.category,
        person_key=a.person_key, masked_name=a.masked_name, division_code=a.division_code,
        township_code=a.township_code, submitted_by=a.submitted_by,
        submitted_at=a.submitted_at, import_id=import_id,
        contact_phone=contact_phone)


def reviewed(a: Application, *, stage: v1.ReviewStage, by: str, at: datetime
             ) -> v1.ApplicationReviewed:
    return v1.ApplicationReviewed(
        application_id=a.id, program_code=a.program_code, person_key=a.person_key,
        division_code=a.division_code, township_code=a.township_code,
        outcome="rejected" if a.status == "rejected" else "approved",
        reason=a.review_reason, reviewed_by=by, reviewed_at=at, stage=stage)


def granted(a: Application, g: Granted) -> v1.CertificationGranted:
    c = g.certification
    return v1.CertificationGranted(
        certification_id=c.id, application_id=a.id, program_code=c.program_code,
        category=c.category, policy_version=c.policy_version, person_key=c.person_key,
        masked_name=a.masked_name, masked_resident_id=a.masked_resident_id,
        division_code=c.division_code, township_code=c.township_code,
        effective_from=c.effective_from, valid_until=c.valid_until,
        reviewed_by=g.reviewed_by, approved_by=g.approved_by, approved_at=g.approved_at,
        notice_id=a.notice_id, household_key=g.household_key)


def changed(c: Certification, change: Change) -> Event:
    if change.kind == "revoked":
        return v1.CertificationRevoked(
            certification_id=c.id, program_code=c.program_code, person_key=c.person_key,
            division_code=c.division_code, effective_from=change.effective_from,
            reason=change.reason, revoked_by=change.actor,
            **({"date_of_death": change.date_of_death} if change.date_of_death else {}))
    fields = {"certification_id": c.id, "program_code": c.program_code,
              "person_key": c.person_key, "division_code": c.division_code,
              "effective_from": change.effective_from, "reason": change.reason,
              "decided_by": change.actor}
    if change.kind == "renewed":
        return v1.CertificationRenewed(**fields, valid_until=c.valid_until)
    return _CHANGES[change.kind](**fields)


def community_review_parts(*, review_id: str, division: str, township: str | None,
                           held_on: date, present: int, by: str, at: datetime,
                           apps: Sequence[Application], reasons: dict[str, str],
                           part_size: int) -> list[v1.CommunityReviewRecorded]:
    entries = [v1.CommunityReviewEntry(
        application_id=a.id, person_key=a.person_key,
        outcome="failed" if a.status == "rejected" else "passed",
        reason=reasons.get(a.id, "")) for a in apps]
    parts = [entries[i:i + part_size] for i in range(0, len(entries), part_size)]
    return [v1.CommunityReviewRecorded(
        review_id=review_id, division_code=division, township_code=township,
        held_on=held_on, present=present, recorded_by=by, recorded_at=at, part=n,
        parts=len(parts), entries=tuple(part)) for n, part in enumerate(parts, 1)]


def notice_parts(notice: PublicNotice, apps: Sequence[Application], *, by: str,
                 part_size: int) -> list[v1.NoticePublished]:
    entries = [v1.NoticeEntry(application_id=a.id, category=a.category,
                              masked_name=a.masked_name,
                              masked_resident_id=a.masked_resident_id,
                              township_code=a.township_code) for a in apps]
    parts = [entries[i:i + part_size] for i in range(0, len(entries), part_size)]
    return [v1.NoticePublished(
        notice_id=notice.id, program_code=notice.program_code,
        policy_version=notice.policy_version, division_code=notice.division_code,
        township_code=notice.township_code, published_on=notice.published_on,
        closes_on=notice.closes_on, notice_days=notice.notice_days, published_by=by,
        total_entries=len(entries), part=n, parts=len(parts), entries=tuple(part))
        for n, part in enumerate(parts, 1)]


def notice_closed(notice: PublicNotice, blocked: Sequence[str]) -> v1.NoticeClosed:
    assert notice.closed_on is not None
    return v1.NoticeClosed(
        notice_id=notice.id, program_code=notice.program_code,
        division_code=notice.division_code, township_code=notice.township_code,
        closed_on=notice.closed_on, total_entries=notice.entries,
        blocked_application_ids=tuple(blocked))
