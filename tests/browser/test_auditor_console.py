"""The auditor's console in a real headless Chromium, on oversight: the auditor logs in,
sees a county's payment run reconciled on the dashboard (allocated, paid and settled the
same, drawn as inline SVG) with the one false claim it found; browses the audit log and
verifies the chain; reads the finding (paid after revocation, wrong payment, the officer
who started the run traced, the person held by the rule) and places a hold on its run with
a reason, then lifts it;
sees a complaint's SLA timer and assigns it; reads the checkpoints and oversight's own
dead letters. Refused: a hold without a reason, a forged form, an officer without the
role. A screenshot of every page and no serious or critical axe-core violation."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

from .conftest import NOW, log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
AUDITOR = "auditor-420117-01"
DISBURSER = "disburser-420117-01"
PROGRAM, PERIOD, COUNTY, OWED = "special_assistance", "2026-11", "420117", 21_000
SPECIAL_ASSISTANCE = "独生子女死亡/伤残家庭特别扶助"  # the program's name in the catalogue
BASE = "/console/audit"


@pytest.fixture(scope="module")
def oversight(siquan_env: Environment, clock_file: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Oversight on the module's clock, escalating overdue complaints every half second and
    publishing a checkpoint every two seconds the log moved."""
    env = {**siquan_env.service_env("oversight", port=free_port()),
           "SIQUAN_CHECKPOINT_SECONDS": "2", "SIQUAN_CLOCK_FILE": str(clock_file),
           "SIQUAN_PUBLIC_RATE_PER_MINUTE": "0", "SIQUAN_COMPLAINT_ESCALATION_SECONDS": "0.5"}
    process = ServiceProcess("oversight", env,
                             tmp_path_factory.mktemp("oversight-logs")).start()
    try:
        yield process
    finally:
        process.stop()


async def accessible(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="auditor")


def granted(person_key: str) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key, masked_name="王*", masked_resident_id="4201**********0011",
        division_code=COUNTY, effective_from=date(2026, 1, 1),
        reviewed_by="reviewer-420117-01", approved_by="approver-420117-01",
        approved_at=datetime(2026, 1, 5, tzinfo=UTC))


def a_reconciled_run_paying_a_revoked_certification() -> tuple[list[Event], str, str]:
    """Two certified in the county, one of them revoked from October; a November run pays
    both, the bank settles both and fund custody settles the run: allocated, paid and
    settled agree, and the revoked one's payment is a false claim."""
    kept, revoked = granted(secrets.token_hex(32)), granted(secrets.token_hex(32))
    run = {"run_id": str(uuid.uuid4()), "program_code": PROGRAM, "period": PERIOD,
           "division_code": COUNTY}
    payments = tuple(disbursement.SettledPayment(
        payment_id=str(uuid.uuid4()), person_key=c.person_key,
        certification_id=c.certification_id, item="benefit", amount_fen=OWED,
        bank_reference=f"B{n}") for n, c in enumerate((kept, revoked)))
    return [
        kept, revoked,
        eligibility.CertificationRevoked(
            certification_id=revoked.certification_id, program_code=PROGRAM,
            person_key=revoked.person_key, division_code=COUNTY,
            effective_from=date(2026, 10, 1), reason="moved out of the county",
            revoked_by="approver-420117-01"),
        disbursement.PaymentRunStarted(payee_count=2, total_fen=2 * OWED, skipped=(),
                                       started_by=DISBURSER, **run),
        disbursement.AllocationRequested(fiscal_year=2026, payee_count=2,
                                         total_fen=2 * OWED, **run),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()),
                                        amount_fen=2 * OWED, available_fen=0, **run),
        disbursement.PaymentsSettled(chunk=0, payments=payments, **run),
        disbursement.PaymentRunCompleted(payee_count=2, total_fen=2 * OWED, settled_count=2,
                                         settled_fen=2 * OWED, failed_count=0, failed_fen=0,
                                         **run),
        fund_custody.SettlementCompleted(reserved_fen=2 * OWED, paid_fen=2 * OWED,
                                         released_fen=0, available_fen=0, **run),
    ], run["run_id"], revoked.person_key


async def _findings_of(env: Environment, person_key: str) -> list[dict[str, Any]]:
    rows = await env.fetch("oversight", "SELECT finding_id::text, rule, officer_id"
                           " FROM findings WHERE person_key = $1", person_key)
    return [dict(r) for r in rows]


async def test_an_auditor_reconciles_verifies_holds_and_lifts(
        siquan_env: Environment, oversight: ServiceProcess, context: BrowserContext,
        visits: Visits) -> None:
    events, run_id, person_key = a_reconciled_run_paying_a_revoked_certification()
    for event in events:
        await publish_as(siquan_env, event)
    (finding,) = await eventually(lambda: _findings_of(siquan_env, person_key),
                                  what="the payment after revocation found")
    assert (finding["rule"], finding["officer_id"]) == ("paid_after_revocation", DISBURSER)

    async def settled() -> bool:
        rows = await siquan_env.fetch("oversight", "SELECT status FROM payment_runs"
                                      " WHERE run_id = $1", run_id)
        return [r["status"] for r in rows] == ["settled"]

    await eventually(settled, what="the run settled in oversight's figures")
    async with httpx.AsyncClient(base_url=oversight.url) as public:
        filed = await public.post("/public/complaints", json={
            "category": "not_paid_in_full", "division_code": COUNTY, "anonymous": True,
            "description": "十一月的特扶金没有到账 <script>alert(1)</script>"})
    assert filed.status_code == 201, filed.text
    tracking = filed.json()["tracking_number"]

    page = await context.new_page()
    await log_in(page, oversight.url, AUDITOR, f"dev-{AUDITOR}")
    await expect(page.locator("h1")).to_have_text("工作台")
    await accessible(visits, page, "home")

    # The dashboard: the run reconciled, the false claim counted, the charts drawn.
    await page.get_by_role("link", name="对账", exact=True).first.click()
    await expect(page.locator("h1")).to_have_text("对账")
    row = page.locator(f"#figures-{PROGRAM}-{PERIOD}")
    await expect(row.locator("td").nth(3)).to_have_text("¥420.00")  # allocated
    await expect(row.locator("td").nth(4)).to_have_text("¥420.00")  # paid
    await expect(row.locator("td").nth(5)).to_have_text("2")
    await expect(row.locator("td").nth(6)).to_have_text("¥420.00")  # settled
    await expect(row.locator("td").nth(7)).to_have_text("是：发放与结算一致")
    await expect(row.locator("td").nth(9)).to_have_text("1")  # the false claim
    bars = page.locator("#chart-money rect.bar")
    await expect(bars).to_have_count(3)
    heights = [await bars.nth(i).get_attribute("height") for i in range(3)]
    assert len(set(heights)) == 1 and float(heights[0] or 0) > 0, heights
    await accessible(visits, page, "dashboard")

    # The audit log, filtered by producer, and the chain verified.
    await page.get_by_role("link", name="审计日志").first.click()
    await expect(page.locator("h1")).to_have_text("审计日志")
    await page.get_by_label("来源系统").select_option("disbursement")
    await page.get_by_label("事件类型").select_option("payments.settled.v1")
    await page.get_by_role("button", name="筛选").click()
    entries = page.locator("#audit-entries tbody tr")
    await expect(entries.first).to_contain_text("payments.settled.v1")
    await expect(page.locator("#audit-entries")).not_to_contain_text("payment_run.started")
    await accessible(visits, page, "audit-log-filtered")
    await page.get_by_role("button", name="校验链条").click()
    await expect(page.locator("#verification")).to_contain_text("链条完整")
    await accessible(visits, page, "audit-log-verified")

    # The finding: its category, evidence and the officer traced.
    await page.get_by_role("link", name="问题线索").first.click()
    await expect(page.locator("h1")).to_have_text("问题线索")
    wrong = page.locator("#findings-wrong_payment")
    await expect(wrong).to_contain_text("撤销后仍发放")
    await expect(wrong).to_contain_text("资格撤销之后")
    await expect(wrong).to_contain_text(f"{SPECIAL_ASSISTANCE} {PERIOD}")
    await accessible(visits, page, "findings")
    await page.goto(f"{oversight.url}{BASE}/findings/{finding['finding_id']}")
    await expect(page.locator("h1")).to_have_text("问题：撤销后仍发放")
    await expect(page.locator("#finding-reason")).to_contain_text("资格撤销之后")
    await expect(page.locator("#finding-category")).to_have_text("错发")
    await expect(page.locator("#finding-officer")).to_have_text(DISBURSER)
    await expect(page.locator("#finding-program")).to_have_text(
        f"{SPECIAL_ASSISTANCE} {PROGRAM} {PERIOD}")
    await expect(page.locator("#finding-evidence li").first).to_be_visible()
    await accessible(visits, page, "finding")
    # Each piece of evidence opens its entry in the audit log.
    evidence = page.locator("#finding-evidence a").first
    message_id = (await evidence.inner_text()).strip()
    await evidence.click()
    await expect(page.locator("#audit-entries tbody tr")).to_have_count(1)
    await expect(page.locator("#audit-entries")).to_contain_text(message_id)
    await accessible(visits, page, "audit-log-evidence")
    await page.go_back()

    # The rule held the person's payments itself; the auditor holds the whole run too.
    holds = page.locator("#holds")
    await expect(holds).to_contain_text("oversight-reconciliation")
    await expect(holds).to_contain_text(f"· {SPECIAL_ASSISTANCE}")  # the program by its name
    form = page.locator("#hold-form")
    await expect(form.get_by_label("人员标识")).to_have_value(person_key)
    await form.get_by_label("人员标识").fill("")
    await form.get_by_label("项目（可选）").fill("")
    await form.get_by_label("发放批次编号").fill(run_id)
    await page.evaluate("() => document.getElementById('hold-reason').removeAttribute("
                        "'required')")
    await form.get_by_role("button", name="止付").click()
    await expect(page.get_by_role("alert")).to_contain_text("请说明理由")
    await accessible(visits, page, "hold-refused")
    await form.get_by_label("止付理由").fill("认定已于十月撤销，十一月仍发放，核查期间止付")
    await form.get_by_role("button", name="止付").click()
    await expect(page.locator("#notice")).to_have_text("已设置止付并通知发放系统。")
    (hold,) = await siquan_env.fetch("oversight", "SELECT hold_id::text, placed_by, evidence"
                                     " FROM holds WHERE run_id = $1", run_id)
    assert hold["placed_by"] == AUDITOR
    assert hold["evidence"] == [f"finding {finding['finding_id']}"]
    placed = page.locator(f"#hold-{hold['hold_id']}")
    await expect(placed).to_contain_text("认定已于十月撤销")
    await expect(placed).to_contain_text(run_id)
    await expect(placed).to_contain_text("生效中")
    await accessible(visits, page, "finding-held")

    # The holds page lists it; it is lifted from the finding with a reason.
    await page.get_by_role("link", name="止付", exact=True).first.click()
    await expect(page.locator(f"#hold-{hold['hold_id']}")).to_contain_text("生效中")
    await accessible(visits, page, "holds")
    await page.goto(f"{oversight.url}{BASE}/findings/{finding['finding_id']}")
    await placed.get_by_label("解除理由").fill("核实为迁出前的应发月份，解除止付")
    await placed.get_by_role("button", name="解除止付").click()
    await expect(page.locator("#notice")).to_have_text("已解除止付并通知发放系统。")
    await expect(placed).to_contain_text(f"已由 {AUDITOR} 解除")
    await accessible(visits, page, "finding-lifted")
    (lifted,) = await siquan_env.fetch("oversight", "SELECT lifted_by FROM holds"
                                       " WHERE hold_id = $1::uuid", hold["hold_id"])
    assert lifted["lifted_by"] == AUDITOR

    # Complaints with their SLA timer; the description escaped.
    await page.get_by_role("link", name="投诉", exact=True).first.click()
    await expect(page.locator("#complaints")).to_contain_text(tracking)
    await expect(page.locator("#complaints")).to_contain_text("剩余")
    await accessible(visits, page, "complaints")
    await page.get_by_role("link", name=tracking).click()
    await expect(page.locator("dl.facts")).to_contain_text("<script>alert(1)</script>")
    await page.get_by_label("承办人").fill("新洲区民政局 张科长")
    await page.get_by_role("button", name="指派").click()
    await expect(page.locator("#notice")).to_have_text("已指派该投诉。")
    await accessible(visits, page, "complaint-assigned")

    (checkpoint,) = await eventually(lambda: siquan_env.fetch(
        "oversight", "SELECT head_hash FROM audit_checkpoints ORDER BY seq LIMIT 1"),
        what="a checkpoint published")
    await page.get_by_role("link", name="检查点").first.click()
    await expect(page.locator("h1")).to_have_text("检查点")
    await expect(page.locator("#checkpoints")).to_contain_text(checkpoint["head_hash"])
    await accessible(visits, page, "checkpoints")
    await page.get_by_role("link", name="运行状况").first.click()
    await expect(page.locator("#dead-letter-alert")).to_be_visible()
    await accessible(visits, page, "operations")

    # English is the second locale.
    await page.goto(f"{oversight.url}{BASE}?lang=en")
    await expect(page.locator("h1")).to_have_text("Reconciliation")
    await expect(page.locator(f"#figures-{PROGRAM}-{PERIOD}")).to_contain_text(
        "Yes: paid equals settled")
    await accessible(visits, page, "dashboard-english")

    # A forged form (its CSRF token not the session's) places nothing.
    await page.goto(f"{oversight.url}{BASE}/holds?lang=zh-CN")
    await page.evaluate("""() => document.querySelectorAll('input[name=csrf_token]')
                               .forEach(i => { i.value = 'forged'; })""")
    await page.get_by_label("发放批次编号").fill(run_id)
    await page.get_by_label("止付理由").fill("伪造的表单")
    await page.get_by_label("证据（每行一条）").fill("doc-1")
    await page.locator("#hold-form").get_by_role("button", name="止付").click()
    await expect(page.get_by_role("status")).to_contain_text("表单已过期")
    on_the_run = await siquan_env.fetch("oversight", "SELECT hold_id::text FROM holds"
                                        " WHERE run_id = $1", run_id)
    assert [r["hold_id"] for r in on_the_run] == [hold["hold_id"]]  # lifted above; no other


async def test_an_officer_without_the_role_is_refused(
        browser: Browser, oversight: ServiceProcess, visits: Visits) -> None:
    clerk = await browser.new_context(locale="zh-CN", bypass_csp=True)
    other = await clerk.new_page()
    await log_in(other, oversight.url, "clerk-420117-01", "dev-clerk-420117-01")
    await expect(other.locator("h1")).to_have_text("工作台")
    response = await other.goto(f"{oversight.url}{BASE}/findings")
    assert response is not None and response.status == 403
    await expect(other.get_by_role("status")).to_contain_text("只有监督审计人员")
    await visits.shot(other, "refused-clerk", prefix="auditor")
    await clerk.close()


async def test_the_first_altered_entry_is_named_when_the_chain_is_verified(
        siquan_env: Environment, oversight: ServiceProcess, context: BrowserContext,
        visits: Visits) -> None:
    grant = granted(secrets.token_hex(32))
    await publish_as(siquan_env, grant)

    async def logged() -> list[Any]:
        return await siquan_env.fetch(
            "oversight", "SELECT seq, body::text AS body FROM audit_entries"
            " WHERE body->>'certification_id' = $1", grant.certification_id)

    ((seq, original),) = await eventually(logged, what="the grant logged")
    conn = await asyncpg.connect(siquan_env.pg_dsn("oversight"))
    try:
        async with conn.transaction():  # as an intruder would, holding the chain head
            await conn.execute("SELECT 1 FROM audit_chain_head FOR UPDATE")
            await conn.execute("UPDATE audit_entries SET body = jsonb_set(body,"
                               " '{approved_by}', '\"approver-420117-99\"') WHERE seq = $1",
                               seq)
        page = await context.new_page()
        await log_in(page, oversight.url, AUDITOR, f"dev-{AUDITOR}")
        await page.goto(f"{oversight.url}{BASE}/log")
        await page.get_by_role("button", name="校验链条").click()
        await expect(page.locator("#verification")).to_contain_text(
            f"链条在第 {seq} 条断开：被篡改")
        await expect(page.locator("#audit-entries tr.bad td").first).to_have_text(f"{seq} ✗")
        await accessible(visits, page, "audit-log-broken")
    finally:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM audit_chain_head FOR UPDATE")
            await conn.execute("UPDATE audit_entries SET body = $2::jsonb WHERE seq = $1",
                               seq, original)
        await conn.close()
    await page.get_by_role("button", name="校验链条").click()
    await expect(page.locator("#verification")).to_contain_text("链条完整")


async def test_an_overdue_complaint_is_shown_escalated_with_the_time_past_its_due_date(
        siquan_env: Environment, oversight: ServiceProcess, clock_file: Path,
        context: BrowserContext, visits: Visits) -> None:
    """Last of the module: the clock moves a month on."""
    async with httpx.AsyncClient(base_url=oversight.url) as public:
        filed = await public.post("/public/complaints", json={
            "category": "officer_misconduct", "division_code": COUNTY, "anonymous": True,
            "description": "村干部要求好处费"})
    assert filed.status_code == 201, filed.text
    tracking = filed.json()["tracking_number"]
    FileClock(clock_file).set(NOW + timedelta(days=30))

    async def escalated() -> bool:
        rows = await siquan_env.fetch("oversight", "SELECT status FROM complaints"
                                      " WHERE tracking_number = $1", tracking)
        return [r["status"] for r in rows] == ["escalated"]

    await eventually(escalated, what="the overdue complaint escalated")
    page = await context.new_page()
    await log_in(page, oversight.url, AUDITOR, f"dev-{AUDITOR}")
    await page.goto(f"{oversight.url}{BASE}/complaints?status=escalated")
    row = page.locator("#complaints tbody tr", has_text=tracking)
    await expect(row).to_contain_text("已逾期")
    await expect(row).to_contain_text("已升级")
    await accessible(visits, page, "complaints-escalated")
    await row.get_by_role("link", name=tracking).click()
    await page.get_by_label("属实", exact=True).check()
    await page.get_by_label("理由", exact=True).fill("经查属实，已移交纪检")
    await page.get_by_role("button", name="办结").click()
    await expect(page.locator("#notice")).to_have_text("已办结该投诉。")
    await expect(page.locator("#time-left")).to_have_text("—")
    await accessible(visits, page, "complaint-resolved")
