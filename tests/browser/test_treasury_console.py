"""The treasury officer's console in a real headless Chromium, on fund custody: the officer
logs in with the TOTP code, finds the county's special account of the year (opened by a
payment run's allocation request that waits for money), reads the balances per fiscal
level with the waiting allocation and its shortfall, records appropriations by fiscal
level until the run is funded (the forecast, appropriated and outstanding columns per level
checked against the policy's standard and shares), is refused the year-end statement while
the run is unsettled, then produces it once the bank has settled the run and downloads it
as a spreadsheet and as a PDF. Refused: an amount that is not money, a forged form, an
officer without the role. A screenshot of every page and no serious or critical axe-core
violation."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    PaymentRunCompleted,
    PaymentsSettled,
    SettledPayment,
)
from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.policy import load_catalogue
from siquan.shared.accounts.role_pages import yuan
from siquan.shared.person import person_key
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

from .conftest import log_in, log_in_with_code
from .test_disbursement_console import PROGRAM_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
TREASURER = "treasury-420117-01"
PROGRAM, YEAR, COUNTY = "special_assistance", 2026, "420117"
PROGRAM_NAME_EN = "Special assistance for families whose only child died or is disabled"
REQUESTED_FEN = 500_000
LEVELS = ("central", "provincial", "municipal", "county")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def treasurer_signed_in(page: Page, url: str) -> None:
    await log_in_with_code(page, url, TREASURER)


async def accessible(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="treasury")


async def _a_run_waiting_for_money(env: Environment) -> str:
    """A certified person in the county and a payment run asking for more than the
    special account holds (none yet): the allocation waits."""
    resident = ResidentFactory(COUNTY, birth_year=1958).next()
    certified = await publish_as(env, CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key(TEST_PERSON_KEY_SECRET, resident), masked_name="张*",
        masked_resident_id=f"{resident[:4]}**********{resident[-4:]}", division_code=COUNTY,
        effective_from=date(YEAR, 1, 1), reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime(YEAR, 1, 5, tzinfo=UTC)))
    run_id = str(uuid.uuid4())
    await publish_as(env, AllocationRequested(
        run_id=run_id, program_code=PROGRAM, fiscal_year=YEAR, period=f"{YEAR}-11",
        division_code=COUNTY, payee_count=1, total_fen=REQUESTED_FEN))

    async def waiting() -> bool:
        rows = await env.fetch("fund_custody",
                               "SELECT status FROM allocations WHERE run_id = $1", run_id)
        return [r["status"] for r in rows] == ["waiting"]

    await eventually(waiting, what="the run's allocation waiting for money")
    await processed(env, certified)
    return run_id


async def processed(env: Environment, message_id: str) -> None:
    async def taken() -> bool:
        return bool(await env.fetch("fund_custody",
                                    "SELECT 1 FROM inbox WHERE message_id = $1", message_id))

    await eventually(taken, what=f"message {message_id} taken by fund custody")


def forecast_per_level() -> dict[str, int]:
    """One person of the death category certified from 1 January: the standard of each
    month of the year, split by the shares in force (the rounding remainder the
    county's)."""
    catalogue = load_catalogue()
    policy = catalogue.in_force(PROGRAM, date(YEAR, 1, 1), COUNTY)
    assert policy.frequency == "monthly"
    forecast = dict.fromkeys(LEVELS, 0)
    for month in range(1, 13):
        fen = catalogue.amount_for(PROGRAM, "death", f"{YEAR}-{month:02d}", COUNTY)
        shares = catalogue.in_force(PROGRAM, date(YEAR, month, 1), COUNTY).fiscal_shares
        parts = {level: fen * getattr(shares, level) // 10_000 for level in LEVELS[:3]}
        forecast = {level: forecast[level] + part for level, part in
                    (parts | {"county": fen - sum(parts.values())}).items()}
    return forecast


async def levels_shown(page: Page, forecast: dict[str, int],
                       appropriated: dict[str, int]) -> None:
    """Each level's row and the totals: forecast, appropriated, outstanding (the forecast
    not yet appropriated, never negative)."""
    rows = {level: (forecast[level], appropriated.get(level, 0),
                    max(forecast[level] - appropriated.get(level, 0), 0)) for level in LEVELS}
    rows["totals"] = tuple(sum(r[i] for r in rows.values()) for i in range(3))
    for row, figures in rows.items():
        cells = page.locator(f"#level-{row} td")
        for i, fen in enumerate(figures):
            await expect(cells.nth(i)).to_have_text(yuan(fen))


async def settled(env: Environment, run_id: str, fen: int) -> None:
    """The bank settled the whole run, as disbursement reports it; until fund custody has
    taken both messages."""
    for event in (
            PaymentsSettled(run_id=run_id, program_code=PROGRAM, period=f"{YEAR}-11",
                            division_code=COUNTY, chunk=0, payments=(SettledPayment(
                                payment_id=str(uuid.uuid4()), person_key=uuid.uuid4().hex * 2,
                                certification_id=str(uuid.uuid4()), item="benefit",
                                amount_fen=fen, bank_reference="B0"),)),
            PaymentRunCompleted(run_id=run_id, program_code=PROGRAM, period=f"{YEAR}-11",
                                division_code=COUNTY, payee_count=1, total_fen=fen,
                                settled_count=1, settled_fen=fen, failed_count=0,
                                failed_fen=0)):
        await processed(env, await publish_as(env, event))


async def _record(page: Page, level: str, amount: str, document: str) -> None:
    form = page.locator("#appropriation-form")
    await form.get_by_label("财政层级").select_option(label=level)
    await form.get_by_label("金额（元）").fill(amount)
    await form.get_by_label("拨款文号（可选）").fill(document)
    await form.get_by_role("button", name="登记该笔拨款").click()


async def test_a_treasury_officer_records_appropriations_and_reads_the_balances(
        siquan_env: Environment, fund_custody: ServiceProcess, context: BrowserContext,
        visits: Visits) -> None:
    run_id = await _a_run_waiting_for_money(siquan_env)
    page = await context.new_page()
    await treasurer_signed_in(page, fund_custody.url)
    await page.get_by_role("link", name="资金专户").first.click()
    await expect(page.locator("h1")).to_have_text("资金专户")
    accounts = page.locator("#special-accounts")
    await expect(accounts).to_contain_text(PROGRAM_NAME)
    await expect(accounts).to_contain_text(COUNTY)
    await accessible(visits, page, "special-accounts")

    await accounts.get_by_role("link", name=PROGRAM_NAME).click()
    await expect(page.locator("h1")).to_have_text(f"专户 {PROGRAM_NAME} {YEAR} {COUNTY}")
    waiting = page.locator("#waiting-runs")
    await expect(waiting).to_contain_text(run_id)
    await expect(waiting).to_contain_text("¥5,000.00")
    forecast = forecast_per_level()
    assert min(forecast.values()) > 0
    await levels_shown(page, forecast, {})
    await accessible(visits, page, "balances-waiting")

    # Not money: refused with the reason, nothing booked.
    await _record(page, "县级", "三千元", "")
    await expect(page.get_by_role("alert")).to_contain_text("金额以元为单位")
    await accessible(visits, page, "appropriation-refused")

    await page.goto(f"{fund_custody.url}/console/treasury/accounts/{PROGRAM}/{YEAR}/{COUNTY}")
    await _record(page, "县级", "3000.00", "鄂财社〔2026〕101号")
    await expect(page.locator("#notice")).to_have_text("已登记该笔拨款。")
    await expect(page.locator("#level-county")).to_contain_text("¥3,000.00")
    await expect(waiting).to_contain_text("¥2,000.00")  # what the run still lacks
    await accessible(visits, page, "balances-appropriated")

    # The same budget document again books nothing twice.
    await _record(page, "县级", "3000.00", "鄂财社〔2026〕101号")
    await expect(page.locator("#notice")).to_have_text("该文号此前已登记，未重复入账。")
    await expect(page.locator("#level-county")).to_contain_text("¥3,000.00")

    await _record(page, "省级", "2500", "鄂财社〔2026〕102号")
    await expect(page.locator("#level-provincial")).to_contain_text("¥2,500.00")
    await expect(waiting).to_contain_text("没有等待资金的拨付申请。")
    await expect(page.locator("#available")).to_have_text("¥500.00")
    await levels_shown(page, forecast, {"county": 300_000, "provincial": 250_000})
    await accessible(visits, page, "balances-funded")
    booked = await siquan_env.fetch(
        "fund_custody", "SELECT fiscal_level, amount_fen, recorded_by FROM appropriations"
        " ORDER BY recorded_at")
    assert [(r["fiscal_level"], r["amount_fen"], r["recorded_by"]) for r in booked] == [
        ("county", 300_000, TREASURER), ("provincial", 250_000, TREASURER)]

    # English is the second locale.
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("h1")).to_have_text(
        f"Special account {PROGRAM_NAME_EN} {YEAR} {COUNTY}")
    await expect(page.locator("#level-county")).to_contain_text("County")
    await accessible(visits, page, "balances-english")
    await page.get_by_role("link", name="中文").click()

    await page.get_by_role("link", name="年终决算").click()
    await expect(page.locator("h1")).to_have_text(f"年终决算 {PROGRAM_NAME} {YEAR} {COUNTY}")
    await expect(page.locator("#no-statement")).to_be_visible()
    await accessible(visits, page, "statement-not-produced")
    # The year is not over and a run is unsettled: the statement is refused, with why.
    await page.get_by_role("button", name="生成年终决算").click()
    await expect(page.get_by_role("alert")).to_contain_text(run_id)
    await accessible(visits, page, "statement-refused")
    statement_url = page.url

    # A forged form (its CSRF token not the session's) books nothing. (The same session:
    # the TOTP code of the fixed clock is used once.)
    await page.goto(f"{fund_custody.url}/console/treasury")
    await page.evaluate("""() => document.querySelectorAll('input[name=csrf_token]')
                               .forEach(i => { i.value = 'forged'; })""")
    await _record(page, "中央", "100", "")
    await expect(page.get_by_role("status")).to_contain_text("表单已过期")
    assert await siquan_env.fetch(
        "fund_custody", "SELECT 1 FROM appropriations WHERE fiscal_level = 'central'") == []


    # The bank settled the run: the statement closes the year, printable and downloadable.
    await settled(siquan_env, run_id, REQUESTED_FEN)
    await page.goto(statement_url)
    await page.get_by_role("button", name="生成年终决算").click()
    statement = page.locator("#statement")
    await expect(statement).to_be_visible()
    await expect(statement.locator("dt:text-is('拨付合计') + dd")).to_have_text("¥5,500.00")
    await expect(statement.locator("dt:text-is('已发放') + dd")).to_have_text("¥5,000.00")
    await expect(statement.locator("dt:text-is('结转下年') + dd")).to_have_text("¥500.00")
    await accessible(visits, page, "statement-produced")
    await page.emulate_media(media="print")
    await accessible(visits, page, "statement-print")
    await page.emulate_media(media="screen")

    spreadsheet = await page.get_by_role("link", name="XLSX").get_attribute("href")
    printable = await page.get_by_role("link", name="PDF").get_attribute("href")
    assert spreadsheet and printable
    exported = await page.request.get(f"{fund_custody.url}{spreadsheet}")
    assert exported.status == 200 and exported.headers["content-type"] == XLSX
    rows = load_workbook(io.BytesIO(await exported.body())).active.iter_rows(values_only=True)
    lines = {r[0]: r[1] for r in rows if r and isinstance(r[1], int)}
    assert (lines["拨款合计"], lines["期末余额"]) == (550_000, 50_000)
    printed = await page.request.get(f"{fund_custody.url}{printable}")
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    assert (await printed.body()).startswith(b"%PDF")


async def test_an_officer_without_the_role_is_refused(
        browser: Browser, fund_custody: ServiceProcess, visits: Visits) -> None:
    clerk = await browser.new_context(locale="zh-CN", bypass_csp=True)
    other = await clerk.new_page()
    await log_in(other, fund_custody.url, "clerk-420117-01", "dev-clerk-420117-01")
    await expect(other.locator("h1")).to_have_text("工作台")
    response = await other.goto(f"{fund_custody.url}/console/treasury")
    assert response is not None and response.status == 403
    await expect(other.get_by_role("status")).to_contain_text("只有财政专户管理人员")
    await visits.shot(other, "refused-clerk", prefix="treasury")
    await clerk.close()
