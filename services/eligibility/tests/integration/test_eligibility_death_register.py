"""The register of deaths on the real database and broker: officers read the deaths in
their division (source, file and line, who recorded it, what it revoked; masked IDs only),
a county approver who did not record a death corrects one recorded in error (its
certifications active again as if never revoked, `death.corrected.v1` published), a
second correction is refused; and the duplicates report names a household certified twice
for a benefit paid once per household."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from siquan.contracts.periods import first_day_of_next_month
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import signed_death_file, tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import APPROVER, AUDITOR, REVIEWER, Desk, application

pytestmark = pytest.mark.integration
SECOND_APPROVER = "dual-420117-01"
OTHER_COUNTY = "approver-420102-01"
CORRECTION = {"reason": "the register shows the person alive; the report named the wrong "
                        "person", "evidence_kind": "household_register_extract",
              "document_number": "HR-2026-0042"}


async def _listed(desk: Desk, officer: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await desk.call("GET", "/deaths", officer, expect=200,
                                                  params=params)).json()
    return rows


async def test_a_death_recorded_in_error_is_listed_and_corrected_by_another_approver(
        siquan_env: Environment, desk: Desk, db: asyncpg.Connection) -> None:
    people = ResidentFactory("420117", birth_year=1957)
    wrongly, really = people.next(), people.next()
    _, wrong_cert = await desk.certify(wrongly)
    _, real_cert = await desk.certify(really)
    died = desk.today().replace(day=1)
    recorded = await desk.call("POST", "/deaths", APPROVER, expect=201, json={
        "resident_id": wrongly, "date_of_death": died.isoformat(),
        "evidence_kind": "death_certificate", "document_number": "DC-0001"})
    officer_report = recorded.json()["report_id"]
    assert recorded.json()["revoked_certification_ids"] == [wrong_cert]
    file_id = f"ga-{died:%Y%m%d}-{people.next()[-6:]}"
    content = (f"report_id,resident_id,date_of_death\nGA-{file_id}-1,{really},"
               f"{died.isoformat()}\n").encode()
    sent = await desk.http.put(f"/partners/public-security/death-files/{file_id}",
                               content=content,
                               headers=signed_death_file(siquan_env, file_id, content))
    assert sent.status_code == 200 and sent.json()["accepted"] == 1

    rows = {r["report_id"]: r for r in await _listed(desk, AUDITOR,
                                                     died_from=died.isoformat())}
    by_officer, by_file = rows[officer_report], rows[f"GA-{file_id}-1"]
    assert (by_officer["source"], by_officer["recorded_by"], by_officer["evidence_kind"],
            by_officer["revoked_certification_ids"], by_officer["corrected"]) == (
        "officer", APPROVER, "death_certificate", [wrong_cert], False)
    assert (by_file["source"], by_file["file_id"], by_file["file_line"],
            by_file["revoked_certification_ids"]) == ("public_security_file", file_id, 2,
                                                      [real_cert])
    assert by_file["masked_resident_id"] == f"{really[:4]}{'*' * 10}{really[-4:]}"
    assert by_file["masked_name"] is not None and by_file["masked_name"] != "王秀英"
    listing = (await desk.call("GET", "/deaths", APPROVER, expect=200)).text
    assert wrongly not in listing and really not in listing and "王秀英" not in listing
    assert officer_report not in {r["report_id"] for r in await _listed(desk, OTHER_COUNTY)}
    before = await _listed(desk, AUDITOR, died_until=died.isoformat(),
                           died_from=died.isoformat(), division_code="420117")
    assert {officer_report, f"GA-{file_id}-1"} <= {r["report_id"] for r in before}
    assert await _listed(desk, AUDITOR, died_until="2000-01-01") == []

    path = f"/deaths/{officer_report}/correction"
    await desk.call("POST", path, REVIEWER, expect=403, json=CORRECTION)
    await desk.call("POST", path, OTHER_COUNTY, expect=403, json=CORRECTION)
    own = await desk.call("POST", path, APPROVER, expect=409, json=CORRECTION)
    assert "recorded the death" in own.text
    async with tap(siquan_env, "eligibility") as seen:
        corrected = await desk.call("POST", path, SECOND_APPROVER, expect=200,
                                    json=CORRECTION)
        [event] = await seen.wait_for("death.corrected.v1")
    assert corrected.json()["reinstated_certification_ids"] == [wrong_cert]
    revoked_from = first_day_of_next_month(died)
    assert (event.body["certification_ids"], event.body["reinstated_from"],
            event.body["recorded_by"], event.body["corrected_by"]) == (
        [wrong_cert], revoked_from.isoformat(), APPROVER, SECOND_APPROVER)
    assert seen.of_type("certification.reinstated.v1") == []
    shown = await desk.certification(wrong_cert)
    assert shown["status"] == "active"
    assert (shown["history"][-1]["status_from"], shown["history"][-1]["status_to"],
            shown["history"][-1]["effective_from"]) == ("revoked", "active",
                                                        revoked_from.isoformat())
    assert await db.fetchval("SELECT ended_on FROM certifications WHERE id = $1::uuid",
                             wrong_cert) is None

    again = await desk.call("POST", path, SECOND_APPROVER, expect=409, json=CORRECTION)
    assert "corrected already" in again.text
    await desk.call("POST", "/deaths/no-such-report/correction", SECOND_APPROVER,
                    expect=404, json=CORRECTION)
    listed = {r["report_id"]: r for r in await _listed(desk, APPROVER,
                                                       died_from=died.isoformat())}
    assert (listed[officer_report]["corrected"], listed[officer_report]["corrected_by"]) == (
        True, SECOND_APPROVER)
    assert (await desk.certification(real_cert))["status"] == "revoked"

    # recorded again later (the person really died), the death revokes again
    again_dead = await desk.call("POST", "/deaths", REVIEWER, expect=201, json={
        "resident_id": wrongly, "date_of_death": died.isoformat(),
        "evidence_kind": "hospital_record", "document_number": "HOSP-7"})
    assert again_dead.json()["revoked_certification_ids"] == [wrong_cert]


async def test_a_death_corrected_and_recorded_again_with_another_date_is_a_new_report(
        siquan_env: Environment, desk: Desk) -> None:
    """The same certificate recorded with a wrong date, corrected, then recorded again
    with the right one: the register keeps the corrected record and lists the new one,
    which revokes from the month after the right date and can itself be corrected."""
    resident = ResidentFactory("420117", birth_year=1955).next()
    _, certification_id = await desk.certify(resident)
    wrong, right = date(2026, 1, 20), date(2026, 2, 14)
    death = {"resident_id": resident, "evidence_kind": "death_certificate",
             "document_number": "DC-2026-0777"}
    first = (await desk.call("POST", "/deaths", REVIEWER, expect=201,
                             json={**death, "date_of_death": wrong.isoformat()})).json()
    await desk.call("POST", f"/deaths/{first['report_id']}/correction", APPROVER,
                    expect=200, json={**CORRECTION, "reason": "the certificate was misread"})

    async with tap(siquan_env, "eligibility") as seen:
        again = (await desk.call("POST", "/deaths", REVIEWER, expect=201,
                                 json={**death, "date_of_death": right.isoformat()})).json()
        [revoked] = await seen.wait_for("certification.revoked.v1")
    assert again["report_id"] != first["report_id"]
    assert (again["status"], again["revoked_certification_ids"]) == (
        "recorded", [certification_id])
    assert (revoked.body["certification_id"], revoked.body["effective_from"],
            revoked.body["date_of_death"]) == (
        certification_id, first_day_of_next_month(right).isoformat(), right.isoformat())
    shown = await desk.certification(certification_id)
    assert (shown["status"], shown["history"][-1]["effective_from"]) == (
        "revoked", first_day_of_next_month(right).isoformat())
    listed = {r["report_id"]: r for r in await _listed(desk, APPROVER,
                                                       died_from=wrong.isoformat(),
                                                       died_until=right.isoformat())}
    old, new = listed[first["report_id"]], listed[again["report_id"]]
    assert (old["date_of_death"], old["corrected"], old["revoked_certification_ids"]) == (
        wrong.isoformat(), True, [certification_id])
    assert (new["date_of_death"], new["corrected"], new["revoked_certification_ids"],
            new["document_number"]) == (right.isoformat(), False, [certification_id],
                                        "DC-2026-0777")

    # the person is dead on record again: the same certificate corroborates, the wrong
    # date is refused, and the new record is corrected like any other
    same = await desk.call("POST", "/deaths", APPROVER, expect=200,
                           json={**death, "date_of_death": right.isoformat()})
    assert (same.json()["status"], same.json()["report_id"]) == (
        "already_recorded", again["report_id"])
    await desk.call("POST", "/deaths", APPROVER, expect=409,
                    json={**death, "date_of_death": wrong.isoformat()})
    corrected = await desk.call("POST", f"/deaths/{again['report_id']}/correction",
                                APPROVER, expect=200, json=CORRECTION)
    assert corrected.json()["reinstated_certification_ids"] == [certification_id]


async def test_bad_corrections_and_filters_are_refused_without_personal_data(
        desk: Desk) -> None:
    resident = ResidentFactory("420117", birth_year=1956).next()
    _, certification_id = await desk.certify(resident)
    recorded = await desk.call("POST", "/deaths", REVIEWER, expect=201, json={
        "resident_id": resident, "date_of_death": desk.today().isoformat(),
        "evidence_kind": "village_report", "document_number": "V-9"})
    path = f"/deaths/{recorded.json()['report_id']}/correction"
    for body in ({**CORRECTION, "reason": ""}, {**CORRECTION, "evidence_kind": "rumour"},
                 {**CORRECTION, "document_number": " "}, {"reason": resident}):
        refused = await desk.call("POST", path, APPROVER, json=body)
        assert refused.status_code == 422 and resident not in refused.text
    for params in ({"division_code": "4201"}, {"died_from": "2026-13-01"},
                   {"died_from": "2026-03-02", "died_until": "2026-03-01"},
                   {"limit": "0"}, {"offset": "-1"}):
        answer = await desk.call("GET", "/deaths", APPROVER, params=params)
        assert answer.status_code == 422, params
    await desk.call("GET", "/deaths", APPROVER, expect=403,
                    params={"division_code": "420102"})
    await desk.call("GET", "/deaths", "clerk-420117-01", expect=403)
    done = await desk.call("POST", path, APPROVER, expect=200, json=CORRECTION)
    assert done.json()["reinstated_certification_ids"] == [certification_id]


async def test_the_duplicates_report_names_a_household_certified_twice(
        desk: Desk, db: asyncpg.Connection) -> None:
    """Two parents certified for a benefit paid once per household before the register
    linked them to one household (their certifications carry it since)."""
    people = ResidentFactory("420117", birth_year=1966)
    program = {"program_code": "one_child_parents_reward", "category": "standard"}
    certified = []
    for resident_id in (people.next(), people.next(), people.next()):
        # each applied from a household of their own, as the register then had them
        await desk.register_household(resident_id, application(resident_id, **program)[
            "household"])
        certified.append((await desk.certify(resident_id, **program))[1])
    first, second, alone = certified
    # linked since, as certifications granted before the register was kept are (not
    # marked per household: the unique index guards only what the register certified)
    await db.execute("UPDATE certifications SET household_key = 'hk-duplicates-test-1',"
                     " per_household = false WHERE id = ANY($1::uuid[])", [first, second])
    await db.execute("UPDATE certifications SET household_key = 'hk-duplicates-test-2',"
                     " per_household = false WHERE id = $1::uuid", alone)
    report = (await desk.call("GET", "/duplicates", AUDITOR, expect=200)).json()
    assert "one_child_parents_reward" in report["per_household_programs"]
    assert "special_assistance" not in report["per_household_programs"]
    found = [d for d in report["household_certified_twice"]
             if d["household_key"].startswith("hk-duplicates-test")]
    assert [(d["household_key"], d["program_code"], d["first_certification_id"],
             d["second_certification_id"]) for d in found] == [
        ("hk-duplicates-test-1", "one_child_parents_reward", first, second)]
    elsewhere = (await desk.call("GET", "/duplicates", OTHER_COUNTY, expect=200)).json()
    assert all(not d["household_key"].startswith("hk-duplicates-test")
               for d in elsewhere["household_certified_twice"])
    await desk.call("POST", f"/certifications/{second}/revocation", APPROVER, expect=200,
                    json={"reason": "paid once per household: the spouse holds it"})
    after = (await desk.call("GET", "/duplicates", AUDITOR, expect=200)).json()
    assert all(not d["household_key"].startswith("hk-duplicates-test")
               for d in after["household_certified_twice"])
