"""What officers and auditors may look at, read from the in-memory twins."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.disbursement.application import facts, queries
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.domain.errors import OutOfScope
from siquan.shared.auth import Officer

AUDITOR_ELSEWHERE = Officer(id="auditor-420102-01", name="test", roles=("auditor",),
                            division="420102", token_sha256="0" * 64)


async def test_certifications_in_force_today_are_counted(world: Any) -> None:
    await world.grant(1)
    await world.grant(2, starts=world.clock.today() + timedelta(days=1))
    await world.grant(3)
    async with world.units() as uow:
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id="cert-3", program_code=world.program, person_key=world.person(3),
            division_code=world.division, effective_from=date(2026, 6, 1), reason="moved",
            revoked_by="approver-420117-01"), uow)
    async with world.units.reading() as uow:
        assert await queries.count_active(uow, world.officer, world.program,
                                          world.division) == 1


async def test_a_run_shows_its_control_totals_and_where_its_payments_stand(
        world: Any) -> None:
    await world.payees(3)
    run = (await world.start(chunk_size=2)).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    async with world.units.reading() as uow:
        shown = await queries.show_run(uow, world.officer, run.id)
    assert (shown["status"], shown["control_totals"]) == (
        "allocated", {"payee_count": 3, "total_fen": 63_000})
    assert shown["counts"] == {"settled": 2, "failed": 0, "cancelled": 0, "pending": 1}
    assert shown["amounts_fen"]["pending"] == 21_000


async def test_nobody_sees_a_run_of_a_division_they_do_not_cover(world: Any) -> None:
    await world.payees(1)
    run = (await world.start()).run
    with pytest.raises(OutOfScope):
        async with world.units.reading() as uow:
            await queries.show_run(uow, AUDITOR_ELSEWHERE, run.id)
