"""A death recorded in error, corrected by eligibility (`death.corrected.v1`): the
certification it ended is owed again from the day it ended, the death is forgotten, and
the receivable the death raised is not pursued — written off by the correction, approved
by the approver who corrected the death; handled twice, nothing more happens."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.eligibility_v1 import CertificationRevoked, DeathCorrected
from siquan.disbursement.application import facts
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.domain.recovery import DEATH_CORRECTED

DIED, ENDED = date(2026, 4, 15), date(2026, 5, 1)


async def test_a_corrected_death_owes_the_certification_again_and_gives_up_its_receivable(
        world: Any) -> None:
    await world.payees(2)
    run = (await world.start()).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    async with world.units() as uow:
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id="cert-1", program_code=world.program,
            person_key=world.person(1), division_code=world.division,
            effective_from=ENDED, reason="death reported", revoked_by="system",
            date_of_death=DIED), uow)
    [found] = world.published(OverpaymentRecordedV2)
    assert found.cause == "death"
    assert world.store.revocations["cert-1"] == ENDED and world.person(1) in world.store.deaths

    corrected = DeathCorrected(
        correction_id=str(uuid.uuid4()), report_id="GA-1", person_key=world.person(1),
        date_of_death=DIED, certification_ids=("cert-1",), reinstated_from=ENDED,
        reason="the wrong person", corrected_by="approver-2",
        corrected_at=datetime(2026, 5, 20, tzinfo=UTC))
    for _ in range(2):
        async with world.units() as uow:
            await facts.undo_death_recorded_in_error(corrected, uow)
    [given_up] = world.published(events.RecoveryRecorded)
    assert (given_up.receivable_id, given_up.kind, given_up.amount_fen,
            given_up.outstanding_fen, given_up.recorded_by, given_up.approved_by) == (
        found.receivable_id, "write_off", found.total_fen, 0, DEATH_CORRECTED, "approver-2")
    assert "cert-1" not in world.store.revocations
    assert world.person(1) not in world.store.deaths
    async with world.units() as uow:
        [listed] = await uow.receivables.search(division_prefix="420117", program_code=None,
                                                status=None, person_key=None)
    assert listed["outstanding_fen"] == 0
