"""The eligibility console's case pages in a real headless Chromium: a township reviewer
registers a household with two members (the register number and the full names and
resident IDs never shown again), adds a third member who then leaves; the sending
county's approver starts the transfer of a certification to county 420102 from its page
(refused first for the certification's own county) and cannot decide it; the receiving
county's approver accepts it on the transfers page and, the certification now theirs,
changes its category: refused until the documents the new category needs are filed from
the certification's page, with the household facts it needs stated on the form (the
migrated certification has none on record). A refused form comes back on the
certification's page with the refusal above it and what the officer typed still in it.
Each step is visible afterwards on the pages and in what the JSON API answers. A
screenshot of every page and no serious or critical axe-core violation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.async_api import Browser, Page, expect

from siquan.shared.clock import FileClock
from siquan.shared.operator.client import ServiceClient
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory

from .conftest import NOW
from .test_eligibility_console import CONSOLE, sign_in
from .test_eligibility_worklists import APPROVER, REVIEWER, _migrated

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
RECEIVING_APPROVER = "approver-420102-01"
LATER = NOW + timedelta(minutes=13)
"""The approvers sign in on this clock: their TOTP codes at other times are other
modules'."""
PURPOSE = urlencode({"purpose": "跨县迁移"})


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="eligibility")


async def _new_page(browser: Browser, url: str, officer_id: str) -> Page:
    page = await (await browser.new_context(locale="zh-CN", bypass_csp=True)).new_page()
    await sign_in(page, url, officer_id, LATER)
    return page


async def test_a_household_is_registered_and_a_certification_moves_county_and_category(
        browser: Browser, eligibility: ServiceProcess, clock_file: Path,
        visits: Visits) -> None:
    url = eligibility.url
    [certification_id] = await _migrated(url, 1)
    FileClock(clock_file).set(LATER)
    try:
        await _register_a_household(browser, url, visits)
        await _transfer_and_change_category(browser, url, visits, certification_id)
    finally:
        FileClock(clock_file).set(NOW)


async def _register_a_household(browser: Browser, url: str, visits: Visits) -> None:
    people = ResidentFactory(birth_year=1958)
    head, spouse, relative = people.next(), people.next(), people.next()
    number = f"420117001-{uuid.uuid4().hex[:8]}"
    reviewer = await _new_page(browser, url, REVIEWER)
    await reviewer.get_by_role("link", name="登记家庭户").first.click()
    await seen(visits, reviewer, "new-household")
    await reviewer.get_by_label("户号").fill(number)
    await reviewer.get_by_label("区划（县级或乡镇代码）").fill("420117001")
    await reviewer.get_by_label("户籍").select_option("rural")
    await reviewer.get_by_label("家庭类型").select_option("only_child_died")
    await reviewer.get_by_label("子女情况").fill("male:1985-04-02:died:2008-05-12")
    await reviewer.get_by_label("持有独生子女父母光荣证").check()
    await reviewer.get_by_label("第 1 名成员姓名").fill("卢建国")
    await reviewer.get_by_label("第 1 名成员身份证号").fill(head)
    await reviewer.get_by_label("第 2 名成员姓名").fill("卢秀英")
    await reviewer.get_by_label("第 2 名成员身份证号").fill(spouse)
    await expect(reviewer.get_by_label("第 2 名成员与户主关系")).to_have_value("spouse")
    await reviewer.get_by_role("button", name="登记家庭户").click()

    await expect(reviewer.locator("#done")).to_have_text("已登记家庭户。")
    members = reviewer.locator("#household-members tbody tr")
    await expect(members).to_have_count(2)
    await expect(members.nth(0)).to_contain_text("卢**")
    await expect(members.nth(0)).to_contain_text(f"{head[:4]}**********{head[-4:]}")
    await expect(members.nth(0)).to_contain_text("户主")
    await expect(members.nth(1)).to_contain_text("配偶")
    await expect(reviewer.locator("#household-division")).to_have_text("420117001")
    await expect(reviewer.locator("#household-family-type")).to_have_text("独生子女死亡")
    children = reviewer.locator("#household-children tbody tr")
    await expect(children).to_have_count(1)
    await expect(children.nth(0).locator("td")).to_have_text(
        ["儿子", "1985-04-02", "已故（2008-05-12）"])
    page_text = await reviewer.content()
    assert not any(v in page_text for v in (number, head, spouse, "卢建国", "卢秀英"))
    await seen(visits, reviewer, "household")
    household_id = reviewer.url.split("/households/", 1)[1].split("?", 1)[0]

    # a third member joins and leaves; the head cannot leave before the others
    await reviewer.get_by_label("姓名", exact=True).fill("卢小军")
    await reviewer.locator("#add-resident-id").fill(relative)
    await reviewer.locator("#add-relationship").select_option("other")
    await reviewer.get_by_role("button", name="添加成员").click()
    await expect(reviewer.locator("#done")).to_have_text("已添加该成员。")
    await expect(members).to_have_count(3)
    await reviewer.locator("#remove-resident-id").fill(relative)
    await reviewer.get_by_label("迁出原因").fill("外出务工落户")
    await reviewer.get_by_role("button", name="迁出成员").click()
    await expect(reviewer.locator("#done")).to_have_text("该成员已迁出。")
    await expect(members).to_have_count(2)
    await reviewer.locator("#remove-resident-id").fill(head)
    await reviewer.get_by_label("迁出原因").fill("迁往外县")
    await reviewer.get_by_role("button", name="迁出成员").click()
    await expect(reviewer.locator("#message")).to_have_text(
        "户主须最后迁出；请先将其余成员登记到各自户主名下。")

    # the register as the JSON API answers it
    api = ServiceClient(url)
    try:
        shown = await api.call("GET", f"/households/{household_id}", REVIEWER)
    finally:
        await api.close()
    assert [(m["masked_name"], m["relationship"]) for m in shown["members"]] == [
        ("卢**", "head"), ("卢**", "spouse")]
    assert shown["facts"]["holds_one_child_certificate"] is True

    # a death recorded with its evidence (a person holding nothing: nothing revoked)
    await reviewer.get_by_role("link", name="登记死亡").first.click()
    await seen(visits, reviewer, "new-death")
    dead = people.next()
    for died, expected in (("2026-12-01", "#problems"), ("2026-10-20", "#death-recorded")):
        await reviewer.get_by_label("身份证号").fill(dead)
        await reviewer.get_by_label("死亡日期").fill(died)
        await reviewer.get_by_label("证明材料").select_option("village_report")
        await reviewer.get_by_label("证明编号").fill("CW-2026-0117")
        await reviewer.get_by_role("button", name="登记死亡").click()
        await expect(reviewer.locator(expected)).to_be_visible()
    await expect(reviewer.locator("#death-recorded")).to_have_text(
        "已登记死亡：撤销资格 0 项，终止申请 0 份。")
    await reviewer.get_by_role("link", name="再登记一例死亡").click()
    await reviewer.get_by_label("身份证号").fill(dead)
    await reviewer.get_by_label("死亡日期").fill("2026-10-21")
    await reviewer.get_by_label("证明编号").fill("HB-2026-0001")
    await reviewer.get_by_role("button", name="登记死亡").click()
    await expect(reviewer.locator("#problems li")).to_have_text(
        "此人已登记了另一日期的死亡；须先核对两份记录，才能再登记。")
    await reviewer.context.close()


async def _transfer_and_change_category(browser: Browser, url: str, visits: Visits,
                                        certification_id: str) -> None:
    sending = await _new_page(browser, url, APPROVER)
    await sending.goto(f"{url}{CONSOLE}/certifications/{certification_id}?{PURPOSE}")
    await expect(sending.locator("#certification-division")).to_have_text("420117")
    await seen(visits, sending, "certification-case-forms")
    await expect(sending.get_by_label("生效日期（某月 1 日）").first).to_have_value(
        "2026-12-01")
    # the certification's own county: refused, the page shown again with the form kept
    await sending.get_by_label("迁入县（6 位代码）").fill("420117")
    await sending.get_by_label("迁移原因").fill("随子女迁居江汉区")
    async with sending.expect_response(f"{url}{CONSOLE}/transfers") as sent:
        await sending.get_by_role("button", name="发起迁移").click()
    assert (await sent.value).status == 409
    transfer = sending.locator(f'form[action="{CONSOLE}/transfers"]')
    await expect(transfer.get_by_role("alert")).to_contain_text("迁移未发起：")
    await expect(transfer.locator("#message")).to_have_text("该资格已属于该县。")
    await expect(sending.locator("#certification-division")).to_have_text("420117")
    await expect(sending.get_by_label("迁入县（6 位代码）")).to_have_value("420117")
    await expect(sending.get_by_label("迁移原因")).to_have_value("随子女迁居江汉区")
    await expect(sending.get_by_label("生效日期（某月 1 日）").first).to_have_value(
        "2026-12-01")
    await expect(sending.get_by_label("变更原因")).to_have_value("")
    await seen(visits, sending, "certification-transfer-refused")
    await sending.get_by_label("迁入县（6 位代码）").fill("420102")
    await sending.get_by_role("button", name="发起迁移").click()
    rows = sending.locator("#transfers tbody tr", has_text=certification_id[:8])
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("待迁入县审批")
    await expect(rows.get_by_role("button", name="接收迁移")).to_have_count(0)
    await expect(rows.get_by_role("link", name=certification_id[:8])).to_have_attribute(
        "href", f"{CONSOLE}/certifications/{certification_id}")
    await seen(visits, sending, "transfers-sent")
    transfer_id = (await rows.get_attribute("id") or "").removeprefix("transfer-")
    assert transfer_id

    # the receiving county's approver accepts it
    receiving = await _new_page(browser, url, RECEIVING_APPROVER)
    await receiving.get_by_role("link", name="跨县迁移").first.click()
    row = receiving.locator(f"#transfer-{transfer_id}")
    await expect(row).to_contain_text("420117")
    await expect(row).to_contain_text(APPROVER)
    await seen(visits, receiving, "transfers-received")
    await row.get_by_role("button", name="接收迁移").click()
    await expect(receiving.locator("#decided")).to_have_text("已处理该迁移。")
    await expect(row.locator(".transfer-status")).to_have_text("已接收")
    await expect(row).to_contain_text(RECEIVING_APPROVER)

    # the sending county reads it accepted and no longer reads the certification
    await sending.goto(f"{url}{CONSOLE}/transfers")
    await expect(sending.locator(f"#transfer-{transfer_id} .transfer-status")).to_have_text(
        "已接收")
    answered = await sending.goto(
        f"{url}{CONSOLE}/certifications/{certification_id}?{PURPOSE}")
    assert answered is not None and answered.status == 403
    await expect(sending.locator("#message")).to_have_text(
        f"工作人员 {APPROVER} 负责区划 420117，不负责区划 420102。")

    # the certification is the receiving county's; its approver changes the category
    await receiving.goto(f"{url}{CONSOLE}/certifications/{certification_id}?{PURPOSE}")
    await expect(receiving.locator("#certification-division")).to_have_text("420102")
    await expect(receiving.locator("#history")).to_contain_text("由 420117")
    await expect(receiving.locator("#history")).to_contain_text("迁至 420102：")
    await receiving.get_by_label("新类别").select_option("disability")
    await receiving.get_by_label("生效日期（某月 1 日）").nth(1).fill("2026-11-01")
    await receiving.get_by_label("变更原因").fill("子女伤残等级复核")
    await receiving.get_by_role("button", name="变更类别").click()
    change = receiving.locator(f'form[action="{CONSOLE}/category-changes"]')
    await expect(change.locator("#message")).to_have_text(
        "该资格已自 2026-12-01 起变更；之后的变更不能早于该日期生效。")
    await expect(receiving.get_by_label("生效日期（某月 1 日）").nth(1)).to_have_value(
        "2026-11-01")
    # the migrated certification has no facts on record: the officer corrects the date on
    # the form as it was refused and states the facts of the new category, but its
    # documents are not on file yet
    await _state_the_change(receiving)
    await expect(change.get_by_role("alert")).to_contain_text("类别未变更：")
    await expect(change.locator("#message")).to_have_text(
        "变更为 独生子女伤残 所需的证明材料尚未为该资格归档：户口簿, "
        "子女残疾证。请先在资格页面归档。")
    await _the_change_is_kept(receiving)
    await expect(receiving.get_by_label("迁入县（6 位代码）")).to_have_value("")
    await seen(visits, receiving, "certification-category-change-refused")

    # the documents filed from the certification's page as it was shown with the refusal
    # (only the kinds the program names, by name)
    kinds = receiving.get_by_label("材料类型")
    assert set(await kinds.locator("option").all_inner_texts()) >= {
        "户口簿", "子女残疾证", "子女死亡证明"}
    assert "其他材料" not in await kinds.locator("option").all_inner_texts()
    await expect(receiving.locator("#evidence-files")).to_have_text("暂无证明材料。")
    # an empty scan is refused at the evidence form, the kind chosen kept
    await kinds.select_option("child_disability_card")
    await receiving.get_by_label("文件", exact=True).set_input_files(
        {"name": "blank.pdf", "mimeType": "application/pdf", "buffer": b""})
    await receiving.get_by_role("button", name="添加证明材料").click()
    await expect(receiving.locator("#message")).to_have_text("证明材料文件为空。")
    await expect(receiving.get_by_role("alert")).to_contain_text("证明材料未添加：")
    await expect(kinds).to_have_value("child_disability_card")
    await expect(receiving.locator("#evidence-files")).to_have_text("暂无证明材料。")
    await seen(visits, receiving, "certification-evidence-refused")
    for kind, name in (("household_register", "户口簿"), ("child_disability_card", "子女残疾证")):
        await kinds.select_option(kind)
        await receiving.get_by_label("文件", exact=True).set_input_files(
            {"name": f"{kind}.pdf", "mimeType": "application/pdf",
             "buffer": b"%PDF-1.4\n% " + kind.encode() + b"\n"})
        await receiving.get_by_role("button", name="添加证明材料").click()
        await expect(receiving.locator("#evidence-files")).to_contain_text(
            f"{name} ({kind}): {kind}.pdf")
    await seen(visits, receiving, "certification-evidence-filed")
    await _state_the_change(receiving)
    await expect(receiving.locator("#certification-program")).to_contain_text(
        "独生子女伤残 special_assistance · disability")
    await expect(receiving.locator("#history")).to_contain_text(
        "类别由 独生子女死亡 变更为 独生子女伤残：子女伤残等级复核")
    await seen(visits, receiving, "certification-category-changed")

    api = ServiceClient(url)
    try:
        transfers = await api.call("GET", "/transfers", RECEIVING_APPROVER,
                                   params={"status": "accepted"})
        shown = await api.call("GET", f"/certifications/{certification_id}",
                               RECEIVING_APPROVER, params={"purpose": "test"})
    finally:
        await api.close()
    [accepted] = [t for t in transfers if t["transfer_id"] == transfer_id]
    assert (accepted["initiated_by"], accepted["decided_by"]) == (APPROVER,
                                                                   RECEIVING_APPROVER)
    assert (shown["division_code"], shown["category"]) == ("420102", "disability")
    await sending.context.close()
    await receiving.context.close()


async def _the_change_is_kept(page: Page) -> None:
    """The change form holds what `_state_the_change` typed."""
    await expect(page.locator("#certification-program")).to_contain_text(
        "special_assistance · death")
    await expect(page.get_by_label("新类别")).to_have_value("disability")
    await expect(page.get_by_label("生效日期（某月 1 日）").nth(1)).to_have_value(
        "2026-12-01")
    await expect(page.get_by_label("变更原因")).to_have_value("子女伤残等级复核")
    await expect(page.get_by_label("申请人身份")).to_have_value("parent")
    await expect(page.get_by_label("户籍", exact=True)).to_have_value("rural")
    await expect(page.get_by_label("家庭类型")).to_have_value("only_child_disabled")
    await expect(page.get_by_label("子女情况")).to_have_value("female:1984-05-01:disabled:1")
    await expect(page.get_by_label("持有独生子女父母光荣证")).to_have_value("yes")


async def _state_the_change(page: Page) -> None:
    """The change to the only child's disability from December, with the household facts
    the new category needs (the certification has none on record)."""
    await page.get_by_label("新类别").select_option("disability")
    await page.get_by_label("生效日期（某月 1 日）").nth(1).fill("2026-12-01")
    await page.get_by_label("变更原因").fill("子女伤残等级复核")
    await page.get_by_label("申请人身份").select_option("parent")
    await page.get_by_label("户籍", exact=True).select_option("rural")
    await page.get_by_label("家庭类型").select_option("only_child_disabled")
    await page.get_by_label("子女情况").fill("female:1984-05-01:disabled:1")
    await page.get_by_label("持有独生子女父母光荣证").select_option("yes")
    await page.get_by_role("button", name="变更类别").click()
