"""The disbursement officer's console in a real headless Chromium, on disbursement (with
fund custody funding the run): an officer changes a payee's account, sees that they
cannot confirm their own change (the button says why, and the server refuses it when the
form is sent anyway); a colleague confirms it re-entering the account, starts the month's
run, watches its progress until it completed, reads the skipped payee and the reason,
reads the changed account flagged for a check (in Beijing time), retries the failed
payment once its account was corrected and confirmed, and finds the
runs in the list of runs. An officer of another county sees none of it. A
screenshot of every page and no serious or critical axe-core violation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.shared.operator.client import Officers, ServiceClient
from siquan.shared.operator.county_cycle import register_payee_account
from siquan.shared.person import person_key
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory

from .conftest import log_in_with_code

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
MAKER, CHECKER = Officers.disburser, Officers.checker
PROGRAM, COUNTY, PERIOD = "special_assistance", "420117", "2026-11"
PROGRAM_NAME = "独生子女死亡/伤残家庭特别扶助"  # the policy's name for it, which pages show
FIRST, CHANGED = "62284800000000017", "62284800000000025"
INVALID, CORRECTED = "6228480000000000", "6228480000000019"
"""The simulated bank refuses an account ending in 0000 (invalid), pays the others."""
BEIJING = ZoneInfo("Asia/Shanghai")


async def signed_in(browser: Browser, url: str, officer_id: str) -> Page:
    """A new browser context with the officer logged in (password, then the TOTP code of
    the fixed clock: each officer logs in once in this module, a code is used once)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        locale="zh-CN", bypass_csp=True)
    page = await context.new_page()
    await log_in_with_code(page, url, officer_id)
    return page


async def accessible(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="disbursement")


async def _certified(env: Environment) -> str:
    resident = ResidentFactory(COUNTY, birth_year=1957).next()
    await publish_as(env, CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key(TEST_PERSON_KEY_SECRET, resident), masked_name="李*",
        masked_resident_id=f"{resident[:4]}**********{resident[-4:]}", division_code=COUNTY,
        effective_from=date(2026, 11, 1), reviewed_by=Officers.reviewer,
        approved_by=Officers.approver, approved_at=datetime(2026, 10, 8, tzinfo=UTC)))
    return resident


async def test_a_colleague_confirms_a_change_and_the_run_is_watched_to_completion(
        browser: Browser, siquan_env: Environment, disbursement: ServiceProcess,
        fund_custody: ServiceProcess, visits: Visits) -> None:
    payee = await _certified(siquan_env)
    await _certified(siquan_env)  # a payee without an account: skipped
    refused = await _certified(siquan_env)  # paid to an invalid account: fails
    api = ServiceClient(disbursement.url)
    funds = ServiceClient(fund_custody.url)
    try:
        await register_payee_account(api, payee, FIRST)  # a first account: paid at once
        await register_payee_account(api, refused, INVALID)
        await funds.call("POST", "/appropriations", Officers.treasury, json={
            "program_code": PROGRAM, "fiscal_year": 2026, "division_code": COUNTY,
            "fiscal_level": "county", "amount_fen": 10_000_000})
    finally:
        await api.close()
        await funds.close()

    # The maker changes the account in the console, and cannot confirm it.
    maker = await signed_in(browser, disbursement.url, MAKER)
    await maker.get_by_role("link", name="收款账户").click()
    await expect(maker.locator("h1")).to_have_text("收款账户")
    form = maker.locator("#register-form")
    await form.get_by_label("公民身份号码").fill(payee)
    await form.get_by_label("银行代码").fill("ABC")
    await form.get_by_label("账号").fill(CHANGED)
    await form.get_by_role("button", name="登记账户").click()
    await expect(maker.locator("#notice")).to_contain_text("须经另一名资金发放人员复核")
    row = maker.locator("#pending-changes tbody tr", has_text=MAKER)
    await expect(row).to_contain_text("*************0025")
    button = row.get_by_role("button", name="复核通过该变更")
    await expect(button).to_be_disabled()
    await expect(row).to_contain_text("该变更由您登记，须由另一名资金发放人员复核。")
    assert payee not in await maker.content()  # the resident ID is never shown back
    await accessible(visits, maker, "payee-accounts-maker")
    # Sent anyway (the button enabled by hand): the server refuses the maker.
    await button.evaluate("b => b.removeAttribute('disabled')")
    await row.get_by_label("银行代码").fill("ABC")
    await row.get_by_label("账号").fill(CHANGED)
    await button.click()
    await expect(maker.get_by_role("alert")).to_have_text(
        "该变更由您登记，须由另一名资金发放人员复核。")
    await accessible(visits, maker, "payee-accounts-maker-refused")
    await maker.context.close()

    # The colleague confirms it, re-entering the account from the request.
    checker = await signed_in(browser, disbursement.url, CHECKER)
    await checker.get_by_role("link", name="收款账户").click()
    row = checker.locator("#pending-changes tbody tr", has_text=MAKER)
    await expect(row.get_by_role("button", name="复核通过该变更")).to_be_enabled()
    await accessible(visits, checker, "payee-accounts-checker")
    await row.get_by_label("银行代码").fill("ABC")
    await row.get_by_label("账号").fill(CHANGED[:-1] + "9")  # a typo: refused
    await row.get_by_role("button", name="复核通过该变更").click()
    await expect(checker.get_by_role("alert")).to_contain_text("与待复核的变更不一致")
    row = checker.locator("#pending-changes tbody tr", has_text=MAKER)
    await row.get_by_label("银行代码").fill("ABC")
    await row.get_by_label("账号").fill(CHANGED)
    await row.get_by_role("button", name="复核通过该变更").click()
    await expect(checker.locator("#notice")).to_contain_text("已复核通过该变更")
    await expect(checker.locator("#pending-changes")).to_contain_text("没有待复核的变更。")
    await accessible(visits, checker, "payee-accounts-confirmed")
    confirmed = await siquan_env.fetch(
        "disbursement", "SELECT registered_by, confirmed_by, registered_at FROM payee_accounts"
        " WHERE account_number = $1", CHANGED)
    assert [(r["registered_by"], r["confirmed_by"]) for r in confirmed] == [(MAKER, CHECKER)]

    # The colleague starts the month's run and watches it complete.
    await checker.get_by_role("link", name="发放批次").click()
    await expect(checker.locator("h1")).to_have_text("发放批次")
    await accessible(visits, checker, "runs-empty")
    start = checker.locator("#start-form")
    await start.get_by_label("救助项目").select_option(PROGRAM)
    await start.get_by_label("发放期").fill(PERIOD)
    await start.get_by_role("button", name="发起批次").click()
    await expect(checker.locator("h1")).to_have_text(f"发放批次 {PROGRAM_NAME} {PERIOD}")
    run_id = await checker.locator("#run-id").inner_text()
    await visits.shot(checker, "run-started", prefix="disbursement")
    # The page refreshes its progress by itself until the run completed.
    await expect(checker.locator("#run-status")).to_have_text("已完成", timeout=240_000)
    await expect(checker.locator("#progress-bar")).to_have_attribute("value", "100")
    await expect(checker.locator("#count-settled")).to_have_text("1")
    await expect(checker.locator("#count-failed")).to_have_text("1")
    skipped = checker.locator("#skipped")
    await expect(skipped).to_contain_text("无收款账户")  # the payee without an account
    # The changed account is flagged for a check, in Chinese, with Beijing's time.
    flags = checker.locator("#flags")
    await expect(flags).to_contain_text("收款账户在本次发放前不足一天内变更")
    await expect(flags).to_contain_text(
        confirmed[0]["registered_at"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))
    await accessible(visits, checker, "run-completed")
    run_page = checker.url

    # The failure is not retried to the same account: refused, with the reason.
    await checker.get_by_role("button", name="重发失败和退回的款项").click()
    await expect(checker.get_by_role("alert")).to_contain_text(
        f"发放批次 {run_id} 没有可重发的款项：1 × 银行拒付或退回后账户尚未更正")
    await visits.shot(checker, "retry-refused", prefix="disbursement")
    # The account corrected (by the maker) and confirmed (by the colleague): retried.
    api = ServiceClient(disbursement.url)
    try:
        await register_payee_account(api, refused, CORRECTED, confirm=False)
    finally:
        await api.close()
    await checker.get_by_role("link", name="收款账户").click()
    row = checker.locator("#pending-changes tbody tr", has_text=MAKER)
    await row.get_by_label("银行代码").fill("ABC")
    await row.get_by_label("账号").fill(CORRECTED)
    await row.get_by_role("button", name="复核通过该变更").click()
    await expect(checker.locator("#notice")).to_contain_text("已复核通过该变更")
    await checker.goto(run_page)
    await checker.get_by_role("button", name="重发失败和退回的款项").click()
    await expect(checker.locator("#run-id")).not_to_have_text(run_id)
    await expect(checker.get_by_text(f"重发自 {run_id[:8]}")).to_be_visible()
    await expect(checker.locator("#run-status")).to_have_text("已完成", timeout=240_000)
    await expect(checker.locator("#count-settled")).to_have_text("1")
    await expect(checker.locator("#count-failed")).to_have_text("0")
    await accessible(visits, checker, "retry-completed")

    await checker.get_by_role("link", name="全部发放批次").click()
    runs = checker.locator("#runs")
    await expect(runs).to_contain_text(run_id[:8])
    await expect(runs).to_contain_text("已完成")
    await expect(runs).to_contain_text(PERIOD)
    await accessible(visits, checker, "runs")
    await checker.get_by_label("状态").select_option(label="等待资金")
    await checker.get_by_role("button", name="筛选").click()
    await expect(runs).to_contain_text("没有符合条件的发放批次。")
    await checker.context.close()

    # An officer of another county sees neither the changes nor the runs.
    other = await signed_in(browser, disbursement.url, Officers.other_county_disburser)
    await other.goto(f"{disbursement.url}/console/disbursement/runs")
    await expect(other.locator("#runs")).to_contain_text("没有符合条件的发放批次。")
    response = await other.goto(f"{disbursement.url}/console/disbursement/runs/{run_id}")
    assert response is not None and response.status == 403
    await visits.shot(other, "run-refused-other-county", prefix="disbursement")
    await other.context.close()
