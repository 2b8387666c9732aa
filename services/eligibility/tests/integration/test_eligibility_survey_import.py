"""A township's survey imported as CSV or XLSX: bad rows reported by row and field, good
rows kept as applications (each with its event), duplicates refused, conflicts across
programs reported; a registered household's member is taken on the register's facts, and
a row stating other facts is refused naming them."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import CLERK, REVIEWER, Desk

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
COLUMNS = ["resident_id", "name", "program_code", "category", "division_code",
           "eligible_from", "residence", "family_type", "children"]
ELDERS = ResidentFactory("420117", birth_year=1958)
TWO_DAUGHTERS = "female:1985-02-01:alive;female:1988-07-09:alive"


def _row(**overrides: str) -> dict[str, str]:
    return {"resident_id": ELDERS.next(), "name": "刘德华",
            "program_code": "reward_assistance_rural", "category": "standard",
            "division_code": "420117001", "eligible_from": "2026-01-01", "residence": "rural",
            "family_type": "two_daughters", "children": TWO_DAUGHTERS, **overrides}


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[dict[str, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def test_a_survey_with_bad_rows_keeps_the_good_ones_and_reports_the_bad(
        siquan_env: Environment, desk: Desk) -> None:
    already = _row()
    good = [_row(), _row(division_code="420117002")]
    rows = [good[0],
            _row(resident_id="110105194912310021"),
            _row(category="gold", eligible_from="2026-02-30"),
            good[1],
            {**good[0], "name": "刘德华二"},
            already,
            _row(residence="urban")]
    async with tap(siquan_env, "eligibility") as seen:
        # the earlier application's event is relayed whenever the outbox gets to it: the
        # tap counts it too, so the import's two are told from it by id
        already_id = await desk.submit(already["resident_id"],
                                       program_code="reward_assistance_rural",
                                       category="standard", division_code="420117001")
        report = await desk.import_survey("township-001.csv", _csv(rows))
        submitted = [s for s in await seen.wait_for("application.submitted.v1", count=3)
                     if s.body["application_id"] != already_id]
    errors = {(e["row"], e["field"]) for e in report["errors"]}
    assert errors == {(3, "resident_id"), (4, "eligible_from"), (6, "resident_id"),
                      (7, "resident_id"), (8, "residence")}
    assert (report["rows"], report["accepted"], report["refused_rows"]) == (7, 2, 5)
    assert {s.body["application_id"] for s in submitted} == set(report["application_ids"])
    assert {s.body["import_id"] for s in submitted} == {report["import_id"]}
    assert {s.body["township_code"] for s in submitted} == {"420117001", "420117002"}
    shown = await desk.show(report["application_ids"][0])
    assert shown["facts"]["family_type"] == "two_daughters"
    assert shown["import_id"] == report["import_id"]


async def test_a_rows_field_errors_are_reported_before_its_policy_check(
        desk: Desk) -> None:
    report = await desk.import_survey("one.csv", _csv([_row(category="gold",
                                                             eligible_from="2026-02-30")]))
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "eligible_from")]
    second = await desk.import_survey("two.csv", _csv([_row(category="gold")]))
    assert second["errors"] == [{"row": 2, "field": "category", "error":
                                 "reward_assistance_rural has no category 'gold'"}]


async def test_an_xlsx_survey_is_read_like_a_csv(desk: Desk) -> None:
    report = await desk.import_survey("township-001.xlsx", _xlsx([_row(), _row()]))
    assert (report["accepted"], report["errors"]) == (2, [])


async def test_a_township_clerk_imports_only_rows_of_its_own_township(
        desk: Desk) -> None:
    report = await desk.import_survey("mixed.csv", _csv([
        _row(division_code="420117001"), _row(division_code="420117002")]),
        officer="clerk-420117001-01")
    assert report["accepted"] == 1
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "division_code")]


async def test_a_survey_without_the_required_columns_is_refused_and_changes_nothing(
        desk: Desk, snapshot: Snapshot) -> None:
    before = await snapshot()
    refused = await desk.call("POST", "/applications/import", CLERK, files={
        "file": ("bad.csv", b"resident_id,name\n11010519491231002X,x\n")})
    assert refused.status_code == 422
    assert "program_code, category, division_code, eligible_from" in refused.json()["detail"]
    assert await snapshot() == before


async def test_a_live_holding_in_another_program_is_reported_as_a_conflict(
        desk: Desk) -> None:
    resident = ELDERS.next()
    held = await desk.submit(resident, program_code="reward_assistance_rural",
                             category="standard")
    report = await desk.import_survey("conflict.csv", _csv([_row(
        resident_id=resident, program_code="special_assistance", category="death",
        family_type="only_child_died", children="male:1985-04-02:died:2008-05-12")]))
    assert report["accepted"] == 1
    assert report["conflicts"] == [{"row": 2, "application_id": report["application_ids"][0],
                                    "holds": [{"program_code": "reward_assistance_rural",
                                               "kind": "application", "id": held}]}]


async def test_a_registered_households_member_is_taken_on_the_registers_facts(
        desk: Desk) -> None:
    head, spouse, stranger = ELDERS.next(), ELDERS.next(), ELDERS.next()
    await desk.call("POST", "/households", REVIEWER, expect=201, json={
        "household_number": "420117001-S0001", "division_code": "420117001",
        "facts": {"residence": "rural", "family_type": "two_daughters",
                  "children": [{"sex": "female", "birth_date": "1985-02-01",
                                "status": "alive"},
                               {"sex": "female", "birth_date": "1988-07-09",
                                "status": "alive"}]},
        "members": [{"resident_id": head, "name": "陈建国", "relationship": "head"},
                    {"resident_id": spouse, "name": "王秀英", "relationship": "spouse"}]})
    no_facts = {"residence": "", "family_type": "", "children": ""}
    report = await desk.import_survey("registered.csv", _csv([
        _row(resident_id=head, **no_facts),  # the register's facts
        _row(resident_id=spouse, residence="urban",
             children="female:1985-02-01:alive;female:1989-01-01:alive"),
        _row(resident_id=stranger, **no_facts)]))  # no register, no facts: incomplete
    assert report["accepted"] == 1
    errors = {e["row"]: e for e in report["errors"]}
    assert sorted(errors) == [3, 4]
    assert errors[3]["field"] == "residence"
    assert "differ from the household register (residence, children)" in errors[3]["error"]
    assert errors[4]["field"] != "resident_id"
    assert all(r not in str(report) for r in (head, spouse, stranger))
    shown = await desk.show(report["application_ids"][0])
    assert (shown["facts"]["residence"], shown["facts"]["family_type"],
            len(shown["facts"]["children"])) == ("rural", "two_daughters", 2)

    # the same as the application API: a row stating the register's facts is taken
    again = await desk.import_survey("same.csv", _csv([_row(resident_id=spouse)]))
    assert (again["accepted"], again["errors"]) == (1, [])
