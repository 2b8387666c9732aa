"""The public's pages in a real headless Chromium: the notice board on a phone and on a
desktop (filtered by program, paged), a complaint filed through the form with its tracking
number and its status page, a `<script>` in what a person typed shown as text, the English
locale, the form with JavaScript off, an objection from the board by keyboard; a
screenshot of every page and no serious or critical axe-core violation on any of them."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.contracts.eligibility_v1 import NoticeEntry, NoticePublished
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SCRIPT = "<script>alert(1)</script>"
RURAL, SPECIAL = "reward_assistance_rural", "special_assistance"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
TRACKING = re.compile(r"TS-\d{4}-[A-Z2-7]{16}")


def entry(name: str, resident_id: str, category: str = "standard") -> NoticeEntry:
    """A notice's entry; `category` one the program pays (the rural program's default)."""
    return NoticeEntry(application_id=str(uuid.uuid4()), category=category,
                       masked_name=name, masked_resident_id=resident_id,
                       township_code="420117001")


def notice(program_code: str, policy_version: str, *entries: NoticeEntry) -> NoticePublished:
    return NoticePublished(
        notice_id=str(uuid.uuid4()), program_code=program_code,
        policy_version=policy_version, division_code="420117", township_code="420117001",
        published_on=date(2026, 11, 1), closes_on=date(2026, 11, 8), notice_days=7,
        published_by="reviewer-420117-01", total_entries=len(entries), part=1, parts=1,
        entries=entries)


@pytest.fixture(scope="module")
async def board(siquan_env: Environment, oversight: ServiceProcess) -> dict[str, Any]:
    """Three notices in force: two of the rural program (one listing a name that is a
    script), one of special assistance; once all are on the board."""
    rural = [notice(RURAL, "national-2009", entry("王*", "4201**********0011"),
                    entry(SCRIPT, "4201**********0022")),
             notice(RURAL, "national-2009", entry("李**", "4201**********0033"))]
    special = notice(SPECIAL, "national-2008", entry("赵*", "4201**********0044", "death"))
    for published in (*rural, special):
        await publish_as(siquan_env, published)
    ids = {n.notice_id for n in (*rural, special)}

    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as client:
        async def all_posted() -> bool:
            shown = (await client.get("/public/notices", params={"format": "json",
                                                                  "limit": 500})).json()
            return ids <= {n["notice_id"] for n in shown["notices"]}

        await eventually(all_posted, what="the three notices on the board")
    return {"rural": rural, "special": special}


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        yield opened
    finally:
        await opened.close()


def dialogs_of(page: Page) -> list[str]:
    """Every dialog the page opens (none should): recorded, then dismissed."""
    seen: list[str] = []

    async def record(dialog: Any) -> None:
        seen.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", record)
    return seen


async def fits_the_screen(page: Page) -> bool:
    return bool(await page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"))


async def accessible(visits: Visits, page: Page) -> None:
    assert await visits.serious_violations(page) == []


async def test_the_notice_board_on_a_phone_and_a_desktop_filtered_and_paged(
        browser: Browser, oversight: ServiceProcess, board: dict[str, Any],
        visits: Visits) -> None:
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(viewport=viewport, locale="zh-CN")
        page = await context.new_page()
        dialogs = dialogs_of(page)
        await page.goto(f"{oversight.url}/public/notices?division_code=420117")

        await expect(page.locator("h1")).to_have_text("正在公示")
        await expect(page.get_by_text("李**", exact=True)).to_be_visible()
        await expect(page.get_by_text("剩余 5 天").first).to_be_visible()
        # The script in a name is masked by the board, and shown as text, never run.
        await expect(page.get_by_text("<" + "*" * (len(SCRIPT) - 1), exact=True)).to_be_visible()
        assert await fits_the_screen(page), f"the board scrolls sideways on the {name}"
        await visits.shot(page, f"notices-{name}")

        await page.select_option("#program", SPECIAL)
        await page.get_by_role("button", name="筛选").click()
        await expect(page.get_by_text("赵*", exact=True)).to_be_visible()
        await expect(page.get_by_text("李**", exact=True)).to_have_count(0)
        # the category as the policy names it, never its code
        await expect(page.get_by_text("独生子女死亡", exact=True)).to_be_visible()
        assert f"program_code={SPECIAL}" in page.url
        await visits.shot(page, f"notices-filtered-{name}")

        await page.goto(f"{oversight.url}/public/notices?program_code={RURAL}"
                        "&division_code=420117&limit=1")
        first = await page.locator("section.notice h2").all_inner_texts()
        await page.get_by_role("link", name="下一页").click()
        # the second page has loaded before it is read (reading does not wait)
        await expect(page).to_have_url(re.compile(r"[?&]offset=1(&|$)"))
        await expect(page.get_by_role("link", name="上一页")).to_be_visible()
        await expect(page.locator("section.notice h2")).to_have_count(1)
        second = await page.locator("section.notice h2").all_inner_texts()
        assert len(first) == len(second) == 1
        await visits.shot(page, f"notices-page-2-{name}")
        assert dialogs == []
        await context.close()


async def file_through_the_form(page: Page, url: str, description: str) -> str:
    await page.goto(f"{url}/public/complaints/new")
    await page.get_by_label("类别").select_option("not_paid_in_full")
    await page.get_by_label("县（6位）或乡镇（9位）代码").fill("420117001")
    await page.get_by_label("情况说明").fill(description)
    await page.get_by_label("匿名举报").check()
    await page.get_by_role("button", name="提交").click()
    await expect(page.locator("h1")).to_have_text("已受理")
    number = (await page.locator("#tracking-number").inner_text()).strip()
    assert TRACKING.fullmatch(number), number
    return number


async def test_a_complaint_filed_through_the_form_gives_a_tracking_number_to_look_up(
        context: BrowserContext, oversight: ServiceProcess, visits: Visits) -> None:
    page = await context.new_page()
    await page.goto(f"{oversight.url}/public/complaints/new")
    await visits.shot(page, "complaint-form")

    number = await file_through_the_form(page, oversight.url, "2026年上半年奖励扶助金未发放")
    assert await fits_the_screen(page)
    await visits.shot(page, "complaint-filed")

    await page.get_by_role("link", name=f"/public/complaints/{number}").click()
    await expect(page.locator("h1")).to_have_text("办理进度")
    await expect(page.locator("#tracking-number")).to_have_text(number)
    await expect(page.locator("#complaint-status")).to_have_text("办理中")
    await visits.shot(page, "complaint-status")

    # The look-up form in the header reaches the same page from any page.
    await page.goto(f"{oversight.url}/public/notices")
    await page.get_by_label("凭查询编号查询办理进度").fill(number.lower())
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#tracking-number")).to_have_text(number)

    await page.goto(f"{oversight.url}/public/complaints/TS-2026-AAAAAAAAAAAAAAAA")
    await expect(page.locator("h1")).to_have_text("未找到")
    await visits.shot(page, "complaint-not-found")


async def test_a_script_typed_into_the_form_is_shown_as_text_and_never_run(
        context: BrowserContext, oversight: ServiceProcess, visits: Visits) -> None:
    page = await context.new_page()
    dialogs = dialogs_of(page)
    await page.goto(f"{oversight.url}/public/complaints/new")
    await page.get_by_label("情况说明").fill(f"经办人 {SCRIPT} 未发放")
    await page.get_by_label("联系方式（电话或地址，选填）").fill(SCRIPT)
    await page.get_by_role("button", name="提交").click()  # no division: refused, re-shown

    refused = page.locator('.problems li[data-field="division_code"]')
    await expect(refused).to_contain_text("县或乡镇代码")
    await expect(refused).to_contain_text("必填：6位县级或9位乡级行政区划代码")
    assert await page.get_by_label("联系方式（电话或地址，选填）").input_value() == SCRIPT
    assert SCRIPT in await page.get_by_label("情况说明").input_value()
    assert await page.locator("main script").count() == 0
    await visits.shot(page, "complaint-refused")
    assert dialogs == []


async def test_the_pages_in_english_by_accept_language_and_by_the_language_link(
        browser: Browser, oversight: ServiceProcess, board: dict[str, Any],
        visits: Visits) -> None:
    english = await browser.new_context(viewport=PHONE, locale="en-US")
    page = await english.new_page()
    await page.goto(f"{oversight.url}/public/notices?division_code=420117")
    await expect(page.locator("h1")).to_have_text("Public notices in force")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_text("5 days remaining").first).to_be_visible()
    # a notice listing one person says so in the singular, one listing two in the plural
    await expect(page.get_by_text("1 entry").first).to_be_visible()
    await expect(page.get_by_text("2 entries").first).to_be_visible()
    await expect(page.get_by_text("1 entries")).to_have_count(0)
    await visits.shot(page, "notices-english")

    await page.get_by_role("link", name="Complain or report").first.click()
    await expect(page.get_by_label("What happened")).to_be_visible()
    await visits.shot(page, "complaint-form-english")

    await page.get_by_role("link", name="中文").click()
    await expect(page.locator("h1")).to_have_text("投诉举报")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("h1")).to_have_text("Complaint or report")
    await english.close()


async def test_the_complaint_form_works_without_javascript(
        browser: Browser, oversight: ServiceProcess, visits: Visits) -> None:
    scriptless = await browser.new_context(viewport=PHONE, locale="zh-CN",
                                           java_script_enabled=False)
    page = await scriptless.new_page()
    number = await file_through_the_form(page, oversight.url, "残疾子女的扶助金停发了")
    await visits.shot(page, "complaint-filed-without-javascript", scan=False)
    await page.get_by_role("link", name=f"/public/complaints/{number}").click()
    await expect(page.locator("#complaint-status")).to_have_text("办理中")
    await scriptless.close()


async def test_an_objection_filed_from_the_board_by_keyboard(
        context: BrowserContext, oversight: ServiceProcess, board: dict[str, Any],
        visits: Visits) -> None:
    objected = board["special"].entries[0]
    page = await context.new_page()
    await page.goto(f"{oversight.url}/public/notices?program_code={SPECIAL}"
                    "&division_code=420117")

    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.className") == "skip"
    link = page.get_by_role("link", name=f"提出异议 ({objected.masked_name})")
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("类别")).to_have_value("notice_objection")
    await expect(page.locator("#application_id")).to_have_value(objected.application_id)
    await page.get_by_label("情况说明").focus()
    await page.keyboard.type("其子女仍健在")
    await page.keyboard.press("Tab")  # to "report anonymously"
    await page.keyboard.press("Space")
    await expect(page.get_by_label("匿名举报")).to_be_checked()
    await page.get_by_role("button", name="提交").press("Enter")

    await expect(page.locator("h1")).to_have_text("已受理")
    assert TRACKING.fullmatch((await page.locator("#tracking-number").inner_text()).strip())
    await expect(page.get_by_text("2026-11-08")).to_be_visible()  # due within the notice
    await visits.shot(page, "objection-filed")
