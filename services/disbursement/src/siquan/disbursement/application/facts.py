"""Keeping the local copies of other powers' facts current: certifications granted, ended,
suspended and reinstated, and deaths recorded in error corrected (eligibility), deaths
(public security), holds on persons and on payment runs placed and lifted (oversight).
Each write is idempotent and commutes with the others, so the messages may arrive in any
order and any number of times."""

from __future__ import annotations

import uuid

from siquan.contracts.eligibility_v1 import (
    CertificationCategoryChanged,
    CertificationGranted,
    CertificationLapsed,
    CertificationReinstated,
    CertificationRenewed,
    CertificationRevoked,
    CertificationSuspended,
    CertificationTransferred,
    DeathCorrected,
)
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced, RunHoldLifted, RunHoldPlaced
from siquan.contracts.public_security_v1 import DeathReported
from siquan.disbursement.application.recovery import (
    find_overpayments,
    give_up_for_death_corrected,
)
from siquan.disbursement.application.repositories import CertificationChange, Hold, Work
from siquan.disbursement.domain.certification import Certification, benefits_end_after_death
from siquan.shared.registry import handles


@handles(CertificationGranted)
async def keep_certification(event: CertificationGranted, uow: Work) -> None:
    await uow.certifications.add(Certification(
        id=event.certification_id, person_key=event.person_key,
        program_code=event.program_code, category=event.category,
        division_code=event.division_code, effective_from=event.effective_from,
        household_key=event.household_key),
        policy_version=event.policy_version, approved_at=event.approved_at)
    if event.household_key is not None:
        await uow.accounts.keep_household(event.person_key, event.household_key)


@handles(CertificationRevoked)
async def end_revoked_certification(event: CertificationRevoked, uow: Work) -> None:
    """A revocation for a death carries its date: the death is kept as a reported one is
    (eligibility alone reads public security's reports by resident ID). Payments already
    settled for periods after the end become receivables."""
    await uow.certifications.end(event.certification_id, event.effective_from, event.reason,
                                 event.revoked_by)
    if event.date_of_death is not None:
        await uow.deaths.record(event.person_key, f"certification:{event.certification_id}",
                                event.date_of_death,
                                benefits_end_after_death(event.date_of_death))
    await find_overpayments(uow, event.person_key)


@handles(DeathCorrected)
async def undo_death_recorded_in_error(event: DeathCorrected, uow: Work) -> None:
    """A death recorded in error was corrected: the certifications it revoked are owed
    again from the day the revocation took effect (the periods not paid meanwhile come as
    arrears in the next run), the person's death of that date is forgotten, and the
    receivables it raised are not pursued. Idempotent: what was undone is undone once;
    the revocations it undoes come before it on the same queue."""
    await uow.certifications.unend(event.certification_ids, event.reinstated_from)
    await uow.deaths.forget(event.person_key, event.date_of_death)
    await give_up_for_death_corrected(uow, event.person_key, event.certification_ids,
                                      event.correction_id, event.corrected_by)


@handles(CertificationLapsed)
async def end_lapsed_certification(event: CertificationLapsed, uow: Work) -> None:
    """Not re-confirmed by the deadline: it ends like a revocation, from its date."""
    await uow.certifications.end(event.certification_id, event.effective_from,
                                 f"lapsed: {event.reason}", event.decided_by)
    await find_overpayments(uow, event.person_key)


@handles(CertificationTransferred)
async def follow_transfer(event: CertificationTransferred, uow: Work) -> None:
    """From the transfer's month the certification is the receiving county's: the sending
    county's runs pay it up to the month before, the receiving county's from that month
    (`certification_spans`); a period is paid once whichever county pays it, and the
    payee account moves with the person. Periods already paid at a higher standard than
    the receiving county's are overpaid by the difference (`recovery.find_overpayments`)."""
    await uow.certifications.change(CertificationChange(
        f"transfer:{event.transfer_id}", event.certification_id, "transfer",
        event.effective_from, event.to_division_code, event.category, event.accepted_at))
    await find_overpayments(uow, event.person_key)


@handles(CertificationCategoryChanged)
async def follow_category_change(event: CertificationCategoryChanged, uow: Work) -> None:
    """The new category's standard is owed from the change's month; periods from then
    already paid at a lower standard are topped up by the next run, as after a
    retroactive raise (`top_ups`); what was paid above a lower one becomes a receivable
    (`recovery.find_overpayments`)."""
    await uow.certifications.change(CertificationChange(
        f"category:{event.change_id}", event.certification_id, "category",
        event.effective_from, event.division_code, event.to_category, event.decided_at))
    await find_overpayments(uow, event.person_key)


@handles(CertificationSuspended)
async def suspend_certification(event: CertificationSuspended, uow: Work) -> None:
    """Nothing is paid on a suspended certification until it is reinstated (checked at run
    start and again before the bank); a period it covered entirely is not owed later."""
    await uow.certifications.suspend(event.certification_id, event.effective_from)


@handles(CertificationReinstated)
async def reinstate_certification(event: CertificationReinstated, uow: Work) -> None:
    await uow.certifications.reinstate(event.certification_id, event.effective_from)


@handles(CertificationRenewed)
async def note_renewal(event: CertificationRenewed, uow: Work) -> None:
    """A renewal changes nothing here: a certification is owed until it ends (revoked,
    lapsed, death); the renewal is what keeps the lapse from coming."""


@handles(DeathReported)
async def record_death(event: DeathReported, uow: Work) -> None:
    await uow.deaths.record(event.person_key, event.report_id, event.date_of_death,
                            benefits_end_after_death(event.date_of_death))
    await find_overpayments(uow, event.person_key)


@handles(HoldPlaced)
async def place_hold(event: HoldPlaced, uow: Work) -> None:
    await uow.holds.place(Hold(event.hold_id, event.person_key, event.program_code,
                               event.reason))


@handles(HoldLifted)
async def lift_hold(event: HoldLifted, uow: Work) -> None:
    await uow.holds.lift(event.hold_id, event.person_key, event.reason, event.lifted_at)


def _a_run_id(run_id: str) -> bool:
    try:
        uuid.UUID(run_id)
    except ValueError:
        return False
    return True


@handles(RunHoldPlaced)
async def place_run_hold(event: RunHoldPlaced, uow: Work) -> None:
    """No payer takes the run's unpaid payments until the hold is lifted. A run id that is
    no run of ours (runs are UUIDs) holds nothing."""
    if _a_run_id(event.run_id):
        await uow.holds.place_on_run(event.hold_id, event.run_id, event.reason,
                                     event.placed_at)


@handles(RunHoldLifted)
async def lift_run_hold(event: RunHoldLifted, uow: Work) -> None:
    """The run's unpaid payments are paid again; the payers are woken for it."""
    if _a_run_id(event.run_id):
        await uow.holds.lift_on_run(event.hold_id, event.run_id, event.reason,
                                    event.lifted_at)
        await uow.runs.wake_payers(event.run_id)
