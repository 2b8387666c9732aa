"""An offset is recorded once, and the period it reduced is paid once: where the order
paying the rest of a partly offset entitlement fails at the bank and is not retried, the
arrears a later run pays for that period are the entitlement less the offset already
recorded, and no run after that tops the period up by the offset — the household
receives, in cash and in debt reduced together, exactly the entitlement, to the fen."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.contracts.policy import load_catalogue
from siquan.shared.person import household_key, person_key
from siquan.shared.testing.messages import publish_as, tap

from .conftest import DISBURSER, DIVISION, PROGRAM, SECRET, resident_id
from .test_disbursement_offsets import _offsets_allowed, _paid

pytestmark = pytest.mark.integration
FROZEN = "622202000000020044"  # the simulated bank fails it: account frozen
FIXED = "622202000000020001"


async def test_a_partly_offset_payment_the_bank_refused_is_paid_again_only_for_the_rest(
        world: Any) -> None:
    world.start()
    await _offsets_allowed(world)  # from 2031-04
    home = household_key(SECRET, "420117000456")
    dead = await world.grant(1, "disability", household_key=home)
    await world.grant(2, "death", household_key=home)
    for n in (1, 2):
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    catalogue = load_catalogue()

    def owed(category: str, period: str) -> int:
        return catalogue.amount_for(PROGRAM, category, period, DIVISION)

    spouse = person_key(SECRET, resident_id(2))
    async with tap(world.env, "disbursement") as seen:
        for period in ("2031-02", "2031-03"):
            await _paid(world, seen, period)
        # The disabled spouse died in February: March was paid for nothing.
        await publish_as(world.env, CertificationRevoked(
            certification_id=dead.certification_id, program_code=PROGRAM,
            person_key=dead.person_key, division_code=DIVISION,
            effective_from=date(2031, 3, 1), reason="death", revoked_by="approver-420117-01",
            date_of_death=date(2031, 2, 10)))
        receivable = (await seen.wait_for("overpayment.recorded.v2"))[0].body
        # The survivor's account is frozen at the bank before April's run.
        assert (await world.register(2, account=FROZEN, wait=False)).status_code == 201
        april = await _paid(world, seen, "2031-04")
        offsets = await seen.wait_for("recovery.recorded.v1")
        await seen.wait_for("payments.failed.v1")
        # Not retried: the account is fixed, and May's run pays April as arrears.
        assert (await world.register(2, account=FIXED, wait=False)).status_code == 201
        may = await _paid(world, seen, "2031-05")
        # Nor does a later run take the rest for a shortfall to top up.
        june = await _paid(world, seen, "2031-06")

    overpaid, april_owed = owed("disability", "2031-03"), owed("death", "2031-04")
    assert 0 < overpaid < april_owed  # April is offset in part
    assert receivable["total_fen"] == overpaid
    assert [(m.body["amount_fen"], m.body["outstanding_fen"], m.body["kind"])
            for m in offsets] == [(overpaid, 0, "offset")]
    refused = await world.db_rows(
        "SELECT amount_fen, status FROM payments WHERE run_id = $1::uuid AND person_key = $2",
        april, spouse)
    assert [(r["amount_fen"], r["status"]) for r in refused] == [
        (april_owed - overpaid, "failed")]
    settled = await world.db_rows(
        "SELECT period, amount_fen FROM payments WHERE run_id = $1::uuid AND person_key = $2"
        " AND status = 'settled' ORDER BY period", may, spouse)
    assert [(r["period"], int(r["amount_fen"])) for r in settled] == [
        ("2031-04", april_owed - overpaid), ("2031-05", owed("death", "2031-05"))]
    later = await world.db_rows(
        "SELECT period, amount_fen FROM payments WHERE run_id = $1::uuid AND person_key = $2",
        june, spouse)
    assert [(r["period"], int(r["amount_fen"])) for r in later] == [
        ("2031-06", owed("death", "2031-06"))]
    # For April: cash settled plus the debt the offset reduced is the entitlement, once.
    april_cash = await world.db_value(
        "SELECT COALESCE(sum(amount_fen), 0) FROM payments WHERE person_key = $1"
        " AND period = '2031-04' AND status = 'settled'", spouse)
    april_offset = await world.db_value(
        "SELECT sum(offset_fen) FROM entitlement_offsets WHERE person_key = $1"
        " AND period = '2031-04'", spouse)
    assert (april_cash, april_offset) == (april_owed - overpaid, overpaid)
    assert april_cash + april_offset == april_owed
    assert await world.db_value("SELECT count(*) FROM entitlement_offsets") == 1
    assert len(seen.of_type("recovery.recorded.v1")) == 1
    assert (await world.run(may))["offsets"] == {"count": 0, "amount_fen": 0}

    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        shown = (await client.get(f"/receivables/{receivable['receivable_id']}",
                                  headers=DISBURSER)).json()
    assert (shown["status"], shown["outstanding_fen"]) == ("offset", 0)
