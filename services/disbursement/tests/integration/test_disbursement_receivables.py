"""Recovery on the real service: a revocation with an earlier effective date makes the
payments already settled for later periods a receivable, published once however often the
end arrives; officers record repayments and a write-off that needs a second officer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.policy import load_catalogue
from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

from .conftest import CHECKER, DIVISION, OTHER_COUNTY, PROGRAM

MONTHS = ("2031-01", "2031-02", "2031-03")


async def _paid(world: Any, seen: Any, period: str) -> None:
    started = await world.start_run(period)
    assert started.status_code == 201, started.text
    run_id = started.json()["run_id"]

    async def asked() -> dict[str, Any] | None:
        return next((m.body for m in seen.of_type("allocation.requested.v1")
                     if m.body["run_id"] == run_id), None)
    requested = await eventually(asked, what=f"allocation asked for run {run_id}")
    await world.approve(requested)
    await world.await_status(run_id, "completed")


def _revoked(granted: CertificationGranted, effective_from: date) -> CertificationRevoked:
    return CertificationRevoked(
        certification_id=granted.certification_id, program_code=granted.program_code,
        person_key=granted.person_key, division_code=granted.division_code,
        effective_from=effective_from, reason="finding", revoked_by="approver-420117-01")


async def test_a_revocation_after_payment_records_the_overpaid_periods_once(
        world: Any) -> None:
    world.start()
    ends, stays = await world.grant(1, "death"), await world.grant(2, "disability")
    for n in (1, 2):
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        for period in MONTHS:
            await _paid(world, seen, period)
        paid = {r["period"]: r for r in await world.db_rows(
            "SELECT payment_id::text, run_id::text, period, amount_fen FROM payments"
            " WHERE certification_id = $1 AND status = 'settled'", ends.certification_id)}
        assert sorted(paid) == list(MONTHS)

        # The revocation from 1 February arrives twice, then the person's death in
        # January too: February and March were not owed, and are owed back once.
        revocation = _revoked(ends, date(2031, 2, 1))
        message_id = await publish_as(world.env, revocation)
        await publish_as(world.env, revocation, message_id=message_id)
        await publish_as(world.env, revocation)
        await publish_as(world.env, DeathReported(
            report_id=f"GA-{uuid.uuid4().hex[:8]}", person_key=ends.person_key,
            date_of_death=date(2031, 1, 20)))

        async def all_handled() -> bool:
            return bool(await world.db_value(
                "SELECT count(*) FROM inbox WHERE message_type IN"
                " ('certification.revoked.v1', 'death.reported.v1')") == 3)
        await eventually(all_handled, what="the revocations and the death handled")
        recorded = await seen.wait_for("overpayment.recorded.v2")

    assert len(seen.of_type("overpayment.recorded.v2")) == 1
    body = recorded[0].body
    owed = load_catalogue().amount_for(PROGRAM, "death", "2031-02", DIVISION)
    assert body["certification_id"] == ends.certification_id
    assert (body["cause"], body["ended_from"], body["fiscal_year"]) == (
        "revocation", "2031-02-01", 2031)
    assert sorted((p["payment_id"], p["period"], p["amount_fen"]) for p in body["payments"]) \
        == [(paid[m]["payment_id"], m, paid[m]["amount_fen"]) for m in ("2031-02", "2031-03")]
    assert body["total_fen"] == paid["2031-02"]["amount_fen"] + paid["2031-03"]["amount_fen"]
    assert paid["2031-02"]["amount_fen"] == owed
    assert all(p["run_period"] == p["period"] for p in body["payments"])
    assert stays.certification_id not in {
        m.body["certification_id"] for m in seen.of_type("overpayment.recorded.v2")}


async def test_repayments_and_a_write_off_by_two_officers_close_a_receivable(
        world: Any) -> None:
    world.start()
    ends = await world.grant(1, "death")
    assert (await world.register(1)).status_code == 201
    await world.await_certifications(1)
    async with tap(world.env, "disbursement") as seen:
        for period in MONTHS:
            await _paid(world, seen, period)
        await publish_as(world.env, _revoked(ends, date(2031, 1, 1)))
        found = (await seen.wait_for("overpayment.recorded.v2"))[0].body
        receivable, total = found["receivable_id"], found["total_fen"]
        assert len(found["payments"]) == 3

        path = f"/receivables/{receivable}"
        too_much = await world.post(f"{path}/repayments", {"amount_fen": total + 1})
        assert too_much.status_code == 409, too_much.text
        assert (await world.post(f"{path}/repayments", {"amount_fen": 0})).status_code == 422
        elsewhere = await world.post(f"{path}/repayments", {"amount_fen": 100}, OTHER_COUNTY)
        assert elsewhere.status_code == 403
        assert (await world.post("/receivables/not-a-uuid/repayments",
                                 {"amount_fen": 1})).status_code == 404
        repaid = await world.post(f"{path}/repayments", {"amount_fen": 1_000,
                                                         "reference": "B-1"})
        assert repaid.status_code == 201, repaid.text
        assert (repaid.json()["status"], repaid.json()["outstanding_fen"]) == (
            "partly_repaid", total - 1_000)

        proposed = await world.post(f"{path}/write-offs", {"reason": "nothing to recover"})
        assert proposed.status_code == 201, proposed.text
        approval = f"{path}/write-offs/{proposed.json()['proposal_id']}/approval"
        by_maker = await world.post(approval, {})
        assert by_maker.status_code == 403
        assert "second officer" in by_maker.json()["detail"]
        by_checker = await world.post(approval, {}, CHECKER)
        assert by_checker.status_code == 200, by_checker.text
        assert (by_checker.json()["status"], by_checker.json()["outstanding_fen"]) == (
            "written_off", 0)
        again = await world.post(f"{path}/repayments", {"amount_fen": 1})
        assert again.status_code == 409
        recoveries = await seen.wait_for("recovery.recorded.v1", count=2)

    kinds = sorted((m.body["kind"], m.body["amount_fen"], m.body["outstanding_fen"],
                    m.body["recorded_by"], m.body["approved_by"]) for m in recoveries)
    assert kinds == [("repayment", 1_000, total - 1_000, "disburser-420117-01", None),
                     ("write_off", total - 1_000, 0, "disburser-420117-01",
                      "disburser-420117-02")]
