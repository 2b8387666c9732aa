"""Certification counts (for the fund forecast): granted counts one from its effective
date, revoked or lapsed stops counting it from theirs (so it still counts in the periods it
was payable in); a suspension, reinstatement or renewal leaves the certified head count as it
is. Only the certification id is kept, never anything that identifies the person, and a
revocation seen before its grant is remembered, so the order of arrival does not matter.
A change of the head count makes the program's open forecasts in the division due again,
and so does a published policy version (the standard or the shares of some periods may
have changed): every division's forecasts of its program."""

from __future__ import annotations

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
    PolicyVersionPublished,
)
from siquan.fund_custody.application.ports import FundCustodyUnit
from siquan.shared.registry import handles


@handles(PolicyVersionPublished)
async def forecast_again_after_policy(event: PolicyVersionPublished, uow: FundCustodyUnit
                                      ) -> None:
    """The shared handler keeps the version (`policy_store`); this one makes the program's
    forecasts due, in the same transaction, so the loop reads the version when it runs."""
    await uow.head_counts.policy_changed(event.program_code, uow.now())


@handles(CertificationGranted)
async def count_certified(event: CertificationGranted, uow: FundCustodyUnit) -> None:
    await uow.head_counts.grant(event.certification_id, event.program_code,
                                event.division_code, event.category, event.effective_from)
    await uow.head_counts.roster_changed(event.program_code, event.division_code, uow.now())


@handles(CertificationRevoked, CertificationLapsed)
async def stop_counting(event: CertificationRevoked | CertificationLapsed,
                        uow: FundCustodyUnit) -> None:
    await uow.head_counts.revoke(event.certification_id, event.program_code,
                                 event.division_code, uow.now(), event.effective_from)
    await uow.head_counts.roster_changed(event.program_code, event.division_code, uow.now())


@handles(DeathCorrected)
async def count_again_after_death_corrected(event: DeathCorrected, uow: FundCustodyUnit
                                            ) -> None:
    """A death recorded in error was corrected: the certifications it revoked count again
    as if never revoked, and their forecasts are due again. (The receivables it raised are
    given up by disbursement's write-off, `recovery.recorded`.)"""
    for program_code, division_code in sorted(await uow.head_counts.unrevoke(
            event.certification_ids, event.reinstated_from, uow.now())):
        await uow.head_counts.roster_changed(program_code, division_code, uow.now())


@handles(CertificationTransferred)
async def count_in_the_receiving_county(event: CertificationTransferred,
                                        uow: FundCustodyUnit) -> None:
    """Counted in the sending county up to the transfer's month, in the receiving county
    from it: both counties' forecasts are due again."""
    await uow.head_counts.move(event.certification_id, event.program_code,
                               event.to_division_code, event.category, event.effective_from,
                               uow.now())
    for division in (event.from_division_code, event.to_division_code):
        await uow.head_counts.roster_changed(event.program_code, division, uow.now())


@handles(CertificationCategoryChanged)
async def count_in_the_new_category(event: CertificationCategoryChanged,
                                    uow: FundCustodyUnit) -> None:
    """Counted in the old category up to the change's month, in the new one from it: the
    forecast owes each period the standard of the category in force then."""
    await uow.head_counts.recategorize(event.certification_id, event.program_code,
                                       event.division_code, event.to_category,
                                       event.effective_from, uow.now())
    await uow.head_counts.roster_changed(event.program_code, event.division_code, uow.now())


@handles(CertificationRenewed, CertificationSuspended, CertificationReinstated)
async def keep_count(event: CertificationRenewed | CertificationSuspended
                     | CertificationReinstated, uow: FundCustodyUnit) -> None:
    """Still certified: the count does not move (taken so the queue's bindings stay those
    of every certification change, and nothing is dead-lettered for being unexpected)."""
