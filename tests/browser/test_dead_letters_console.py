"""An administrator's dead-letter pages in a real headless Chromium, on fund custody's
console: a payment result that reached fund custody before its run is listed by queue and
reason, inspected, replayed with a reason (still unknown, it comes back), then discarded
with a reason; each action is journalled in fund custody's database and reaches
oversight's audit log. Refused without a reason, refused to an officer who is not an
administrator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from siquan.contracts.disbursement_v1 import PaymentsSettled, SettledPayment
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually

from .conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
ADMIN = "admin-420117-01"
ACTIVITY = "fund_custody_officers.activity.v1"


async def signed_in(page: Page, url: str, officer_id: str) -> None:
    await log_in(page, url, officer_id, f"dev-{officer_id}")
    await expect(page.locator("h1")).to_have_text("工作台")


async def _letters(env: Environment, message_id: str) -> list[dict[str, Any]]:
    return [d for d in await list_dead_letters(env.amqp_url("fund_custody"), "fund_custody")
            if d["message_id"] == message_id]


async def _early_result(env: Environment) -> tuple[str, str]:
    """A payment result for a run fund custody never allocated: dead-lettered."""
    run_id = str(uuid.uuid4())
    message_id = await publish_as(env, PaymentsSettled(
        run_id=run_id, program_code="special_assistance", period="2026-10",
        division_code="420117", chunk=0, payments=(SettledPayment(
            payment_id=str(uuid.uuid4()), person_key="b" * 64, certification_id="c1",
            item="benefit", amount_fen=21_000, bank_reference="B1"),)))
    await eventually(lambda: _letters(env, message_id), what="the early result dead-lettered")
    return run_id, message_id


async def test_an_administrator_inspects_replays_and_discards_a_dead_letter_with_reasons(
        siquan_env: Environment, fund_custody: ServiceProcess, oversight: ServiceProcess,
        context: BrowserContext, visits: Visits) -> None:
    run_id, message_id = await _early_result(siquan_env)
    page = await context.new_page()
    await signed_in(page, fund_custody.url, ADMIN)
    await page.get_by_role("link", name="死信").click()
    await expect(page.locator("h1")).to_have_text("死信")
    await expect(page.locator("#dead-letter-list")).to_contain_text(message_id)
    queue = (await _letters(siquan_env, message_id))[0]["queue"]
    await expect(page.locator("#dead-letter-summary")).to_contain_text(queue)
    await visits.shot(page, "dead-letters", prefix="console")

    await page.get_by_role("link", name=message_id).click()
    await expect(page.locator("#message-id")).to_have_text(message_id)
    await expect(page.locator("pre").nth(1)).to_contain_text(run_id)
    await visits.shot(page, "dead-letter", prefix="console")

    await page.get_by_label("重新投递理由").fill("资金已拨付，重新处理")
    await page.get_by_role("button", name="重新投递", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("已重新投递到原队列：1 条消息。")
    await visits.shot(page, "dead-letter-replayed", prefix="console")
    # Its run is still unknown: the replayed result is dead-lettered again.
    await eventually(lambda: _letters(siquan_env, message_id),
                     what="the replayed result dead-lettered again")

    await page.goto(f"{fund_custody.url}/console/dead-letters/{message_id}")
    await page.get_by_label("丢弃理由").fill("该批次不存在，经核实作废")
    await page.get_by_role("button", name="丢弃", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("已丢弃：1 条消息。")
    assert await _letters(siquan_env, message_id) == []

    journal = await siquan_env.fetch(
        "fund_custody", "SELECT action, officer_id, reason FROM dead_letter_actions"
        " WHERE message_id = $1 ORDER BY id", message_id)
    assert [(r["action"], r["officer_id"], r["reason"]) for r in journal] == [
        ("replay", ADMIN, "资金已拨付，重新处理"), ("discard", ADMIN, "该批次不存在，经核实作废")]

    async def audited() -> bool:
        rows = await siquan_env.fetch(
            "oversight", "SELECT body FROM audit_entries WHERE message_type = $1", ACTIVITY)
        bodies = [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]
                  for r in rows]
        seen = {(b["activity"], (b.get("dead_letter") or {}).get("message_id"),
                 (b.get("dead_letter") or {}).get("stated_reason")) for b in bodies}
        return {("dead_letter_replayed", message_id, "资金已拨付，重新处理"),
                ("dead_letter_discarded", message_id, "该批次不存在，经核实作废")} <= seen

    await eventually(audited, what="the replay and the discard in oversight's audit log")


async def test_a_replay_without_a_reason_or_by_a_non_administrator_is_refused(
        siquan_env: Environment, fund_custody: ServiceProcess, context: BrowserContext,
        visits: Visits) -> None:
    _, message_id = await _early_result(siquan_env)
    page = await context.new_page()
    await signed_in(page, fund_custody.url, ADMIN)
    await page.goto(f"{fund_custody.url}/console/dead-letters/{message_id}")
    # The browser's own check (required) is bypassed, as a forged form would be.
    await page.locator("#replay-reason").evaluate("field => field.removeAttribute('required')")
    await page.get_by_role("button", name="重新投递", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("请填写理由")
    assert len(await _letters(siquan_env, message_id)) == 1

    clerk = await context.browser.new_context(locale="zh-CN", bypass_csp=True)  # type: ignore[union-attr]
    other = await clerk.new_page()
    await signed_in(other, fund_custody.url, "clerk-420117-01")
    response = await other.goto(f"{fund_custody.url}/console/dead-letters")
    assert response is not None and response.status == 403
    await visits.shot(other, "dead-letters-refused", prefix="console")
    await clerk.close()
