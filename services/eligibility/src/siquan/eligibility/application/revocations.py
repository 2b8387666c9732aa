"""What ends or pauses a certification from outside eligibility's own officers:

- an accountability finding (`finding.raised`) suspends or revokes the certification it
  names, from the finding's date;
- a death (`death.reported.v2`, by resident ID; the deprecated `.v1` by person key)
  revokes every live certification of the person from the first day of the next month and
  ends the person's live applications (`deaths.register`, as for a death from any other
  source). The death is kept: an application entered or approved after it (or racing it)
  ends instead of being certified.

Both are idempotent (a second report finds nothing live to change) and commute with each
other. The death handler locks the person's applications before it reads their
certifications, so an approval committing meanwhile is seen and its certification revoked.
"""

from __future__ import annotations

import logging

from siquan.contracts.oversight_v1 import FindingRaised
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.contracts.types import mask_resident_id
from siquan.eligibility.application import deaths
from siquan.eligibility.application.certifications import record
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.death import Death
from siquan.eligibility.domain.errors import NotFound
from siquan.shared.consumer import RuleBroken
from siquan.shared.person import person_key
from siquan.shared.registry import handles

log = logging.getLogger(__name__)


@handles(FindingRaised)
async def act_on_finding(event: FindingRaised, uow: Work) -> None:
    if event.decision == "none" or event.certification_id is None:
        return
    try:
        certification = await uow.certifications.get(event.certification_id, for_update=True)
    except NotFound as exc:  # eligibility published every id oversight may name
        raise RuleBroken(str(exc)) from exc
    if not certification.live or (event.decision == "suspend"
                                  and certification.status == "suspended"):
        log.info("finding %s: certification %s is already %s", event.finding_id,
                 certification.id, certification.status)
        return
    actor, reason = f"finding:{event.finding_id}", f"{event.category}: {event.reason}"
    day = event.raised_at.astimezone(uow.zone).date()  # the office's day
    change = (certification.suspend(day, reason, actor) if event.decision == "suspend"
              else certification.revoke(day, reason, actor))
    await record(uow, [(certification, change)])


@handles(DeathReported, DeathReportedV2)
async def end_what_the_dead_held(event: DeathReported | DeathReportedV2, uow: Work) -> None:
    """A death reported by resident ID (`death.reported.v2`) or, deprecated, by person key
    (`death.reported.v1`): the same report under both reads the same person."""
    key = (event.person_key if isinstance(event, DeathReported)
           else person_key(uow.terms.person_key_secret, event.resident_id))
    if await uow.deaths.known([event.report_id]):
        # nothing is live to end again; a death corrected since stays corrected
        log.info("death report %s is already on record", event.report_id)
        return
    masked = (None if isinstance(event, DeathReported)
              else mask_resident_id(event.resident_id))
    await deaths.register(uow, Death(event.report_id, key, event.date_of_death,
                                     masked_resident_id=masked))
