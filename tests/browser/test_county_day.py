"""A county's day through the four consoles, each power on its own service and database,
joined only by their messages (no event is made up by the test): the village clerk
enters an application with its evidence and records the community review, the township
reviewer reviews it and posts the notice, the county approver certifies it once the
notice's days are over; the treasury officer records the appropriation; a disbursement
officer registers the payee's account, changes it, a colleague confirms the change and
starts the month's run and watches it complete; the auditor sees the run reconciled
(allocated, paid and settled agree) and holds the person's payments while a village
report of the person's death is checked; the township reviewer records the death, and
the auditor reads the finding it makes of the month paid after it, with the officer who
started the run traced. A screenshot of every page and no serious or critical axe-core
violation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siquan.shared.clock import FileClock
from siquan.shared.operator.client import Officers
from siquan.shared.person import person_key
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

from .conftest import NOW
from .test_eligibility_console import APPROVER, CLERK, CONSOLE, DUAL, enter, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
PROGRAM, COUNTY, YEAR = "special_assistance", "420117", 2026
TREASURER, AUDITOR = "treasury-420117-01", "auditor-420117-01"
MAKER, CHECKER = Officers.disburser, Officers.checker
FIRST, CHANGED = "62284800000000033", "62284800000000041"


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="day")  # with the axe-core scan


async def officer(browser: Browser, url: str, officer_id: str, at: datetime) -> Page:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900},
                                            locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(page, url, officer_id, at)
    return page


async def certify(browser: Browser, url: str, clock_file: Path, visits: Visits,
                  resident: str) -> datetime:
    """The eligibility cycle in the console; the instant the notice's days are over (the
    clock is left there)."""
    clerk = await officer(browser, url, CLERK, NOW)
    await enter(clerk, url, "陈桂兰", resident, evidence=True)
    await expect(clerk.locator("#entered")).to_contain_text("已录入 陈桂兰 的申请。")
    await clerk.get_by_role("link", name="查看申请").click()
    application_id = clerk.url.split("/applications/")[1].split("?")[0]
    await clerk.get_by_label("材料类型").select_option("household_register")
    await clerk.get_by_label("文件", exact=True).set_input_files(files=[{
        "name": "hukou.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 hukou"}])
    await clerk.get_by_role("button", name="添加证明材料").click()
    await expect(clerk.locator("#evidence-files")).to_contain_text("户口簿")
    await expect(clerk.locator("#evidence-files")).to_contain_text("子女死亡证明")
    await expect(clerk.locator("#evidence-files")).to_contain_text("hukou.pdf")
    await clerk.get_by_label("参会人数").fill("31")
    await clerk.get_by_role("button", name="记录民主评议").click()
    await expect(clerk.locator("#status")).to_have_text("已民主评议")
    await seen(visits, clerk, "application-community-reviewed")
    await clerk.context.close()

    reviewer = await officer(browser, url, DUAL, NOW)
    await reviewer.goto(f"{url}{CONSOLE}/queues/township")
    await reviewer.locator(f"a[href*='{application_id}']").click()
    await reviewer.get_by_role("button", name="提交乡镇审核意见").click()
    await expect(reviewer.locator("#status")).to_have_text("乡镇已审核")
    await reviewer.get_by_role("link", name="乡镇审核队列").click()
    await reviewer.locator("#notice-program").fill(PROGRAM)
    await reviewer.get_by_role("button", name="发布公示").click()
    await expect(reviewer.locator("#notice-entries")).to_contain_text("陈**")
    await seen(visits, reviewer, "notice")
    closes_on = date.fromisoformat(
        (await reviewer.locator("dt:text-is('公示截止') + dd").inner_text()).strip())
    await reviewer.context.close()

    later = datetime.combine(closes_on, time(2, 0), UTC)
    FileClock(clock_file).set(later)
    approver = await officer(browser, url, APPROVER, later)
    await approver.goto(f"{url}{CONSOLE}/queues/county")
    await approver.locator(f"a[href*='{application_id}']").click()
    await approver.get_by_role("button", name="提交审批意见").click()
    await expect(approver.locator("#status")).to_have_text("已认定")
    await seen(visits, approver, "application-certified")
    await approver.context.close()
    return later


async def test_a_countys_day_from_the_application_to_the_auditors_finding(
        browser: Browser, siquan_env: Environment, clock_file: Path,
        eligibility: ServiceProcess, fund_custody: ServiceProcess,
        disbursement: ServiceProcess, oversight: ServiceProcess, visits: Visits) -> None:
    resident = ResidentFactory(COUNTY, birth_year=1956).next()
    key = person_key(TEST_PERSON_KEY_SECRET, resident)
    try:
        at = await certify(browser, eligibility.url, clock_file, visits, resident)
        period = f"{at.year}-{at.month:02d}"

        # The treasury officer records the county's appropriation.
        treasurer = await officer(browser, fund_custody.url, TREASURER, at)
        await treasurer.get_by_role("link", name="资金专户").first.click()
        form = treasurer.locator("#appropriation-form")
        await form.locator("#ap-program").select_option(PROGRAM)
        await expect(form.locator("#ap-year")).to_have_value(str(YEAR))
        await expect(form.locator("#ap-division")).to_have_value(COUNTY)
        await form.locator("#ap-level").select_option("county")
        await form.locator("#ap-amount").fill("50000.00")
        await form.locator("#ap-document").fill("新财社〔2026〕7号")
        await seen(visits, treasurer, "appropriation-entered")
        await form.get_by_role("button", name="登记该笔拨款").click()
        await expect(treasurer.locator("#notice")).to_have_text("已登记该笔拨款。")
        await expect(treasurer.locator("#level-county")).to_contain_text("¥50,000.00")
        await seen(visits, treasurer, "appropriated")
        await treasurer.context.close()

        # The certification reached disbursement by its message: the maker registers the
        # payee's account, then changes it; the change waits for a colleague.
        async def certified_in_disbursement() -> bool:
            rows = await siquan_env.fetch("disbursement", "SELECT 1 FROM certifications"
                                          " WHERE person_key = $1", key)
            return len(rows) == 1

        await eventually(certified_in_disbursement, what="the certification in disbursement")
        maker = await officer(browser, disbursement.url, MAKER, at)
        for account in (FIRST, CHANGED):
            await maker.get_by_role("link", name="收款账户").click()
            form = maker.locator("#register-form")
            await form.get_by_label("公民身份号码").fill(resident)
            await form.get_by_label("银行代码").fill("ABC")
            await form.get_by_label("账号").fill(account)
            await form.get_by_role("button", name="登记账户").click()
            await expect(maker.locator("#notice")).to_be_visible()
        await expect(maker.locator("#notice")).to_contain_text("须经另一名资金发放人员复核")
        await seen(visits, maker, "account-change-registered")
        await maker.context.close()

        checker = await officer(browser, disbursement.url, CHECKER, at)
        await checker.get_by_role("link", name="收款账户").click()
        row = checker.locator("#pending-changes tbody tr", has_text=MAKER)
        await row.get_by_label("银行代码").fill("ABC")
        await row.get_by_label("账号").fill(CHANGED)
        await row.get_by_role("button", name="复核通过该变更").click()
        await expect(checker.locator("#notice")).to_contain_text("已复核通过该变更")
        await seen(visits, checker, "account-change-confirmed")

        await checker.get_by_role("link", name="发放批次").click()
        start = checker.locator("#start-form")
        await start.get_by_label("救助项目").select_option(PROGRAM)
        await start.get_by_label("发放期").fill(period)
        await start.get_by_role("button", name="发起批次").click()
        await expect(checker.locator("#run-status")).to_have_text("已完成", timeout=240_000)
        await expect(checker.locator("#count-settled")).to_have_text("1")
        settled = (await checker.locator("#count-settled + td").inner_text()).strip()
        run_id = (await checker.locator("#run-id").inner_text()).strip()
        await seen(visits, checker, "run-completed")
        await checker.context.close()
        (paid,) = await siquan_env.fetch(
            "disbursement", "SELECT account_number FROM payments WHERE run_id = $1::uuid"
            " AND status = 'settled'", run_id)
        assert paid["account_number"] == CHANGED  # the confirmed change, not the first

        # The auditor sees the run reconciled and holds the person's payments while a
        # village report of the death is checked.
        async def reconciled() -> bool:
            rows = await siquan_env.fetch("oversight", "SELECT status FROM payment_runs"
                                          " WHERE run_id = $1", run_id)
            return [r["status"] for r in rows] == ["settled"]

        await eventually(reconciled, what="the run settled in oversight's figures")
        auditor = await officer(browser, oversight.url, AUDITOR, at)
        await auditor.get_by_role("link", name="对账", exact=True).first.click()
        figures = auditor.locator(f"#figures-{PROGRAM}-{period}")
        await expect(figures.locator("td").nth(3)).to_have_text(settled)  # allocated
        await expect(figures.locator("td").nth(4)).to_have_text(settled)  # paid
        await expect(figures.locator("td").nth(6)).to_have_text(settled)  # settled
        await expect(figures.locator("td").nth(7)).to_have_text("是：发放与结算一致")
        # a clean run: the findings chart says so in words, with no empty axes drawn
        await expect(auditor.locator("#chart-findings")).to_have_text(
            "所列各项目各期均未发现漏发、冒领或不符。")
        await seen(visits, auditor, "reconciled")
        await auditor.get_by_role("link", name="止付", exact=True).first.click()
        form = auditor.locator("#hold-form")
        await form.get_by_label("人员标识").fill(key)
        await form.get_by_label("止付理由").fill("村委会报告该对象已死亡，核实期间止付")
        await form.get_by_label("证据（每行一条）").fill("村委会报告 XZ-2026-031")
        await form.get_by_role("button", name="止付").click()
        await expect(auditor.locator("#notice")).to_have_text("已设置止付并通知发放系统。")
        await seen(visits, auditor, "person-held")

        async def held_in_disbursement() -> bool:
            rows = await siquan_env.fetch("disbursement", "SELECT 1 FROM holds"
                                          " WHERE person_key = $1", key)
            return len(rows) == 1

        await eventually(held_in_disbursement, what="the hold honoured by disbursement")

        # The township reviewer records the death, from before the month paid.
        reviewer = await officer(browser, eligibility.url, DUAL, at)
        await reviewer.get_by_role("link", name="登记死亡").first.click()
        await reviewer.get_by_label("身份证号").fill(resident)
        died = date(at.year - (at.month == 1), (at.month - 2) % 12 + 1, 15)  # last month
        await reviewer.get_by_label("死亡日期").fill(died.isoformat())
        await reviewer.get_by_label("证明材料").select_option("village_report")
        await reviewer.get_by_label("证明编号").fill("XZ-2026-031")
        await reviewer.get_by_role("button", name="登记死亡").click()
        await expect(reviewer.locator("#death-recorded")).to_have_text(
            "已登记死亡：撤销资格 1 项，终止申请 0 份。")
        await seen(visits, reviewer, "death-recorded")
        await reviewer.context.close()

        # The auditor reads the finding: the month paid after the death, the officer who
        # started the run traced.
        async def finding() -> list[Any]:
            return list(await siquan_env.fetch(
                "oversight", "SELECT finding_id::text, officer_id FROM findings"
                " WHERE person_key = $1 AND rule = 'paid_after_death'", key))

        (found,) = await eventually(finding, what="the payment after the death found")
        assert found["officer_id"] == CHECKER
        await auditor.get_by_role("link", name="问题线索").first.click()
        await expect(auditor.locator("#findings-wrong_payment")).to_contain_text("死亡后仍发放")
        await seen(visits, auditor, "findings")
        await auditor.goto(f"{oversight.url}/console/audit/findings/{found['finding_id']}")
        await expect(auditor.locator("h1")).to_have_text("问题：死亡后仍发放")
        await expect(auditor.locator("#finding-officer")).to_have_text(CHECKER)
        await expect(auditor.locator("#finding-evidence li").first).to_be_visible()
        await expect(auditor.locator("#holds")).to_contain_text("村委会报告该对象已死亡")
        await seen(visits, auditor, "finding")
        await auditor.context.close()
    finally:
        FileClock(clock_file).set(NOW)
