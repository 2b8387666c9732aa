"""The partner agencies' projections of certification changes (`partners_v1`): each
agency gets only what it needs, naming the person by the pseudonym derived with its own
key. Translation only: the changes were decided and recorded before these are built."""

from __future__ import annotations

from collections.abc import Mapping

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts import partners_v1 as p
from siquan.contracts.base import Event
from siquan.shared.person import pseudonym

STARTED = (v1.CertificationGranted, v1.CertificationReinstated)
ENDED: dict[type[Event], p.Ending] = {
    v1.CertificationRevoked: "revoked", v1.CertificationLapsed: "lapsed",
    v1.CertificationSuspended: "suspended"}
CertificationEvent = (v1.CertificationGranted | v1.CertificationReinstated
                      | v1.CertificationRevoked | v1.CertificationLapsed
                      | v1.CertificationSuspended)


PROJECTED = (*STARTED, v1.CertificationRevoked, v1.CertificationLapsed,
             v1.CertificationSuspended)
"""The certification events with partner projections (renewals have none: nothing starts
or ends)."""


def projections(event: CertificationEvent, resident_id: str, category: str,
                keys: Mapping[str, str], *, death: bool) -> list[Event]:
    """The projections of one certification event for every agency that needs it, given
    the certified person's resident ID and the certification's category (kept by
    eligibility, never published); `death` tells that a death report ended it (public
    security learns of that alone)."""
    def name(agency: str) -> str:
        return pseudonym(keys[agency], resident_id)

    program, division = event.program_code, event.division_code
    out: list[Event] = []
    if isinstance(event, STARTED):
        out += [p.CivilAffairsCertificationStarted(
                    pseudonym=name("civil_affairs"), program_code=program, category=category,
                    division_code=division, effective_from=event.effective_from),
                p.SocialSecurityCertificationStarted(
                    pseudonym=name("social_security"), program_code=program,
                    category=category, division_code=division,
                    effective_from=event.effective_from)]
        if program in p.EDUCATION_PROGRAMS:
            out.append(p.EducationCertificationStarted(
                pseudonym=name("education"), program_code=program,
                division_code=division, effective_from=event.effective_from))
        return out
    ending = ENDED[type(event)]
    out += [p.CivilAffairsCertificationEnded(
                pseudonym=name("civil_affairs"), program_code=program, division_code=division,
                effective_from=event.effective_from, ending=ending),
            p.SocialSecurityCertificationEnded(
                pseudonym=name("social_security"), program_code=program,
                division_code=division, effective_from=event.effective_from, ending=ending)]
    if program in p.EDUCATION_PROGRAMS:
        out.append(p.EducationCertificationEnded(
            pseudonym=name("education"), program_code=program,
            effective_from=event.effective_from))
    if death:
        out.append(p.PublicSecurityCertificationEnded(
            pseudonym=name("public_security"), effective_from=event.effective_from))
    return out
