"""What disbursement refuses, and that a refusal changes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from siquan.contracts.oversight_v1 import HoldPlaced
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.types import gb11643_check_digit
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually


async def test_an_invalid_resident_id_is_refused_naming_the_field_and_nothing_is_stored(
        world: Any) -> None:
    world.start()
    first17 = "42011719500101001"
    wrong_check = "0" if gb11643_check_digit(first17) != "0" else "1"
    response = await world.post("/payee-accounts", {
        "resident_id": first17 + wrong_check, "bank_code": "102",
        "account_number": "622202000000000011", "division_code": "420117"})

    assert response.status_code == 422
    assert any(error["loc"][-1] == "resident_id" for error in response.json()["errors"])
    assert await world.db_value("SELECT count(*) FROM payee_accounts") == 0
    assert await world.db_value("SELECT count(*) FROM outbox") == 0


async def test_an_account_number_that_is_not_12_to_30_digits_is_refused(world: Any) -> None:
    world.start()
    response = await world.register(1, account="6222-0200-0000", wait=False)

    assert response.status_code == 422
    assert any(error["loc"][-1] == "account_number" for error in response.json()["errors"])
    assert await world.db_value("SELECT count(*) FROM payee_accounts") == 0


async def test_a_new_account_replaces_the_old_one_and_events_show_it_masked(world: Any) -> None:
    world.start()
    await world.grant(1)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.register(1, account="622202000000001111")).status_code == 201
        assert (await world.register(1, account="622202000000002222")).status_code == 201
        events = await seen.wait_for("payee_account.registered.v1", 2)

    assert [e.body["masked_account"] for e in events] == ["**************1111",
                                                         "**************2222"]
    assert [e.body["replaces_previous"] for e in events] == [False, True]
    assert all("622202" not in str(e.body) for e in events)
    current = await world.db_rows("SELECT account_number FROM payee_accounts"
                                  " WHERE superseded_at IS NULL")
    assert [r["account_number"] for r in current] == ["622202000000002222"]
    assert await world.db_value("SELECT count(*) FROM payee_accounts") == 2


async def test_a_period_the_programs_frequency_does_not_have_is_refused(world: Any) -> None:
    world.start()
    await world.grant(1)
    assert (await world.register(1)).status_code == 201
    await world.await_certifications(1)

    response = await world.start_run("2031")

    assert response.status_code == 422 and "monthly" in response.text
    assert await world.db_value("SELECT count(*) FROM payment_runs") == 0
    assert await world.db_value("SELECT count(*) FROM payments") == 0


async def test_a_run_for_a_division_the_officer_does_not_cover_is_refused(world: Any) -> None:
    world.start()
    response = await world.post("/runs", {"program_code": "special_assistance",
                                          "period": "2031-05", "division_code": "420102"})

    assert response.status_code == 403
    assert await world.db_value("SELECT count(*) FROM payment_runs") == 0


async def test_an_allocation_not_matching_the_control_total_is_dead_lettered_and_pays_nothing(
        world: Any) -> None:
    world.start()
    await world.grant(1)
    assert (await world.register(1)).status_code == 201
    await world.await_certifications(1)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run("2031-05")).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested, amount_fen=requested["total_fen"] - 1)

    async def dead_lettered() -> list[dict[str, Any]]:
        return await list_dead_letters(world.env.amqp_url("disbursement"), "disbursement")
    letters = await eventually(dead_lettered, what="the allocation dead-lettered")
    assert "does not match" in letters[0]["reason"]
    assert (await world.run(requested["run_id"]))["status"] == "awaiting_allocation"
    assert await world.bank_transfers() == []


async def test_persons_on_hold_are_skipped_and_the_dead_are_not_paid_after_death(
        world: Any) -> None:
    world.start()
    granted = {n: await world.grant(n) for n in (1, 2, 3)}
    for n in (1, 2, 3):
        assert (await world.register(n)).status_code == 201
    await publish_as(world.env, HoldPlaced(
        hold_id=str(uuid.uuid4()), person_key=granted[2].person_key,
        program_code="special_assistance", reason="complaint under review",
        placed_by="auditor-420117-01"))
    await publish_as(world.env, DeathReported(report_id="PS-1", person_key=granted[3].person_key,
                                              date_of_death=date(2031, 4, 12)))
    await world.await_certifications(3)

    async def facts_arrived() -> bool:
        holds = await world.db_value("SELECT count(*) FROM holds")
        deaths = await world.db_value("SELECT count(*) FROM deaths")
        return bool(holds == 1 and deaths == 1)
    await eventually(facts_arrived, what="hold and death recorded")

    april = (await world.start_run("2031-04")).json()
    may = (await world.start_run("2031-05")).json()

    assert april["control_totals"] == {"payee_count": 2, "total_fen": 42_000}
    assert may["control_totals"] == {"payee_count": 1, "total_fen": 21_000}
    assert [(s["certification_id"], s["reason"]) for s in may["skipped"]] == [
        (granted[2].certification_id, "payments to this person are on hold")]
