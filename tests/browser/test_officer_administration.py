"""The administrator's pages in a real headless Chromium. The account pages are one shared
implementation (siquan.shared.accounts.web) that every service installs on its own
officers' table: on fund custody an administrator creates an officer, changes their roles,
is refused a division outside their own, issues an API token that then works and revokes
it, and resets the officer's password; the officer changes their own password at each
login that requires it. On eligibility, disbursement and oversight the administrator
reaches the officers' list. A screenshot of every page and no serious or critical
axe-core violation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess

from .conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
ADMIN = "admin-420117-01"
OFFICER = "clerk-420117-77"
FIRST, OWN, RESET, OWN_AGAIN = ("Temporary-first-2026", "Chosen-by-officer-2026",
                                "Temporary-reset-2026", "Chosen-again-by-officer-2026")


async def officers_page(page: Page, url: str) -> None:
    await log_in(page, url, ADMIN, f"dev-{ADMIN}")
    await page.get_by_role("link", name="工作人员", exact=True).click()
    await expect(page.locator("h1")).to_have_text("工作人员")
    await expect(page.locator("table")).to_contain_text("clerk-420117-01")


async def change_own_password(page: Page, current: str, new: str) -> None:
    """At a login that requires it, the officer is sent to the password page."""
    await expect(page.locator("h1")).to_have_text("修改密码")
    await expect(page.get_by_role("status")).to_have_text("请先设置新密码再继续。")
    await page.get_by_label("当前密码").fill(current)
    await page.locator("#new_password").fill(new)
    await page.get_by_label("再次输入新密码").fill(new)
    await page.get_by_role("button", name="修改密码").click()
    await expect(page.locator("main")).to_contain_text("密码已修改。")


async def officer_row(env: Environment) -> dict[str, Any]:
    rows = await env.fetch("fund_custody", "SELECT roles, division, must_change_password"
                           " FROM officers WHERE officer_id = $1", OFFICER)
    assert len(rows) == 1
    return dict(rows[0])


async def test_an_administrator_manages_an_officer_who_changes_their_own_password(
        browser: Browser, context: BrowserContext, siquan_env: Environment,
        fund_custody: ServiceProcess, visits: Visits) -> None:
    url = fund_custody.url
    admin = await context.new_page()
    await officers_page(admin, url)
    await visits.shot(admin, "admin-officers", prefix="accounts")

    created = admin.locator("form[aria-labelledby=new-officer]")
    await created.get_by_label("工号").fill(OFFICER)
    await created.get_by_label("姓名").fill("新洲区村级专干丙")
    await created.get_by_label("村级专干").check()
    await created.get_by_label("行政区划").fill("420117")
    await created.get_by_label("临时密码").fill(FIRST)
    await created.get_by_role("button", name="创建工作人员").click()
    await expect(admin.locator("h1")).to_have_text(f"工作人员 {OFFICER}")
    edit = admin.locator("form[aria-labelledby=edit]")
    await expect(edit.get_by_label("村级专干")).to_be_checked()
    await expect(edit.get_by_label("乡镇审核员")).not_to_be_checked()
    await visits.shot(admin, "admin-officer-created", prefix="accounts")
    assert await officer_row(siquan_env) == {
        "roles": ["clerk"], "division": "420117", "must_change_password": True}

    # the officer's first login asks for their own password
    theirs = await browser.new_context(locale="zh-CN", bypass_csp=True)
    officer = await theirs.new_page()
    await log_in(officer, url, OFFICER, FIRST)
    await visits.shot(officer, "password-required", prefix="accounts")
    await change_own_password(officer, FIRST, OWN)
    await visits.shot(officer, "password-changed", prefix="accounts")
    assert (await officer_row(siquan_env))["must_change_password"] is False

    # roles: a township reviewer too; the officer's session ends with the change
    await edit.get_by_label("乡镇审核员").check()
    await edit.get_by_role("button", name="保存").click()
    await expect(admin.locator("#notice")).to_have_text("已修改该工作人员。")
    await expect(edit.get_by_label("乡镇审核员")).to_be_checked()
    await visits.shot(admin, "admin-officer-roles-changed", prefix="accounts")
    assert sorted((await officer_row(siquan_env))["roles"]) == ["clerk", "township_reviewer"]
    await officer.goto(f"{url}/console/")
    await expect(officer.locator("h1")).to_have_text("登录")

    # the division scope: another county is not the administrator's to give
    await edit.get_by_label("行政区划").fill("420102")
    async with admin.expect_response(lambda r: r.request.method == "POST") as answer:
        await edit.get_by_role("button", name="保存").click()
    assert (await answer.value).status == 403
    await expect(admin.get_by_role("alert")).to_contain_text("420102")
    await visits.shot(admin, "admin-officer-division-refused", prefix="accounts")
    assert (await officer_row(siquan_env))["division"] == "420117"

    # an API token, scoped to one role: it identifies the officer until revoked
    issued = admin.locator("form[aria-labelledby=new-token-heading]")
    await issued.get_by_label("用途说明").fill("村级台账导入")
    await issued.get_by_label("村级专干").check()
    await issued.get_by_role("button", name="签发令牌").click()
    await expect(admin.locator("#notice")).to_contain_text("令牌已签发")
    token = await admin.get_by_label("新的接口令牌").input_value()
    assert len(token) >= 32
    tokens = admin.locator("table[aria-labelledby=tokens]")
    await expect(tokens).to_contain_text("村级台账导入")
    await visits.shot(admin, "admin-officer-token-issued", prefix="accounts")
    async with httpx.AsyncClient(base_url=url) as http:
        # 403: the token is the officer's, who lacks the administrator's role (401: no one)
        answered = await http.get("/dead-letters", headers={"Authorization": f"Bearer {token}"})
        assert answered.status_code == 403
        await admin.get_by_role("button", name="吊销令牌 村级台账导入").click()
        await expect(admin.locator("#notice")).to_have_text("令牌已吊销。")
        await expect(tokens).to_contain_text("已吊销")
        await visits.shot(admin, "admin-officer-token-revoked", prefix="accounts")
        answered = await http.get("/dead-letters", headers={"Authorization": f"Bearer {token}"})
        assert answered.status_code == 401

    # a reset password: the officer changes it again at the next login
    await admin.get_by_label("临时密码").fill(RESET)
    await admin.get_by_role("button", name="重置密码").click()
    await expect(admin.locator("#notice")).to_have_text(
        "密码已重置；该工作人员下次登录时须修改。")
    await visits.shot(admin, "admin-officer-password-reset", prefix="accounts")
    assert (await officer_row(siquan_env))["must_change_password"] is True
    await log_in(officer, url, OFFICER, OWN)
    await expect(officer.get_by_role("alert")).to_contain_text("工号或密码错误")
    await log_in(officer, url, OFFICER, RESET)
    await change_own_password(officer, RESET, OWN_AGAIN)
    await theirs.close()


@pytest.mark.parametrize("service", ["eligibility", "disbursement", "oversight"])
async def test_each_service_console_lists_its_officers_to_the_administrator(
        request: pytest.FixtureRequest, context: BrowserContext, service: str,
        visits: Visits) -> None:
    running: ServiceProcess = request.getfixturevalue(service)
    page = await context.new_page()
    await officers_page(page, running.url)
    await expect(page.locator("form[aria-labelledby=new-officer]")).to_be_visible()
    await visits.shot(page, f"admin-officers-{service}", prefix="accounts")
