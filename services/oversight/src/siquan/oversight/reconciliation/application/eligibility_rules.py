"""The rules eligibility's and the partners' events can break or bring to light: an
approval by the application's reviewer, a certification decided by the officer who also
handles the payee's account, and payments already made that a late grant, change or death
shows to be wrong.

Each handler records what the event tells; the judging that needs the rest of the batch
runs once per batch (`uow.later`), with one query for all the batch's grants, changes or
deaths."""

from __future__ import annotations

import uuid

from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.public_security_v1 import DeathReported
from siquan.oversight.application.deferred import Asked, Origin
from siquan.oversight.reconciliation.application.decisions import (
    release_for_death_corrected,
)
from siquan.oversight.reconciliation.application.judging import rejudge
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_findings
from siquan.oversight.reconciliation.application.sources import message_id_of
from siquan.oversight.reconciliation.domain.conduct import (
    registered_by_decider,
    reviewer_approved,
)
from siquan.oversight.reconciliation.domain.entitlement import (
    CertificationRecord,
    ChangeKind,
    Death,
)
from siquan.shared.registry import handles


@handles(eligibility.ApplicationSubmitted)
async def remember_application(e: eligibility.ApplicationSubmitted, uow: RuleUnit) -> None:
    uow.watched.add_application(
        application_id=e.application_id, program_code=e.program_code,
        division_code=e.division_code, submitted_by=e.submitted_by,
        submitted_at=e.submitted_at, message_id=message_id_of(uow))


@handles(eligibility.ApplicationReviewed)
async def remember_review(e: eligibility.ApplicationReviewed, uow: RuleUnit) -> None:
    uow.watched.add_review(application_id=e.application_id, reviewed_by=e.reviewed_by,
                           stage=e.stage, outcome=e.outcome, message_id=message_id_of(uow))


@handles(eligibility.CommunityReviewRecorded)
async def remember_community_rejections(e: eligibility.CommunityReviewRecorded,
                                        uow: RuleUnit) -> None:
    """An application the village's community review failed ends there (eligibility rejects
    it): timeliness no longer counts it as waiting for its certification. One review row per
    failed entry, its id derived from the message and the application (a redelivery writes
    nothing new)."""
    message = uuid.UUID(message_id_of(uow))
    for entry in e.entries:
        if entry.outcome == "failed":
            uow.watched.add_review(
                application_id=entry.application_id, reviewed_by=e.recorded_by,
                stage="community", outcome="rejected",
                message_id=str(uuid.uuid5(message, entry.application_id)))


def record_of(e: eligibility.CertificationGranted, message_id: str) -> CertificationRecord:
    return CertificationRecord(
        certification_id=e.certification_id, person_key=e.person_key,
        program_code=e.program_code, category=e.category, division_code=e.division_code,
        effective_from=e.effective_from, application_id=e.application_id,
        reviewed_by=e.reviewed_by, approved_by=e.approved_by, granted_message=message_id)


@handles(eligibility.CertificationGranted)
async def judge_grant(e: eligibility.CertificationGranted, uow: RuleUnit) -> None:
    cert = record_of(e, message_id_of(uow))
    uow.watched.add_certification(cert, e.approved_at)
    uow.later(judge_grants, cert)


async def judge_grants(uow: RuleUnit, asked: Asked[CertificationRecord]) -> None:
    """Who reviewed, approved and registered the account; then the payments already made
    on the certifications."""
    certs = [cert for cert, _ in asked]
    reviewers = await uow.watched.township_reviewers(
        c.application_id for c in certs if c.application_id)
    registrations = await uow.watched.payee_registrations(c.person_key for c in certs)
    for cert, origin in asked:
        found = [reviewer_approved(cert, reviewers.get(cert.application_id or "", {}))]
        found += [registered_by_decider(cert, officer, message_id)
                  for officer, message_id in registrations.get(cert.person_key, [])]
        await raise_findings(uow, found, origin)
    origins = {cert.certification_id: origin for cert, origin in asked}
    payments = await uow.settled.of_certifications(
        (c.person_key, c.certification_id) for c in certs)
    await rejudge(uow, payments, lambda item: origins.get(item.certification_id))


Changed = (eligibility.CertificationRevoked | eligibility.CertificationLapsed
           | eligibility.CertificationSuspended | eligibility.CertificationReinstated
           | eligibility.CertificationRenewed)

_KINDS: dict[type[Changed], ChangeKind] = {
    eligibility.CertificationRevoked: "revoked",
    eligibility.CertificationLapsed: "lapsed",
    eligibility.CertificationSuspended: "suspended",
    eligibility.CertificationReinstated: "reinstated",
    eligibility.CertificationRenewed: "renewed",
}


@handles(*_KINDS)
async def judge_change(e: Changed, uow: RuleUnit) -> None:
    """A revocation, lapse, suspension, reinstatement or renewal: remember it, and judge
    again the payments already made on the certification."""
    uow.watched.add_change(certification_id=e.certification_id, kind=_KINDS[type(e)],
                           effective_from=e.effective_from, message_id=message_id_of(uow))
    uow.later(rejudge_certifications, (e.person_key, e.certification_id))
    if isinstance(e, eligibility.CertificationRevoked) and e.date_of_death is not None:
        # a death reported by resident ID reaches eligibility alone; its revocation
        # carries the date, judged as a death reported here would be
        uow.watched.add_death(Death(e.person_key, e.date_of_death, message_id_of(uow)))
        uow.later(rejudge_persons, e.person_key)


@handles(eligibility.DeathCorrected)
async def forget_death_recorded_in_error(e: eligibility.DeathCorrected, uow: RuleUnit
                                         ) -> None:
    """A death recorded in error was corrected: the person is not dead and the
    certifications it revoked are owed again as if never revoked, so the payments made
    on them from now on (the months missed, paid as arrears) are judged owed, and the
    findings the death alone gave reason for are dismissed and their holds lifted."""
    uow.watched.forget_death(person_key=e.person_key, date_of_death=e.date_of_death,
                             certification_ids=e.certification_ids,
                             revoked_from=e.reinstated_from)
    await release_for_death_corrected(uow, person_key=e.person_key,
                                      certification_ids=e.certification_ids,
                                      date_of_death=e.date_of_death,
                                      corrected_by=e.corrected_by)
    for certification_id in e.certification_ids:
        uow.later(rejudge_certifications, (e.person_key, certification_id))
    uow.later(rejudge_persons, e.person_key)


@handles(eligibility.CertificationTransferred)
async def follow_transfer(e: eligibility.CertificationTransferred, uow: RuleUnit) -> None:
    """From the transfer's month the certification is the receiving county's: its payments
    from then are that county's, and so are its omissions."""
    uow.watched.add_case_change(
        certification_id=e.certification_id, effective_from=e.effective_from,
        division_code=e.to_division_code, category=e.category, decided_at=e.accepted_at,
        message_id=message_id_of(uow))


@handles(eligibility.CertificationCategoryChanged)
async def follow_category_change(e: eligibility.CertificationCategoryChanged,
                                 uow: RuleUnit) -> None:
    """From the change's month the new category's standard is owed by the payments made
    from now on. Those already made were right at the time; as after a retroactive policy
    change, the difference comes as top-ups and is not judged again here."""
    uow.watched.add_case_change(
        certification_id=e.certification_id, effective_from=e.effective_from,
        division_code=e.division_code, category=e.to_category, decided_at=e.decided_at,
        message_id=message_id_of(uow))


async def rejudge_certifications(uow: RuleUnit, asked: Asked[tuple[str, str]]) -> None:
    origins: dict[str, Origin] = {cert: origin for (_, cert), origin in asked}
    payments = await uow.settled.of_certifications(pair for pair, _ in asked)
    await rejudge(uow, payments, lambda item: origins.get(item.certification_id))


@handles(DeathReported)
async def judge_death(e: DeathReported, uow: RuleUnit) -> None:
    """A death, perhaps reported after payments for later periods were made."""
    uow.watched.add_death(Death(e.person_key, e.date_of_death, message_id_of(uow)))
    uow.later(rejudge_persons, e.person_key)


async def rejudge_persons(uow: RuleUnit, asked: Asked[str]) -> None:
    origins = {person: origin for person, origin in asked}
    payments = await uow.settled.of_persons(origins)
    await rejudge(uow, payments, lambda item: origins.get(item.person_key))
