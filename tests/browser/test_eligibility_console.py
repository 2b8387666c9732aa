"""A county's eligibility cycle through the console in a real headless Chromium: the
village clerk enters an application with an evidence file and records the community
review, the township reviewer reviews it and posts the public notice (printed), the same
officer — also a county approver — is refused its approval (the button explains why and
the server refuses the forced form), another approver signs in with the TOTP code and
approves once the notice's days are over, then revokes the certification with a reason.
Also: a village clerk refused a township page, another county's clerk refused the
person's record, a forged form refused, and a `<script>` in a name shown as text. The
review queue filtered by division, program and age; a township review made with the
keyboard alone; an objection a member of the public files from oversight's board against
the posted notice, received on the notice's page. A screenshot of every page and no
serious or critical axe-core violation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.async_api import Browser, Page, expect

from siquan.shared.accounts.store import development_totp_secret
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

from .conftest import NOW, SCREENSHOTS, log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
CLERK = "clerk-420117-01"
DUAL = "dual-420117-01"  # township reviewer and county approver
APPROVER = "approver-420117-01"
OTHER_COUNTY_CLERK = "clerk-420102-01"
REVIEWER = "reviewer-420117-01"  # township reviewer only: no second factor
CONSOLE = "/console/eligibility"


async def sign_in(page: Page, url: str, officer_id: str, at: datetime) -> None:
    """Password, then (for an approver) the TOTP code of the service's clock."""
    await log_in(page, url, officer_id, f"dev-{officer_id}")
    if page.url.endswith("/console/second-factor"):
        await page.get_by_label("验证码").fill(
            pyotp.TOTP(development_totp_secret(officer_id)).at(at))
        await page.get_by_role("button", name="确认").click()
    await expect(page.get_by_text(f"（{officer_id}）")).to_be_visible()


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="eligibility")


async def enter(page: Page, url: str, name: str, resident_id: str, *,
                evidence: bool = False, reload: bool = True,
                program: str = "special_assistance/death", division: str = "") -> None:
    """An application with its household's facts (an only child who died for special
    assistance, one living child otherwise), in the clerk's division unless a township's
    `division` is given."""
    if reload:
        await page.goto(f"{url}{CONSOLE}/applications/new")
    await page.get_by_label("申请人姓名").fill(name)
    await page.get_by_label("身份证号").fill(resident_id)
    await page.get_by_label("项目与类别").select_option(program)
    if division:
        await page.locator("#division_code").fill(division)
    await page.get_by_label("符合条件起始日期").fill("2026-01-01")
    await page.get_by_label("户籍").select_option("rural")
    if program == "special_assistance/death":
        await page.get_by_label("家庭类型").select_option("only_child_died")
        await page.get_by_label("子女情况").fill("male:1985-04-02:died:2008-05-12")
    else:  # parents of one living child
        await page.get_by_label("家庭类型").select_option("one_child")
        await page.get_by_label("子女情况").fill("male:1988-05-01:alive")
    if evidence:
        await page.get_by_label("材料类型").select_option("child_death_certificate")
        await page.get_by_label("文件", exact=True).set_input_files(files=[{
            "name": "death-certificate.pdf", "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4 evidence of the only child's death"}])
    await page.get_by_role("button", name="录入申请").click()


async def test_a_county_works_an_application_from_entry_to_revocation(
        browser: Browser, eligibility: ServiceProcess, clock_file: Path,
        visits: Visits) -> None:
    url = eligibility.url
    clerk = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(clerk, url, CLERK, NOW)
    await clerk.goto(f"{url}{CONSOLE}/applications/new")
    await seen(visits, clerk, "new-application")
    await enter(clerk, url, "王秀英", ResidentFactory().next(), evidence=True)
    await expect(clerk.locator("#entered")).to_contain_text("已录入 王秀英 的申请。")
    await expect(clerk.locator("#entered")).to_contain_text("证明材料已一并保存")
    await seen(visits, clerk, "application-entered")

    await clerk.get_by_role("link", name="查看申请").click()
    application_url = clerk.url
    application_id = application_url.split("/applications/")[1].split("?")[0]
    await expect(clerk.locator("#evidence-files")).to_contain_text(
        "子女死亡证明 (child_death_certificate): death-certificate.pdf")
    # the program requires the household register too before approval: the kinds are
    # those of the category by name, the one not on file yet chosen
    kinds = clerk.get_by_label("材料类型")
    assert await kinds.locator("option").all_inner_texts() == [
        "户口簿", "子女死亡证明", "其他材料"]
    await expect(kinds).to_have_value("household_register")
    await kinds.select_option("household_register")
    await clerk.get_by_label("文件", exact=True).set_input_files(files=[{
        "name": "hukou.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 hukou"}])
    await clerk.get_by_role("button", name="添加证明材料").click()
    await expect(clerk.locator("#evidence-files")).to_contain_text(
        "户口簿 (household_register): hukou.pdf")
    await expect(clerk.get_by_label("材料类型")).to_have_value("evidence")
    await clerk.get_by_label("参会人数").fill("25")
    await clerk.get_by_role("button", name="记录民主评议").click()
    await expect(clerk.locator("#status")).to_have_text("已民主评议")
    await seen(visits, clerk, "application-community-reviewed")
    await clerk.get_by_role("link", name="申请", exact=True).click()
    await expect(clerk.locator("#applications")).to_contain_text("王**")
    # the program and the category by the policy's names, not by their codes
    await expect(clerk.locator("#applications")).to_contain_text(
        "独生子女死亡/伤残家庭特别扶助")
    await expect(clerk.locator("#applications td").nth(2)).to_have_text("独生子女死亡")
    await seen(visits, clerk, "applications")

    # a village clerk is refused the township's page
    refused = await clerk.goto(f"{url}{CONSOLE}/queues/township")
    assert refused is not None and refused.status == 403
    await expect(clerk.locator("#message")).to_have_text("您的岗位无权访问此页面。")
    await seen(visits, clerk, "clerk-refused-township-page")

    # the township reviewer (who is also a county approver) reviews and posts the notice
    dual = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(dual, url, DUAL, NOW)
    await dual.goto(f"{url}{CONSOLE}/queues/township")
    await dual.get_by_label("至少已等待天数").fill("0")
    await dual.get_by_role("button", name="筛选").click()
    await seen(visits, dual, "township-queue")
    await dual.locator(f"a[href*='{application_id}']").click()
    await dual.get_by_role("button", name="提交乡镇审核意见").click()
    await expect(dual.locator("#status")).to_have_text("乡镇已审核")
    await expect(dual.locator("#reviewed-by")).to_have_text(DUAL)
    await seen(visits, dual, "application-township-reviewed")

    await dual.get_by_role("link", name="乡镇审核队列").click()
    await dual.locator("#notice-program").fill("special_assistance")
    await dual.get_by_role("button", name="发布公示").click()
    await expect(dual.locator("h1")).to_contain_text("公示")
    await expect(dual.locator("#notice-entries")).to_contain_text("王**")
    await expect(dual.locator("#objections")).to_contain_text("未收到异议")
    await expect(dual.locator("#notice-status")).to_have_text("公示中")
    await seen(visits, dual, "notice")
    await dual.emulate_media(media="print")
    await visits.shot(dual, "notice-print", prefix="eligibility")
    printed = SCREENSHOTS / "eligibility-notice.pdf"
    await dual.pdf(path=str(printed), format="A4")
    assert printed.read_bytes().startswith(b"%PDF")
    visits.keep(printed)
    await dual.emulate_media(media="screen")
    closes_on = date.fromisoformat(
        (await dual.locator("dt:text-is('公示截止') + dd").inner_text()).strip())

    # the notice's days are over
    later = datetime.combine(closes_on, time(2, 0), UTC)
    FileClock(clock_file).set(later)
    try:
        dual = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
        await sign_in(dual, url, DUAL, later)
        await dual.goto(f"{url}{CONSOLE}/queues/county")
        await seen(visits, dual, "county-queue")
        await dual.locator(f"a[href*='{application_id}']").click()
        await expect(dual.locator("#approve")).to_be_disabled()
        await expect(dual.locator("#approval-blocked")).to_contain_text("职责分离")
        await seen(visits, dual, "approval-refused-to-reviewer")
        # forced past the page, the server refuses it too
        await dual.evaluate("""() => document.querySelectorAll('form [disabled]')
                                   .forEach(e => { e.disabled = false; })""")
        async with dual.expect_response(lambda r: r.url.endswith("/approve")) as answer:
            await dual.locator("#approve").click()
        assert (await answer.value).status == 409
        await expect(dual.locator("#message")).to_contain_text("审核了此申请，不能再审批")
        await visits.shot(dual, "approval-refused-by-server", prefix="eligibility")

        approver = await (await browser.new_context(locale="zh-CN", bypass_csp=True)
                          ).new_page()
        await sign_in(approver, url, APPROVER, later)
        await approver.goto(application_url)
        await expect(approver.locator("#approval-blocked")).to_have_count(0)
        await approver.get_by_role("button", name="提交审批意见").click()
        await expect(approver.locator("#status")).to_have_text("已认定")
        await seen(visits, approver, "application-certified")

        await approver.locator("a[href*='/certifications/']").click()
        await expect(approver.locator("#certification-status")).to_have_text("有效")
        await seen(visits, approver, "certification")
        await approver.get_by_label("撤销理由").fill("经核查，独生子女仍健在")
        await approver.get_by_role("button", name="撤销").click()
        await expect(approver.locator("#certification-status")).to_have_text("已撤销")
        await expect(approver.locator("#history")).to_contain_text("经核查，独生子女仍健在")
        await seen(visits, approver, "certification-revoked")
        await approver.get_by_role("link", name="认定名册").click()
        await seen(visits, approver, "certifications")

        # another county's clerk is refused this person's record
        other = await (await browser.new_context(locale="zh-CN", bypass_csp=True)
                       ).new_page()
        await sign_in(other, url, OTHER_COUNTY_CLERK, later)
        answered = await other.goto(application_url)
        assert answered is not None and answered.status == 403
        await expect(other.locator("#message")).to_contain_text("不负责区划 420117")
        await seen(visits, other, "other-county-refused")
    finally:
        FileClock(clock_file).set(NOW)


async def test_a_script_in_a_name_is_shown_as_text(
        browser: Browser, eligibility: ServiceProcess, visits: Visits) -> None:
    page = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(page, eligibility.url, CLERK, NOW)
    name = "<script>window.pwned=1</script>"
    await enter(page, eligibility.url, name, ResidentFactory().next())
    await expect(page.locator("#entered")).to_contain_text(f"已录入 {name} 的申请。")
    assert await page.evaluate("() => window.pwned") is None
    await seen(visits, page, "script-in-name")

    # a refused entry shows the name again in its field, as text, and the kind of
    # evidence chosen (among every kind the programs name, by name)
    valid = ResidentFactory().next()
    await enter(page, eligibility.url, name, valid[:-1] + ("1" if valid[-1] == "0" else "0"),
                evidence=True)
    await expect(page.get_by_role("alert")).to_contain_text("身份证号：")
    await expect(page.get_by_role("alert")).not_to_contain_text("resident_id")
    await expect(page.get_by_label("申请人姓名")).to_have_value(name)
    await expect(page.get_by_label("材料类型")).to_have_value("child_death_certificate")
    assert {"户口簿", "独生子女父母光荣证", "子女残疾证", "其他材料"} <= set(
        await page.get_by_label("材料类型").locator("option").all_inner_texts())
    assert await page.evaluate("() => window.pwned") is None
    await visits.shot(page, "entry-refused", prefix="eligibility")

    # a form that did not come from the console is refused
    await page.goto(f"{eligibility.url}{CONSOLE}/applications/new")
    await page.evaluate("""() => document.querySelectorAll('main input[name=csrf_token]')
                               .forEach(i => { i.value = 'forged'; })""")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await enter(page, eligibility.url, "李建国", ResidentFactory().next(), reload=False)
    assert (await answer.value).status == 403
    await expect(page.locator("#message")).to_contain_text("表单已过期")

    await page.goto(f"{eligibility.url}{CONSOLE}/applications/new?lang=en")
    await expect(page.locator("h1")).to_have_text("Enter an application")
    await expect(page.get_by_label("Applicant's name")).to_be_visible()


async def entered_id(page: Page) -> str:
    await expect(page.locator("#entered")).to_be_visible()
    await page.get_by_role("link", name="查看申请").click()
    return page.url.split("/applications/")[1].split("?")[0]


async def focused(page: Page, attribute: str) -> Any:
    return await page.evaluate(f"() => document.activeElement.{attribute}")


async def tab_to(page: Page, name: str) -> None:
    """From the top of the page, Tab until the field named `name` has the focus (once the
    page that has it is there: a link just followed may still be loading it, and a page in
    between has no focused element)."""
    await page.locator(f"[name='{name}']").first.wait_for()
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await focused(page, "name") == name:
            return
    pytest.fail(f"the field {name} is not reached with Tab")


async def queue_shows(page: Page, url: str, present: set[str], absent: set[str], *,
                      division: str = "", program: str = "", min_age: str = "") -> None:
    """The township queue filtered through its form: the applications `present` are
    listed, those `absent` are not."""
    await page.goto(f"{url}{CONSOLE}/queues/township")
    await page.locator("#filter-division").fill(division)
    await page.locator("#filter-program").fill(program)
    await page.get_by_label("至少已等待天数").fill(min_age)
    await page.get_by_role("button", name="筛选").click()
    rows = page.locator("#applications")
    for application_id in present:
        await expect(rows.locator(f"a[href*='{application_id}']")).to_have_count(1)
    for application_id in absent:
        await expect(rows.locator(f"a[href*='{application_id}']")).to_have_count(0)


async def test_the_queue_filters_and_an_objection_from_the_board_reaches_the_notice(
        browser: Browser, siquan_env: Environment, eligibility: ServiceProcess,
        oversight: ServiceProcess, clock_file: Path, visits: Visits) -> None:
    url = eligibility.url
    # an application of special assistance in the first township, entered 12 days ago
    # (a session of that day: it has lapsed since); one of the rural reward in the second
    # township, entered today
    FileClock(clock_file).set(NOW - timedelta(days=12))
    try:
        earlier = await (await browser.new_context(locale="zh-CN", bypass_csp=True)
                         ).new_page()
        await sign_in(earlier, url, CLERK, NOW - timedelta(days=12))
        await enter(earlier, url, "陈桂兰", ResidentFactory().next(), division="420117001")
        older = await entered_id(earlier)
    finally:
        FileClock(clock_file).set(NOW)
    clerk = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(clerk, url, CLERK, NOW)
    await enter(clerk, url, "刘志强", ResidentFactory("420117", birth_year=1958).next(),
                program="reward_assistance_rural/standard", division="420117002")
    newer = await entered_id(clerk)
    both = {older, newer}

    reviewer = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(reviewer, url, REVIEWER, NOW)
    await queue_shows(reviewer, url, both, set())
    await queue_shows(reviewer, url, {older}, {newer}, division="420117001")
    await seen(visits, reviewer, "township-queue-by-division")
    await queue_shows(reviewer, url, {newer}, {older}, division="420117002")
    await queue_shows(reviewer, url, {older}, {newer}, program="special_assistance")
    await seen(visits, reviewer, "township-queue-by-program")
    await queue_shows(reviewer, url, {newer}, {older}, program="reward_assistance_rural")
    await queue_shows(reviewer, url, {older}, {newer}, min_age="10")
    await expect(reviewer.locator(f"#applications tr:has(a[href*='{older}']) td").nth(5)
                 ).to_have_text("12")
    await seen(visits, reviewer, "township-queue-by-age")
    await queue_shows(reviewer, url, set(), both, min_age="13")
    await queue_shows(reviewer, url, both, set(), min_age="0")

    # the community review and the township review, each with the keyboard alone
    await clerk.goto(f"{url}{CONSOLE}/applications")
    await clerk.locator(f"#applications a[href*='{older}']").click()
    await tab_to(clerk, "present")  # past the meeting's date, today's by default
    await clerk.keyboard.type("31")  # required: the form is not sent without it
    await clerk.keyboard.press("Tab")
    assert (await focused(clerk, "name"), await focused(clerk, "value")) == (
        "outcome", "approved")
    await clerk.keyboard.press("Space")
    await clerk.keyboard.press("Tab")
    assert await focused(clerk, "id") == "community-reason"
    await clerk.keyboard.press("Tab")
    assert await focused(clerk, "textContent") == "记录民主评议"
    await clerk.keyboard.press("Enter")
    await expect(clerk.locator("#status")).to_have_text("已民主评议")
    await seen(visits, clerk, "application-community-reviewed-by-keyboard")

    await reviewer.locator(f"#applications a[href*='{older}']").click()
    await tab_to(reviewer, "outcome")
    assert await focused(reviewer, "value") == "approved"
    await reviewer.keyboard.press("Space")
    await reviewer.keyboard.press("Tab")
    assert await focused(reviewer, "id") == "review-reason"
    await reviewer.keyboard.press("Tab")
    assert await focused(reviewer, "textContent") == "提交乡镇审核意见"
    await reviewer.keyboard.press("Enter")
    await expect(reviewer.locator("#status")).to_have_text("乡镇已审核")
    await expect(reviewer.locator("#reviewed-by")).to_have_text(REVIEWER)
    await seen(visits, reviewer, "application-reviewed-by-keyboard")

    await queue_shows(reviewer, url, {older}, set(), program="special_assistance")
    await reviewer.locator("#notice-division").fill("420117")
    await reviewer.get_by_role("button", name="发布公示").click()
    await expect(reviewer.locator("#notice-entries")).to_contain_text("陈**")
    await expect(reviewer.locator("#objections")).to_contain_text("未收到异议")
    notice_id = reviewer.url.split("/notices/")[1].split("?")[0]

    # a member of the public objects from oversight's board
    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as http:
        async def posted() -> bool:
            shown = (await http.get("/public/notices", params={
                "format": "json", "limit": 500})).json()
            return notice_id in {n["notice_id"] for n in shown["notices"]}

        await eventually(posted, what="the notice on oversight's public board")
    public = await (await browser.new_context(locale="zh-CN")).new_page()
    await public.goto(f"{oversight.url}/public/notices?program_code=special_assistance"
                      "&division_code=420117")
    await public.get_by_role("link", name="提出异议 (陈**)").click()
    await expect(public.locator("#application_id")).to_have_value(older)
    await public.get_by_label("情况说明").fill("其子女仍健在，在外地务工")
    await public.get_by_role("button", name="提交").click()
    await expect(public.locator("h1")).to_have_text("已受理")
    await visits.shot(public, "objection-against-the-posted-notice")

    async def received() -> bool:
        await reviewer.reload()
        return "陈**" in await reviewer.locator("#objections").inner_text()

    await eventually(received, what="the objection on the notice's page")
    objections = reviewer.locator("#objections tbody tr")
    await expect(objections).to_have_count(1)
    await expect(objections).to_contain_text("待监督部门处理")
    await expect(reviewer.locator("dt:text-is('因异议暂停的条目') + dd")).to_have_text("1")
    await seen(visits, reviewer, "notice-objection-received")
