"""Accounts registered before accounts carried a keyed fingerprint (a database from before
migration 0016 holds them with none): the service fingerprints them once started, from the
stored number under its own secret, and announces each account in force so oversight
compares it; two instances starting over the same database announce each one once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from siquan.shared.person import account_fingerprint, person_key
from siquan.shared.testing.messages import tap
from siquan.shared.testing.waiting import eventually

from .conftest import DISBURSER, DIVISION, SECRET, account_number, resident_id

FINGERPRINTED = "payee_account.fingerprinted.v1"
REGISTERED = datetime(2015, 3, 2, 8, 30, tzinfo=UTC)
SUPERSEDED = datetime(2016, 7, 1, 9, 0, tzinfo=UTC)


async def _old_account(world: Any, n: int, number: str, registered_at: datetime,
                       superseded_at: datetime | None = None) -> None:
    """An account row as a database from before fingerprints holds it."""
    await world.db_rows(
        "INSERT INTO payee_accounts (person_key, bank_code, account_number, masked_account,"
        " division_code, registered_by, registered_at, superseded_at, confirmed_at)"
        " VALUES ($1, '102', $2, $3, $4, 'disburser-420117-01', $5, $6, $5)"
        " RETURNING id", person_key(SECRET, resident_id(n)), number,
        "*" * (len(number) - 4) + number[-4:], DIVISION, registered_at, superseded_at)


async def test_accounts_without_a_fingerprint_get_one_at_start_and_are_announced(
        world: Any) -> None:
    world.start()  # migrates the database
    for n in (1, 2):
        await world.grant(n)
    await world.await_certifications(2)
    assert world.process is not None
    world.process.stop()
    shared = account_number(7)
    await _old_account(world, 1, account_number(8), REGISTERED, superseded_at=SUPERSEDED)
    await _old_account(world, 1, shared, SUPERSEDED)
    await _old_account(world, 2, shared, REGISTERED)
    assert await world.db_value("SELECT count(*) FROM payee_accounts"
                                " WHERE account_fingerprint IS NULL") == 3

    async with tap(world.env, "disbursement") as seen:
        world.start()
        world.start_another()
        announced = await seen.wait_for(FINGERPRINTED, count=2)

    async def all_fingerprinted() -> bool:
        return bool(await world.db_value("SELECT count(*) FROM payee_accounts"
                                         " WHERE account_fingerprint IS NULL") == 0)
    await eventually(all_fingerprinted, what="every account fingerprinted")
    rows = await world.db_rows("SELECT account_number, account_fingerprint FROM payee_accounts")
    assert {r["account_number"]: r["account_fingerprint"] for r in rows} == {
        n: account_fingerprint(SECRET, "102", n) for n in (shared, account_number(8))}
    # The superseded account is fingerprinted but not announced; each account in force is
    # announced once, whichever instance took it.
    assert await world.db_value("SELECT count(*) FROM outbox WHERE routing_key = $1",
                                FINGERPRINTED) == 2
    fingerprint = account_fingerprint(SECRET, "102", shared)
    bodies = sorted((t.body for t in announced), key=lambda b: b["registered_at"])
    assert [(b["person_key"], b["account_fingerprint"], b["masked_account"],
             b["division_code"], b["agent_person_key"]) for b in bodies] == [
        (person_key(SECRET, resident_id(n)), fingerprint, "*" * 15 + shared[-4:], DIVISION,
         None) for n in (2, 1)]
    assert [datetime.fromisoformat(b["registered_at"]) for b in bodies] == [
        REGISTERED, SUPERSEDED]
    assert shared not in str(bodies)

    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        report = (await client.get("/duplicates", headers=DISBURSER)).json()
    [found] = report["duplicates"]
    assert found["account_fingerprint"] == fingerprint
    assert {p["person_key"] for p in found["payees"]} == {
        person_key(SECRET, resident_id(n)) for n in (1, 2)}
