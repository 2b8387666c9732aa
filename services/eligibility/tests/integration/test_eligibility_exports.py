"""Eligibility's documents through its HTTP API on the real broker and database: the public
notice as a printed PDF (rendered to an image here: the title's Chinese glyphs are inked,
the text reads back) and the roster as a spreadsheet, each cell checked against what the
test itself entered and masked; exporting the roster is a recorded read of every record
it lists."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import asyncpg
import pypdfium2
import pytest
from openpyxl import load_workbook

from siquan.contracts.policy import load_catalogue
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import APPROVER, AUDITOR, Desk

pytestmark = pytest.mark.integration
TOWNSHIP = "420117001"
CLERK, REVIEWER = "clerk-420117001-01", "reviewer-420117001-01"
OTHER_REVIEWER = "reviewer-420117002-01"
PROGRAM = "special_assistance"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE = [("欧阳明月", "death"), ("李兰", "disability")]


def masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def masked_id(resident_id: str) -> str:
    return resident_id[:4] + "*" * 10 + resident_id[-4:]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def inked(pdf: bytes) -> tuple[int, int]:
    """(dark pixels in the top eighth of page 1, dark pixels on the whole page)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1.5).to_pil().convert("L")
    width, height = image.size
    title = image.crop((0, 0, width, height // 8))  # the title, above the table
    return (sum(title.histogram()[:128]), sum(image.histogram()[:128]))


async def _on_notice(desk: Desk) -> tuple[dict[str, Any], list[tuple[str, str, str, str]]]:
    factory = ResidentFactory("420117", birth_year=1960)
    people, ids = [], []
    for name, category in PEOPLE:
        resident = factory.next()
        ids.append(await desk.submit(resident, officer=CLERK, division_code=TOWNSHIP,
                                     name=name, category=category))
        people.append((name, resident, category, ids[-1]))
    notice = await desk.to_notice(ids, division=TOWNSHIP, reviewer=REVIEWER, recorder=CLERK)
    return notice, people


async def test_the_notice_prints_in_chinese_and_the_roster_exports_to_the_cell(
        desk: Desk, db: asyncpg.Connection) -> None:
    notice, people = await _on_notice(desk)
    catalogue = load_catalogue()
    policy = catalogue.in_force(PROGRAM, desk.today(), "420117")
    period = f"{desk.today().year}-{desk.today().month:02d}"

    printed = await desk.call("GET", f"/notices/{notice['notice_id']}.pdf", REVIEWER,
                              expect=200)
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF-")
    title_ink, page_ink = inked(printed.content)
    assert title_ink > 500, f"the title area is blank ({title_ink} dark pixels)"
    assert page_ink > title_ink
    text = "".join(pypdfium2.PdfDocument(printed.content)[0].get_textpage()
                   .get_text_range().split())
    assert f"{policy.name_zh}对象公示" in text
    assert f"公示期：{notice['published_on']}至{notice['closes_on']}" in text
    for name, resident, category, _ in people:
        fen = catalogue.amount_for(PROGRAM, category, period, "420117")
        label = policy.benefit(category).label_zh  # the category's name, not its code
        assert f"{masked_name(name)}{masked_id(resident)}{TOWNSHIP}{label}{yuan(fen)}" \
            in text
        assert resident not in text and name not in text
    assert (await desk.call("GET", f"/notices/{notice['notice_id']}.pdf", OTHER_REVIEWER)
            ).status_code == 403

    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    approved = (await desk.approve_notice(notice["notice_id"])).json()["certified"]
    certified = {c["application_id"]: c["certification_id"] for c in approved}
    assert len(certified) == 2

    unstated = await desk.http.get("/certifications.xlsx",
                                   headers={"Authorization": f"Bearer dev-{AUDITOR}"})
    assert unstated.status_code == 422 and "purpose" in unstated.json()["detail"]
    reads_before = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'person_record.read.v1'")
    exported = await desk.call("GET", "/certifications.xlsx", AUDITOR, expect=200, params={
        "program_code": PROGRAM, "status": "active", "purpose": "annual roster check"})
    assert exported.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(("认定编号", "姓名", "身份证号", "项目", "类别", "所在地", "生效日期",
                         "有效期至", "状态", "审核人", "审批人"))
    listed = {row[0]: row for row in rows[header + 1:]}
    for name, resident, category, application_id in people:
        row = listed[certified[application_id]]
        assert row[1:6] == (masked_name(name), masked_id(resident), PROGRAM, category,
                            TOWNSHIP)
        assert (row[8], row[9], row[10]) == ("有效", REVIEWER, APPROVER)
    assert all(resident not in str(row) for _, resident, _, _ in people for row in rows)
    reads = [json.loads(r["body"]) for r in await db.fetch(
        "SELECT body FROM outbox WHERE routing_key = 'person_record.read.v1'"
        " ORDER BY id OFFSET $1", reads_before)]
    assert sorted(r["record_id"] for r in reads) == sorted(listed)
    assert {(r["record"], r["officer_id"], r["purpose"]) for r in reads} == {
        ("certification", AUDITOR, "annual roster check")}
