"""The eligibility console's daily worklists in a real headless Chromium: a village clerk
imports a township's survey (CSV, then XLSX), watches its progress bar reach the end,
reads the refused rows and downloads the error report (rows by number, field and reason,
no resident ID and no name); the good rows became applications. A county approver
filters the yearly re-confirmation worklist by program and status and records a
confirmation with its method and evidence reference; a township reviewer records the
other one, as themselves. The timeliness of certification per division shows what the API
answers. A screenshot of every page and no serious or critical axe-core violation."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siquan.shared.clock import FileClock
from siquan.shared.operator.client import ServiceClient
from siquan.shared.roster_workbook import COLUMNS, template
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory

from .conftest import NOW
from .test_eligibility_console import CLERK, CONSOLE, OTHER_COUNTY_CLERK, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
REVIEWER = "reviewer-420117-01"
APPROVER = "approver-420117-01"
LATER = NOW + timedelta(minutes=7)
"""The approver signs in on this clock: its TOTP code at NOW is another module's."""
HEADER = ["resident_id", "name", "program_code", "category", "division_code",
          "eligible_from", "residence", "family_type", "children", "one_child_certificate"]
FACTS = ["urban", "only_child_died", "male:1985-04-02:died:2008-05-12", "yes"]
"""The household facts special assistance's criteria need (every row states them)."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="eligibility")


def survey(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


async def _submitted_named(url: str, masked: str) -> int:
    api = ServiceClient(url)
    try:
        answer = await api.call("GET", "/applications", CLERK, params={
            "status": "submitted", "division_code": "420117", "limit": 500})
    finally:
        await api.close()
    return sum(1 for a in answer["items"] if a["masked_name"] == masked)


async def _import(page: Page, url: str, name: str, content: bytes, mime: str) -> None:
    await page.goto(f"{url}{CONSOLE}/imports/new")
    await page.get_by_label("调查表文件（CSV 或 XLSX）").set_input_files(files=[{
        "name": name, "mimeType": mime, "buffer": content}])
    await page.get_by_role("button", name="导入调查表").click()
    await expect(page.locator("#import-progress")).to_have_attribute(
        "data-stage", "done", timeout=60_000)
    await expect(page.locator("#import-bar")).to_have_attribute("value", "100")


async def test_a_clerk_imports_a_survey_and_downloads_the_refused_rows(
        browser: Browser, siquan_env: Environment, eligibility: ServiceProcess,
        visits: Visits) -> None:
    url = eligibility.url
    people = ResidentFactory()
    before = await _submitted_named(url, "禤**")
    valid = people.next()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    other_county = ResidentFactory("420102").next()
    rows = [[*row, "special_assistance", "death", county, "2026-01-01", *FACTS]
            for *row, county in ([people.next(), "禤国强", "420117"],
                                 [wrong_check, "禤秀兰", "420117"],
                                 [people.next(), "禤建华", "420117"],
                                 [other_county, "禤丽娟", "420102"])]
    page = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(page, url, CLERK, NOW)
    await page.goto(f"{url}{CONSOLE}/imports/new")
    await seen(visits, page, "survey-import-form")
    await _import(page, url, "survey.csv", survey(rows), "text/csv")
    await expect(page.locator("#import-stage")).to_have_text("已完成")
    await expect(page.locator("#import-result")).to_have_text(
        "已录入 2 份申请；2 行未通过。")
    errors = page.locator("#import-errors tbody tr")
    await expect(errors).to_have_count(2)
    await expect(errors.nth(0).locator("td").nth(0)).to_have_text("3")
    await expect(errors.nth(0).locator("td").nth(1)).to_have_text("身份证号（resident_id）")
    await expect(errors.nth(1).locator("td").nth(0)).to_have_text("5")
    await expect(errors.nth(1).locator("td").nth(1)).to_have_text(
        "区划（县级或乡镇代码）（division_code）")
    await expect(errors.nth(0).locator("td").nth(2)).to_have_text(
        "身份证号校验位不符（GB 11643）。")
    await expect(errors.nth(1).locator("td").nth(2)).to_have_text(
        f"工作人员 {CLERK} 负责区划 420117，不负责区划 420102。")
    await seen(visits, page, "survey-imported")

    async with page.expect_download() as downloading:
        await page.locator("#error-report").click()
    saved = await (await downloading.value).path()
    report = (await asyncio.to_thread(Path(saved).read_bytes)).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(report)))
    assert lines[0] == ["行号", "字段", "理由"]
    assert [(line[0], line[1]) for line in lines[1:]] == [
        ("3", "身份证号（resident_id）"), ("5", "区划（县级或乡镇代码）（division_code）")]
    assert lines[1][2] == "身份证号校验位不符（GB 11643）。"
    assert not any(value in report for row in rows for value in row[:2])
    assert await _submitted_named(url, "禤**") == before + 2
    import_page = page.url

    # another officer is not shown this import; an import whose process stopped (no
    # progress for ten minutes) is shown as failed, with what to do
    other = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(other, url, OTHER_COUNTY_CLERK, NOW)
    answered = await other.goto(import_page)
    assert answered is not None and answered.status == 404
    await expect(other.locator("#message")).to_have_text("没有您发起的这次调查表导入。")
    await other.context.close()
    await siquan_env.fetch(
        "eligibility", "UPDATE survey_import_progress SET stage = 'checking',"
        " updated_at = now() - interval '11 minutes' WHERE id = $1::uuid",
        import_page.rsplit("/", 1)[1])
    await page.goto(import_page)
    await expect(page.locator("#import-failed")).to_contain_text("导入未完成即已中止")

    # an XLSX survey with one good row
    await _import(page, url, "survey.xlsx", _xlsx([[
        people.next(), "禤志明", "special_assistance", "death", "420117", "2026-01-01", *FACTS]]),
        XLSX)
    await expect(page.locator("#import-result")).to_have_text(
        "已录入 1 份申请；0 行未通过。")
    await expect(page.locator("#error-report")).to_have_count(0)
    assert await _submitted_named(url, "禤**") == before + 3

    # a file without the survey's columns: the import fails with the reason
    await page.goto(f"{url}{CONSOLE}/imports/new")
    await page.get_by_label("调查表文件（CSV 或 XLSX）").set_input_files(files=[{
        "name": "notes.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    await page.get_by_role("button", name="导入调查表").click()
    await expect(page.locator("#import-progress")).to_have_attribute(
        "data-stage", "failed", timeout=60_000)
    await expect(page.locator("#import-failed")).to_contain_text(
        "调查表缺少以下列：resident_id")
    await visits.shot(page, "survey-import-failed", prefix="eligibility")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _migrated(url: str, count: int) -> list[str]:
    """Certifications valid until the end of this year (due for next year's
    re-confirmation), through the roster import: submitted by one officer, approved by a
    second."""
    people = ResidentFactory(birth_year=1959)
    rows = [[people.next(), "郜桂兰", "special_assistance", "death", "420117",
             "2019-06-01", "2026-01", "ABC", "6228480000123431"] for _ in range(count)]
    assert len(rows[0]) == len(COLUMNS)
    api = ServiceClient(url)
    try:
        before = await _due(api)
        submitted = (await api.call("POST", "/roster-imports", REVIEWER, files={
            "file": ("roster.xlsx", template(rows), XLSX)}))
        assert submitted["accepted"] == count
        await api.call("POST", f"/roster-imports/{submitted['import_id']}/approve",
                       APPROVER, json={})
        return sorted(await _due(api) - before)
    finally:
        await api.close()


async def _due(api: ServiceClient) -> set[str]:
    answer = await api.call("GET", "/reconfirmations/2027", APPROVER,
                            params={"status": "due"})
    return {i["certification_id"] for i in answer["items"]}


async def test_the_worklist_records_a_reconfirmation_and_timeliness_is_shown(
        browser: Browser, eligibility: ServiceProcess, clock_file: Path,
        visits: Visits) -> None:
    url = eligibility.url
    due = await _migrated(url, 2)
    FileClock(clock_file).set(LATER)
    try:
        approver = await (await browser.new_context(locale="zh-CN", bypass_csp=True)
                          ).new_page()
        await sign_in(approver, url, APPROVER, LATER)
        await approver.get_by_role("link", name="年度资格复核").first.click()
        await expect(approver.locator("h1")).to_contain_text("2027")
        await approver.get_by_label("项目").select_option("special_assistance")
        await approver.get_by_label("状态").select_option("due")
        await approver.get_by_role("button", name="筛选").click()
        for certification_id in due:
            await expect(approver.locator(f"#worklist-{certification_id}")).to_contain_text(
                "待复核")
        await seen(visits, approver, "reconfirmation-worklist")

        row = approver.locator(f"#worklist-{due[0]}")
        await row.get_by_label("复核方式").select_option("survival_check")
        await row.get_by_label("证明材料编号").fill("SC-2026-0117")
        await row.get_by_role("button", name="记录复核").click()
        await expect(approver.locator("#recorded")).to_have_text("已记录资格复核。")
        await expect(approver.get_by_label("状态")).to_have_value("due")
        await expect(approver.locator(f"#worklist-{due[0]}")).to_have_count(0)
        await expect(approver.locator(f"#worklist-{due[1]}")).to_be_visible()
        await approver.get_by_label("状态").select_option("confirmed")
        await approver.get_by_role("button", name="筛选").click()
        confirmed = approver.locator(f"#worklist-{due[0]}")
        await expect(confirmed).to_contain_text("已复核")
        await expect(confirmed).to_contain_text("生存认证 · SC-2026-0117 · " + APPROVER)
        await seen(visits, approver, "reconfirmation-recorded")
        api = ServiceClient(url)
        try:
            listed = (await api.call("GET", "/reconfirmations/2027", APPROVER, params={
                "status": "confirmed"}))["items"]
        finally:
            await api.close()
        [recorded] = [i for i in listed if i["certification_id"] == due[0]]
        assert (recorded["method"], recorded["evidence_reference"],
                recorded["confirmed_by"]) == ("survival_check", "SC-2026-0117", APPROVER)

        # the timeliness of the county's decisions this month, as the API computes it
        await approver.get_by_role("link", name="及时率").first.click()
        api = ServiceClient(url)
        try:
            expected = (await api.call("GET", "/timeliness", APPROVER, params={
                "division_code": "420117", "period": "2026-11"}))
        finally:
            await api.close()
        assert expected["decided"] >= 2
        await expect(approver.locator("#decided")).to_have_text(str(expected["decided"]))
        await expect(approver.locator("#within-deadline")).to_have_text(
            str(expected["within_deadline"]))
        await expect(approver.locator("#rate")).to_have_text(
            f"{expected['rate'] * 100:.1f}%")
        await expect(approver.locator("#timeliness tbody")).to_contain_text("420117")
        await seen(visits, approver, "timeliness")
        await approver.goto(f"{url}{CONSOLE}/timeliness?period=2026-13")
        await expect(approver.locator("#message")).to_have_text("月份的写法如 2026-11。")

        # the township reviewer who visited records the other one, as themselves
        reviewer = await (await browser.new_context(locale="zh-CN", bypass_csp=True)
                          ).new_page()
        await sign_in(reviewer, url, REVIEWER, LATER)
        await reviewer.goto(f"{url}{CONSOLE}/reconfirmations?status=due")
        await visits.shot(reviewer, "reconfirmation-worklist-reviewer", prefix="eligibility")
        visited = reviewer.locator(f"#worklist-{due[1]}")
        await visited.get_by_label("复核方式").select_option("village_visit")
        await visited.get_by_label("证明材料编号").fill("走访记录 2026-0117")
        await visited.get_by_role("button", name="记录复核").click()
        await expect(reviewer.locator("#recorded")).to_have_text("已记录资格复核。")
        await reviewer.get_by_label("状态").select_option("confirmed")
        await reviewer.get_by_role("button", name="筛选").click()
        await expect(reviewer.locator(f"#worklist-{due[1]}")).to_contain_text(
            "走访记录 2026-0117 · " + REVIEWER)
    finally:
        FileClock(clock_file).set(NOW)
