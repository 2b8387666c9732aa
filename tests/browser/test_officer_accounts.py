"""Officer accounts in a real headless Chromium, on fund custody's console: a wrong
password, the lockout after failures in a row, a forged form refused (CSRF), a treasury
officer's TOTP code after the password, an administrator disabling an officer who then
cannot log in (nor use their API token); every login, failure and administrator's action
reaches oversight's audit log. A screenshot of every page and no serious or critical
axe-core violation (the contexts bypass the console's Content-Security-Policy, which
would refuse the injected axe-core script)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.shared.accounts.store import development_totp_secret
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually

from .conftest import NOW, log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
ADMIN = "admin-420117-01"
TREASURER = "treasury-420117-01"
ACTIVITY = "fund_custody_officers.activity.v1"


def password_of(officer_id: str) -> str:
    return f"dev-{officer_id}"


async def accessible(visits: Visits, page: Page) -> None:
    assert await visits.serious_violations(page) == []


async def test_a_wrong_password_is_refused_even_without_javascript(
        browser: Browser, fund_custody: ServiceProcess, visits: Visits) -> None:
    context = await browser.new_context(java_script_enabled=False, locale="zh-CN",
                                        bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{fund_custody.url}/console/login")
    await expect(page.locator("h1")).to_have_text("登录")
    await visits.shot(page, "login", prefix="accounts", scan=False)  # scanned in English
    await log_in(page, fund_custody.url, "clerk-420117-01", "not the password")
    await expect(page.get_by_role("alert")).to_contain_text("工号或密码错误")
    await visits.shot(page, "login-wrong-password", prefix="accounts", scan=False)
    await context.close()

    english = await browser.new_context(locale="en", bypass_csp=True)
    page = await english.new_page()
    await page.goto(f"{fund_custody.url}/console/login")
    await expect(page.locator("h1")).to_have_text("Log in")
    await accessible(visits, page)
    await english.close()


async def test_failures_in_a_row_lock_the_account(
        context: BrowserContext, fund_custody: ServiceProcess, visits: Visits) -> None:
    page = await context.new_page()
    officer = "reviewer-420117-01"
    for attempt in range(4):
        await log_in(page, fund_custody.url, officer, f"wrong {attempt}")
        await expect(page.get_by_role("alert")).to_contain_text("工号或密码错误")
    await log_in(page, fund_custody.url, officer, "wrong 5")
    await expect(page.get_by_role("alert")).to_contain_text("已被暂时锁定")
    await log_in(page, fund_custody.url, officer, password_of(officer))
    await expect(page.get_by_role("alert")).to_contain_text("已被暂时锁定")
    await visits.shot(page, "login-locked", prefix="accounts")


async def test_a_treasury_officer_gives_the_totp_code_after_the_password(
        context: BrowserContext, fund_custody: ServiceProcess, visits: Visits) -> None:
    page = await context.new_page()
    await log_in(page, fund_custody.url, TREASURER, password_of(TREASURER))
    await expect(page.locator("h1")).to_have_text("第二重验证")
    assert page.url.endswith("/console/second-factor")
    await visits.shot(page, "second-factor", prefix="accounts")

    await page.get_by_label("验证码").fill("000000")
    await page.get_by_role("button", name="确认").click()
    await expect(page.get_by_role("alert")).to_contain_text("验证码错误")

    code = pyotp.TOTP(development_totp_secret(TREASURER)).at(NOW)
    await page.get_by_label("验证码").fill(code)
    await page.get_by_role("button", name="确认").click()
    await expect(page.get_by_text(f"（{TREASURER}）")).to_be_visible()
    await visits.shot(page, "home-treasury", prefix="accounts")


async def test_a_forged_form_is_refused(
        context: BrowserContext, fund_custody: ServiceProcess, visits: Visits) -> None:
    page = await context.new_page()
    await log_in(page, fund_custody.url, ADMIN, password_of(ADMIN))
    await page.goto(f"{fund_custody.url}/console/admin/officers/clerk-420117001-01")
    await page.evaluate("""() => document.querySelectorAll('input[name=csrf_token]')
                               .forEach(i => { i.value = 'forged'; })""")
    await page.get_by_role("button", name="停用该工作人员").click()
    await expect(page.get_by_role("status")).to_contain_text("表单已过期")
    await visits.shot(page, "csrf-refused", prefix="accounts")
    await page.goto(f"{fund_custody.url}/console/admin/officers/clerk-420117001-01")
    await expect(page.locator("#state")).to_have_text("正常")


async def test_an_administrator_disables_an_officer_who_then_cannot_log_in(
        browser: Browser, context: BrowserContext, fund_custody: ServiceProcess,
        visits: Visits) -> None:
    officer = "clerk-420117002-01"
    page = await context.new_page()
    await log_in(page, fund_custody.url, ADMIN, password_of(ADMIN))
    await page.get_by_role("link", name="工作人员", exact=True).click()
    await expect(page.locator("h1")).to_have_text("工作人员")
    await visits.shot(page, "officers", prefix="accounts")
    await page.get_by_role("link", name=officer).click()
    await visits.shot(page, "officer", prefix="accounts")
    await page.get_by_role("button", name="停用该工作人员").click()
    await expect(page.locator("#notice")).to_have_text("已停用该工作人员。")
    await expect(page.locator("#state")).to_have_text("已停用")
    await visits.shot(page, "officer-disabled", prefix="accounts")

    theirs = await browser.new_context(locale="zh-CN", bypass_csp=True)
    their_page = await theirs.new_page()
    await log_in(their_page, fund_custody.url, officer, password_of(officer))
    await expect(their_page.get_by_role("alert")).to_contain_text("该账号已停用")
    await visits.shot(their_page, "login-disabled", prefix="accounts")
    await theirs.close()
    async with httpx.AsyncClient(base_url=fund_custody.url) as http:
        refused = await http.get("/dead-letters",
                                 headers={"Authorization": f"Bearer dev-{officer}"})
    assert refused.status_code == 401  # the token is no longer anyone's (403: a role)


async def test_oversight_records_the_logins_failures_and_administrators_actions(
        siquan_env: Environment, oversight: ServiceProcess) -> None:
    """After the tests above (same module, same services)."""
    wanted = {("login_failed", "wrong_password"), ("locked_out", None),
              ("login_failed", "locked"), ("login", None), ("officer_disabled", None),
              ("login_failed", "disabled"), ("login_failed", "wrong_code")}

    async def recorded() -> bool:
        rows = await siquan_env.fetch(
            "oversight", "SELECT body FROM audit_entries WHERE message_type = $1", ACTIVITY)
        bodies = [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]
                  for r in rows]
        seen = {(b["activity"], b.get("reason")) for b in bodies}
        return wanted <= seen

    await eventually(recorded, what="the officers' activity in oversight's audit log")
