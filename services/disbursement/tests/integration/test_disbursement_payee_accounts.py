"""Who may say where a beneficiary is paid, on the running service: the division is the
certification's, an officer of another county changes nothing, and a change of account is
paid only once a second disbursement officer (never the one who made it) confirms it —
refused by the API and by the database."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from siquan.contracts.types import gb11643_check_digit
from siquan.shared.person import person_key
from siquan.shared.testing.messages import tap

PERIOD, NEXT = "2031-05", "2031-06"
SECRET = "disbursement-tests-person-key"  # the service's, as the conftest starts it
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
CHECKER = {"Authorization": "Bearer dev-disburser-420117-02"}
OTHER_COUNTY = {"Authorization": "Bearer dev-disburser-420102-01"}
CHANGED = "622202000000019999"


def resident_id(n: int) -> str:
    first17 = f"42011719500101{n:03d}"
    return first17 + gb11643_check_digit(first17)


def account_number(n: int) -> str:
    return f"62220200{n:011d}"


def body(n: int, account: str) -> dict[str, str]:
    return {"resident_id": resident_id(n), "bank_code": "102", "account_number": account}


async def current_accounts(world: Any) -> list[tuple[str, str]]:
    rows = await world.db_rows("SELECT person_key, account_number FROM payee_accounts"
                               " WHERE superseded_at IS NULL ORDER BY person_key")
    return [(r["person_key"], r["account_number"]) for r in rows]


async def test_an_officer_of_another_county_registers_changes_and_confirms_nothing(
        world: Any) -> None:
    world.start()
    for n in (1, 2):
        await world.grant(n)
    assert (await world.register(1)).status_code == 201
    before = await current_accounts(world)

    redirected = await world.register(1, CHANGED, headers=OTHER_COUNTY)
    first = await world.register(2, headers=OTHER_COUNTY)
    # a division named in the body is not the one that counts
    claimed = await world.post("/payee-accounts", {**body(1, CHANGED),
                                                   "division_code": "420102"}, OTHER_COUNTY)
    assert (await world.register(1, CHANGED, confirm=False)).status_code == 201
    confirmed = await world.post("/payee-accounts/confirmations", body(1, CHANGED),
                                 OTHER_COUNTY)

    for refused in (redirected, first, claimed, confirmed):
        assert refused.status_code == 403, refused.text
        assert "outside the officer's division scope" in refused.text
        for personal in (resident_id(1), resident_id(2), person_key(SECRET, resident_id(1)),
                         CHANGED, account_number(2)):
            assert personal not in refused.text
    assert before[0] == (person_key(SECRET, resident_id(1)), account_number(1))
    assert await world.db_value("SELECT count(*) FROM payee_accounts WHERE person_key = $1",
                                person_key(SECRET, resident_id(2))) == 0
    assert await world.db_value("SELECT count(*) FROM payee_accounts WHERE confirmed_by"
                                " IS NOT NULL") == 0


async def test_a_changed_account_is_paid_only_after_a_second_officer_confirms_it(
        world: Any) -> None:
    world.start()
    for n in (1, 2):
        await world.grant(n)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        change = await world.register(1, CHANGED, confirm=False)
        by_maker = await world.post("/payee-accounts/confirmations", body(1, CHANGED),
                                    DISBURSER)
        started = await world.start_run(PERIOD)
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested)
        await world.await_status(requested["run_id"], "completed")
        paid_before = await world.bank_transfers()

        wrong = await world.post("/payee-accounts/confirmations", body(1, CHANGED[:-1] + "8"),
                                 CHECKER)
        confirmed = await world.post("/payee-accounts/confirmations", body(1, CHANGED),
                                     CHECKER)
        [announced] = [e.body for e in await seen.wait_for("payee_account.confirmed.v1")]
        registered = (await seen.wait_for("payee_account.registered.v1"))[-1].body
        after = await world.start_run(NEXT)
        requested = (await seen.wait_for("allocation.requested.v1", 2))[1].body
        await world.approve(requested)
        await world.await_status(requested["run_id"], "completed")

    key = person_key(SECRET, resident_id(1))
    assert change.status_code == 201 and change.json()["awaiting_confirmation"] is True
    assert registered["awaiting_confirmation"] is True
    assert by_maker.status_code == 403 and "cannot confirm" in by_maker.text
    assert started.json()["control_totals"]["payee_count"] == 1
    assert [(s["person_key"], s["reason"]) for s in started.json()["skipped"]] == [
        (key, "account change awaiting confirmation")]
    assert [t["account_number"] for t in paid_before] == [account_number(2)]

    assert wrong.status_code == 409 and CHANGED not in wrong.text
    assert confirmed.status_code == 201, confirmed.text
    assert (confirmed.json()["registered_by"], confirmed.json()["confirmed_by"]) == (
        "disburser-420117-01", "disburser-420117-02")
    assert (announced["person_key"], announced["registered_by"],
            announced["confirmed_by"], announced["division_code"]) == (
        key, "disburser-420117-01", "disburser-420117-02", "420117")
    assert announced["masked_account"] == "**************9999"
    assert CHANGED not in str(announced)
    # the next run pays the confirmed account, the skipped May as an arrear too
    assert after.json()["skipped"] == []
    to_person_1 = [t for t in await world.bank_transfers()
                   if t["account_number"] in (CHANGED, account_number(1))]
    assert [(t["account_number"], t["outcome"]) for t in to_person_1] == [
        (CHANGED, "settled"), (CHANGED, "settled")]


async def test_the_database_refuses_a_checker_who_is_the_maker(world: Any) -> None:
    world.start()
    await world.grant(1)
    assert (await world.register(1)).status_code == 201
    assert (await world.register(1, CHANGED, confirm=False)).status_code == 201

    with pytest.raises(asyncpg.CheckViolationError) as refused:
        await world.db_rows(
            "UPDATE payee_accounts SET confirmed_by = registered_by, confirmed_at = now()"
            " WHERE superseded_at IS NULL RETURNING id")
    with pytest.raises(asyncpg.CheckViolationError) as unnamed:
        await world.db_rows("UPDATE payee_accounts SET confirmed_at = now()"
                            " WHERE superseded_at IS NULL RETURNING id")

    assert refused.value.constraint_name == "payee_account_checker_is_not_maker"
    assert unnamed.value.constraint_name == "payee_account_change_confirmed_by_checker"
    assert await world.db_value("SELECT confirmed_at FROM payee_accounts"
                                " WHERE superseded_at IS NULL") is None


@pytest.mark.parametrize("officer", ["approver-420117-01", "reviewer-420117-01",
                                     "clerk-420117-01", "treasury-420117-01",
                                     "auditor-420117-01"])
async def test_no_officer_of_another_power_registers_confirms_or_pays(world: Any,
                                                                      officer: str) -> None:
    world.start()
    await world.grant(1)
    assert (await world.register(1)).status_code == 201
    assert (await world.register(1, CHANGED, confirm=False)).status_code == 201
    headers = {"Authorization": f"Bearer dev-{officer}"}

    answers = [await world.post("/payee-accounts", body(1, CHANGED[:-1] + "7"), headers),
               await world.post("/payee-accounts/confirmations", body(1, CHANGED), headers),
               await world.post("/runs", {"program_code": "special_assistance",
                                          "period": PERIOD, "division_code": "420117"},
                                headers)]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert await world.db_value("SELECT count(*) FROM payee_accounts") == 2
    assert await world.db_value("SELECT count(*) FROM payee_accounts"
                                " WHERE confirmed_by IS NOT NULL") == 0
    assert await world.db_value("SELECT count(*) FROM payment_runs") == 0
