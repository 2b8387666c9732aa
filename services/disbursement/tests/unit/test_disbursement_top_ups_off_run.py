"""A retroactive raise tops up the periods paid at the old standard also for people the
run no longer pays: revoked from September, a person paid June–August is still owed the
July and August top-ups; the September run pays them to the person's account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.contracts.policy import Citation, install, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend, layered
from siquan.disbursement.application import facts
from siquan.disbursement.application.payer import pay_chunk

RAISE_FROM = date(2026, 7, 1)
CITATION = Citation(document="鄂卫健发〔2026〕9号", clause="提高特别扶助金标准")


RAISE_FEN = 3_000  # per month over the seed's death amount, from July


@pytest.fixture
def restored() -> Iterator[None]:
    """The seed catalogue again after the test installs a published raise."""
    yield
    install(None)


async def _pay(world: Any, period: str) -> Any:
    run = (await world.start(period)).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    return run


async def test_a_person_the_run_no_longer_pays_is_topped_up(world: Any, restored: None
                                                             ) -> None:
    await world.payees(2)
    for period in ("2026-06", "2026-07", "2026-08"):
        await _pay(world, period)
    async with world.units() as uow:
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id="cert-1", program_code=world.program,
            person_key=world.person(1), division_code=world.division,
            effective_from=date(2026, 9, 1), reason="moved away",
            revoked_by="approver-1"), uow)
    # The raise is published after August was paid, effective from July.
    seed = seed_catalogue()
    base = seed.in_force("special_assistance", RAISE_FROM, "420117")
    install(layered(seed, [amend(base, PolicyChanges(
        amounts_fen={"death": base.benefit("death").amount_fen + RAISE_FEN}),
        version="raise-2026-07", effective_from=RAISE_FROM, citation=CITATION)]))
    september = await _pay(world, "2026-09")

    paid = sorted((p.person_key == world.person(1), p.period, p.item, p.amount_fen)
                  for p in world.store.run_payments(september.id))
    new = base.benefit("death").amount_fen + RAISE_FEN
    assert paid == [
        (False, "2026-07", "topup:raise-2026-07", RAISE_FEN),
        (False, "2026-08", "topup:raise-2026-07", RAISE_FEN),
        (False, "2026-09", "benefit", new),
        (True, "2026-07", "topup:raise-2026-07", RAISE_FEN),
        (True, "2026-08", "topup:raise-2026-07", RAISE_FEN)]
    assert september.total_fen == new + 4 * RAISE_FEN
