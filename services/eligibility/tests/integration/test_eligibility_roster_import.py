"""An existing roster migrated into eligibility: the workbook is checked and kept by one
officer, certified by a second (never the first), refused rows are reported by number and
reason code only, rows out of the officer's scope or already certified are refused, a
rejection certifies nothing, and the migrated certifications are marked as migrated and
announced like any other. A per-household benefit is migrated only for a registered
household, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from siquan.shared.person import household_key
from siquan.shared.roster_workbook import COLUMNS, read_workbook, template
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.facts import household_registration
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import APPROVER, CLERK, REVIEWER, Desk, application

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
PEOPLE = ResidentFactory("420117", birth_year=1959)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEALTH = "one_child_health_fee"


def row(**changes: str) -> list[str]:
    values = {"resident_id": PEOPLE.next(), "name": "赵桂兰",
              "program_code": "special_assistance", "category": "death",
              "division_code": "420117", "certified_since": "2019-06-01",
              "paid_through": "2026-01", "bank_code": "ABC",
              "account_number": "6228480000123431"}
    values.update(changes)
    return [values[c] for c in COLUMNS]


async def submit(desk: Desk, rows: list[list[str]], officer: str = REVIEWER
                 ) -> dict[str, Any]:
    response = await desk.call("POST", "/roster-imports", officer, expect=201, files={
        "file": ("roster.xlsx", template(rows), XLSX)})
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_roster_is_certified_by_a_second_officer_and_marked_as_migrated(
        desk: Desk, siquan_env: Environment, db: asyncpg.Connection) -> None:
    valid = PEOPLE.next()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    rows = [row(), row(category="disability"), row(division_code="420102"),
            row(resident_id=wrong_check), row(account_number="12")]
    submitted = await submit(desk, rows)
    assert (submitted["rows_read"], submitted["accepted"], submitted["refused"]) == (5, 2, 3)
    assert submitted["report"]["refused_rows"] == [
        {"row": 4, "reason": "division_out_of_scope"},
        {"row": 5, "reason": "resident_id_invalid"},
        {"row": 6, "reason": "account_number_invalid"}]
    assert not any(r[0] in str(submitted) for r in rows)
    import_id = submitted["import_id"]
    kept = bytes(await db.fetchval("SELECT content FROM roster_imports WHERE id = $1::uuid",
                                   import_id))
    # eligibility certifies; the payee accounts are disbursement's alone
    assert [(c["bank_code"], c["account_number"]) for _, c in read_workbook(kept)] == [
        ("", "")] * 5
    assert not any("6228480000123431" in v for _, c in read_workbook(kept) for v in c.values())

    by_clerk = await desk.call("POST", f"/roster-imports/{import_id}/approve", CLERK)
    assert by_clerk.status_code == 403
    async with tap(siquan_env, "eligibility") as seen:
        approved = (await desk.call("POST", f"/roster-imports/{import_id}/approve",
                                    APPROVER, expect=200)).json()
        granted = await seen.wait_for("certification.granted.v1", 2)
    assert (approved["status"], approved["certifications_created"]) == ("approved", 2)
    assert {"row": 6, "reason": "account_number_invalid"} in approved["report"][
        "refused_rows"]  # refused when submitted, still refused without its account
    assert {(g.body["effective_from"], g.body["approved_by"], g.body["reviewed_by"])
            for g in granted} == {("2019-06-01", APPROVER, REVIEWER)}
    migrated = await db.fetch(
        "SELECT c.status, c.effective_from, a.status AS application, a.approved_by"
        " FROM certifications c JOIN applications a ON a.id = c.application_id"
        " WHERE c.migrated_from = $1::uuid", import_id)
    assert [(m["status"], str(m["effective_from"]), m["application"], m["approved_by"])
            for m in migrated] == [("active", "2019-06-01", "certified", APPROVER)] * 2

    twice = await desk.call("POST", f"/roster-imports/{import_id}/approve", APPROVER)
    assert twice.status_code == 404
    again = await submit(desk, rows[:2], officer=APPROVER)
    assert again["report"]["refused_rows"] == [
        {"row": 2, "reason": "already_certified"}, {"row": 3, "reason": "already_certified"}]
    shown = (await desk.call("GET", f"/roster-imports/{import_id}", REVIEWER,
                             expect=200)).json()
    assert (shown["status"], shown["submitted_by"], shown["decided_by"]) == (
        "approved", REVIEWER, APPROVER)


async def test_the_maker_cannot_approve_and_a_rejection_certifies_nothing(
        desk: Desk, snapshot: Snapshot) -> None:
    submitted = await submit(desk, [row()], officer=APPROVER)
    import_id = submitted["import_id"]
    before = await snapshot()
    own = await desk.call("POST", f"/roster-imports/{import_id}/approve", APPROVER)
    assert own.status_code == 403
    assert "cannot approve" in own.json()["detail"]
    without_reason = await desk.call("POST", f"/roster-imports/{import_id}/reject",
                                     "dual-420117-01", json={"reason": ""})
    assert without_reason.status_code == 422
    rejected = (await desk.call("POST", f"/roster-imports/{import_id}/reject",
                                "dual-420117-01", expect=200,
                                json={"reason": "the old system's export is incomplete"})
                ).json()
    assert (rejected["status"], rejected["certifications_created"]) == ("rejected", 0)
    assert await snapshot() == before


async def test_a_file_that_is_no_roster_is_refused(desk: Desk, snapshot: Snapshot) -> None:
    before = await snapshot()
    refused = await desk.call("POST", "/roster-imports", REVIEWER, files={
        "file": ("roster.csv", b"resident_id,name\n", "text/csv")})
    assert refused.status_code == 422
    unknown = await desk.call("GET", "/roster-imports/not-an-import", REVIEWER)
    assert unknown.status_code == 404
    assert await snapshot() == before


async def test_a_per_household_benefit_is_migrated_once_for_a_registered_household(
        desk: Desk, db: asyncpg.Connection) -> None:
    """The health fee is paid once per household: a member of a registered household is
    migrated with the household, the spouse's row is refused as the household's second,
    and someone outside the register is refused until their household is registered."""
    head, spouse, outsider = PEOPLE.next(), PEOPLE.next(), PEOPLE.next()
    facts = application(head, program_code=HEALTH, category="standard")["household"]
    registration = household_registration(head, "赵建国", facts, "420117")
    registration["members"].append({"resident_id": spouse, "name": "赵桂兰",
                                    "relationship": "spouse"})
    await desk.call("POST", "/households", REVIEWER, expect=201, json=registration)
    health = {"program_code": HEALTH, "category": "standard"}
    submitted = await submit(desk, [row(resident_id=head, **health),
                                    row(resident_id=spouse, **health),
                                    row(resident_id=outsider, **health)])
    assert submitted["report"]["refused_rows"] == [
        {"row": 3, "reason": "household_already_certified"},
        {"row": 4, "reason": "household_not_registered"}]
    assert not any(r in str(submitted) for r in (head, spouse, outsider))
    approved = (await desk.call("POST", f"/roster-imports/{submitted['import_id']}/approve",
                                APPROVER, expect=200)).json()
    assert approved["certifications_created"] == 1
    migrated = await db.fetch(
        "SELECT household_key, per_household FROM certifications"
        " WHERE migrated_from = $1::uuid", submitted["import_id"])
    assert [(m["household_key"], m["per_household"]) for m in migrated] == [
        (household_key(TEST_PERSON_KEY_SECRET, registration["household_number"]), True)]
