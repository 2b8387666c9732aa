"""`ArrearsOwedWhateverFollowed`: a county that skipped a month pays it as an arrear in its
next run even to a person it no longer owes that run's month: one transferred out to
another county since, or one whose certification was revoked since. The month is paid
once, by the county it belonged to, and never again: not by the receiving county, not by
a later run, not after the case change is delivered again, not by two instances starting
the same run at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx

from siquan.contracts.eligibility_v1 import CertificationRevoked, CertificationTransferred
from siquan.contracts.policy import load_catalogue
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually

from .conftest import DISBURSER, OTHER_COUNTY, PROGRAM

SENDING, RECEIVING = "420117", "420102"
CATALOGUE = load_catalogue()


def owed(period: str, division: str = SENDING) -> int:
    return CATALOGUE.amount_for(PROGRAM, "death", period, division)


async def _run(world: Any, period: str, division: str = SENDING) -> dict[str, Any]:
    response = await world.post("/runs", {
        "program_code": PROGRAM, "period": period, "division_code": division},
        DISBURSER if division == SENDING else OTHER_COUNTY)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _paid(world: Any, certification_id: str) -> list[tuple[str, str, str, int, str]]:
    """Every live payment of the certification: (county of its run, period, item,
    amount, account)."""
    rows = await world.db_rows(
        "SELECT r.division_code, p.period, p.item, p.amount_fen, p.account_number"
        " FROM payment_orders p JOIN payment_runs r USING (run_id)"
        " WHERE p.certification_id = $1 AND p.live ORDER BY p.period, r.division_code",
        certification_id)
    return [(r["division_code"], r["period"], r["item"], r["amount_fen"],
             r["account_number"]) for r in rows]


async def test_the_sending_county_pays_a_skipped_month_after_the_person_moved_away(
        world: Any) -> None:
    world.start()
    kept, moving = await world.grant(1), await world.grant(2)
    for n in (1, 2):
        await world.register(n)
    await world.await_certifications(2)
    transfer = CertificationTransferred(
        transfer_id=str(uuid.uuid4()), certification_id=moving.certification_id,
        program_code=moving.program_code, category=moving.category,
        person_key=moving.person_key, from_division_code=SENDING,
        to_division_code=RECEIVING, effective_from=date(2031, 4, 1),
        initiated_by="approver-420117-01", accepted_by="approver-420102-01",
        accepted_at=datetime.now(UTC))
    await publish_as(world.env, transfer)

    async def moved() -> bool:
        return bool(await world.db_value(
            "SELECT count(*) FROM certification_spans WHERE certification_id = $1",
            moving.certification_id) == 2)

    await eventually(moved, what="the transfer kept")
    for period in ("2031-01", "2031-02"):
        await _run(world, period)
    # 420117 skipped March; the receiving county runs April first: March is not its own
    await _run(world, "2031-04", RECEIVING)
    april = await _run(world, "2031-04")
    assert april["arrears"] == {"count": 2, "amount_fen": 2 * owed("2031-03")}
    account = await world.db_value(
        "SELECT account_number FROM payee_accounts WHERE person_key = $1"
        " AND superseded_at IS NULL", moving.person_key)
    assert await _paid(world, moving.certification_id) == [
        (SENDING, "2031-01", "benefit", owed("2031-01"), account),
        (SENDING, "2031-02", "benefit", owed("2031-02"), account),
        (SENDING, "2031-03", "benefit", owed("2031-03"), account),
        (RECEIVING, "2031-04", "benefit", owed("2031-04", RECEIVING), account)]

    # the transfer delivered again and every later run of both counties pay March no more
    await publish_as(world.env, transfer)
    await _run(world, "2031-05", RECEIVING)
    may = await _run(world, "2031-05")
    assert may["arrears"] == {"count": 0, "amount_fen": 0}
    paid = await _paid(world, moving.certification_id)
    assert [p[:2] for p in paid] == [
        (SENDING, "2031-01"), (SENDING, "2031-02"), (SENDING, "2031-03"),
        (RECEIVING, "2031-04"), (RECEIVING, "2031-05")]
    assert [p[:2] for p in await _paid(world, kept.certification_id)] == [
        (SENDING, f"2031-{m:02d}") for m in range(1, 6)]


async def test_a_revoked_persons_unpaid_month_is_paid_once_by_a_later_run(
        world: Any) -> None:
    world.start()
    kept, revoked = await world.grant(3), await world.grant(4)
    for n in (3, 4):
        await world.register(n)
    await world.await_certifications(2)
    revocation = CertificationRevoked(
        certification_id=revoked.certification_id, program_code=revoked.program_code,
        person_key=revoked.person_key, division_code=revoked.division_code,
        effective_from=date(2031, 7, 1), reason="test", revoked_by="approver-420117-01")
    await publish_as(world.env, revocation)

    async def ended() -> bool:
        return bool(await world.db_value(
            "SELECT count(*) FROM certification_revocations WHERE certification_id = $1",
            revoked.certification_id))

    await eventually(ended, what="the revocation kept")
    await _run(world, "2031-05")
    # June skipped; two instances start July at once: one run pays it, the other finds
    # nobody left to pay
    world.start_another()
    started = await asyncio.gather(*(
        _start(url, "2031-07") for url in (world.url, world.others[0].url)))
    assert sorted(r.status_code for r in started) == [201, 409], [r.text for r in started]
    july = next(r.json() for r in started if r.status_code == 201)
    assert july["arrears"] == {"count": 2, "amount_fen": 2 * owed("2031-06")}
    assert [p[1:4] for p in await _paid(world, revoked.certification_id)] == [
        ("2031-05", "benefit", owed("2031-05")), ("2031-06", "benefit", owed("2031-06"))]

    await publish_as(world.env, revocation)
    august = await _run(world, "2031-08")
    assert (august["control_totals"]["payee_count"], august["arrears"]["count"]) == (1, 0)
    assert [p[1] for p in await _paid(world, revoked.certification_id)] == [
        "2031-05", "2031-06"]
    assert [p[1] for p in await _paid(world, kept.certification_id)] == [
        "2031-05", "2031-06", "2031-07", "2031-08"]


async def _start(url: str, period: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await client.post("/runs", headers=DISBURSER, json={
            "program_code": PROGRAM, "period": period, "division_code": SENDING})
