"""The rules eligibility's and the partners' events can break or bring to light: an
approval by the application's reviewer, a certification decided by the officer who also
handles the payee's account or pays them, and payments already made that a late grant,
change or death shows to be wrong."""

from __future__ import annotations

from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.public_security_v1 import DeathReported
from siquan.oversight.reconciliation.adapters import settled, watched
from siquan.oversight.reconciliation.application.context import Seen
from siquan.oversight.reconciliation.application.judging import rejudge
from siquan.oversight.reconciliation.domain.conduct import (
    registered_by_decider,
    reviewer_approved,
)
from siquan.oversight.reconciliation.domain.entitlement import (
    CertificationRecord,
    ChangeKind,
    Death,
)


async def on_submitted(seen: Seen, e: eligibility.ApplicationSubmitted) -> None:
    await watched.add_application(
        seen.conn, application_id=e.application_id, program_code=e.program_code,
        division_code=e.division_code, submitted_by=e.submitted_by,
        submitted_at=e.submitted_at, message_id=seen.message_id)


async def on_reviewed(seen: Seen, e: eligibility.ApplicationReviewed) -> None:
    await watched.add_review(seen.conn, application_id=e.application_id,
                             reviewed_by=e.reviewed_by, stage=e.stage, outcome=e.outcome,
                             message_id=seen.message_id)


def _record(seen: Seen, e: eligibility.CertificationGranted) -> CertificationRecord:
    return CertificationRecord(
        certification_id=e.certification_id, person_key=e.person_key,
        program_code=e.program_code, category=e.category, division_code=e.division_code,
        effective_from=e.effective_from, application_id=e.application_id,
        reviewed_by=e.reviewed_by, approved_by=e.approved_by,
        granted_message=seen.message_id)


async def on_granted(seen: Seen, e: eligibility.CertificationGranted) -> None:
    cert = _record(seen, e)
    await watched.add_certification(seen.conn, cert, e.approved_at)
    reviewers = await watched.township_reviewers(seen.conn, e.application_id)
    found = [reviewer_approved(cert, reviewers)]
    for officer, message_id in await watched.payee_registrations(seen.conn, e.person_key):
        found.append(registered_by_decider(cert, officer, message_id))
    await seen.raiser.findings(f for f in found if f is not None)
    await rejudge(seen.raiser, await settled.of_certification(seen.conn, e.certification_id,
                                                                  e.person_key))


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


async def on_changed(seen: Seen, e: Changed) -> None:
    """A revocation, lapse, suspension, reinstatement or renewal: remember it, and judge
    again the payments already made on the certification."""
    await watched.add_change(seen.conn, certification_id=e.certification_id,
                             kind=_KINDS[type(e)], effective_from=e.effective_from,
                             message_id=seen.message_id)
    await rejudge(seen.raiser, await settled.of_certification(seen.conn, e.certification_id,
                                                                  e.person_key))


async def on_death(seen: Seen, e: DeathReported) -> None:
    """A death, perhaps reported after payments for later periods were made."""
    await watched.add_death(seen.conn, Death(e.person_key, e.date_of_death, seen.message_id))
    await rejudge(seen.raiser, await settled.of_person(seen.conn, e.person_key))
