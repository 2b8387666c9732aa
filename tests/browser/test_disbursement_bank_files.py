"""A county that reaches its bank by batch files, in a real headless Chromium: the
disbursement officer starts the month's run, downloads the instruction file from the run's
page (the bank now holds it), and uploads the bank's result file: each line's outcome is
shown (one paid, one failed with the bank's reason, one line naming a payment of no batch
not applied), the payments settle and fail as the file says, and the same batch cannot be
answered twice. A screenshot of every page and no serious or critical axe-core
violation."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from siquan.shared.accounts.store import development_totp_secret
from siquan.shared.clock import FileClock
from siquan.shared.operator.client import Officers, ServiceClient
from siquan.shared.operator.county_cycle import register_payee_account
from siquan.shared.testing.bank_files import bank_file_env
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually

from .conftest import NOW, log_in, running
from .test_disbursement_console import COUNTY, PROGRAM, PROGRAM_NAME, _certified

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
LATER = NOW + timedelta(minutes=9)
"""The officer signs in on this clock: its TOTP code at NOW is another module's."""
PERIOD = "2026-12"


@pytest.fixture(scope="module")
def disbursement(siquan_env: Environment, clock_file: Path, bank_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Disbursement reaching its bank by CSV batch files in `bank_dir`."""
    yield from running("disbursement", siquan_env, clock_file, tmp_path_factory, {
        **bank_file_env(bank_dir), "SIQUAN_BANK_RESULT_TIMEOUT_SECONDS": "60"})


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="disbursement")


async def certified_with_accounts(env: Environment, disbursement: ServiceProcess,
                                  fund_custody: ServiceProcess,
                                  accounts: Sequence[tuple[str, str | None]]) -> list[str]:
    """Payees certified in the county, one for each (account number, holder's name) given,
    their accounts registered, and the county's appropriation for the year."""
    payees = [await _certified(env) for _ in accounts]
    api, funds = ServiceClient(disbursement.url), ServiceClient(fund_custody.url)
    try:
        for payee, (number, holder) in zip(payees, accounts, strict=True):
            await register_payee_account(api, payee, number, account_name=holder)
        await funds.call("POST", "/appropriations", Officers.treasury, json={
            "program_code": PROGRAM, "fiscal_year": 2026, "division_code": COUNTY,
            "fiscal_level": "county", "amount_fen": 10_000_000})
    finally:
        await api.close()
        await funds.close()
    return payees


async def run_started(browser: Browser, disbursement: ServiceProcess, when: datetime,
                      period: str) -> tuple[BrowserContext, Page, str]:
    """The disbursement officer, signed in on the clock's `when`, starts the period's run
    in the console: the browser context, its page and the run's page, once the run's
    first instruction file is listed there."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        locale="zh-CN", bypass_csp=True)
    page = await context.new_page()
    await log_in(page, disbursement.url, Officers.disburser, f"dev-{Officers.disburser}")
    await page.get_by_label("验证码").fill(
        pyotp.TOTP(development_totp_secret(Officers.disburser)).at(when))
    await page.get_by_role("button", name="确认").click()
    await expect(page.locator("h1")).to_have_text("工作台")
    await page.goto(f"{disbursement.url}/console/disbursement/runs")
    start = page.locator("#start-form")
    await start.get_by_label("救助项目").select_option(PROGRAM)
    await start.get_by_label("发放期").fill(period)
    await start.get_by_role("button", name="发起批次").click()
    await expect(page.locator("h1")).to_have_text(f"发放批次 {PROGRAM_NAME} {period}")
    run_page = page.url

    async def listed() -> bool:
        await page.goto(run_page)
        return await page.locator("#bank-batches .bank-file").count() > 0

    await eventually(listed, timeout=240, interval=1,
                     what="the run's instruction file was written")
    return context, page, run_page


async def test_the_officer_carries_the_files_to_the_bank_and_back(
        browser: Browser, siquan_env: Environment, disbursement: ServiceProcess,
        fund_custody: ServiceProcess, clock_file: Path, bank_dir: Path,
        visits: Visits) -> None:
    await certified_with_accounts(siquan_env, disbursement, fund_custody, [
        ("6228480000000033", None), ("6228480000000041", None)])
    FileClock(clock_file).set(LATER)
    try:
        context, page, run_page = await run_started(browser, disbursement, LATER, PERIOD)
        batch_row = page.locator("#bank-batches .bank-file").first
        await expect(batch_row).to_contain_text("待送银行")
        await seen(visits, page, "run-bank-file-waiting")

        async with page.expect_download() as downloading:
            await batch_row.get_by_role("link", name="下载指令文件").click()
        saved = await (await downloading.value).path()
        text = (await asyncio.to_thread(Path(saved).read_bytes)).decode("utf-8")
        instructions = {r["account_number"]: r for r in csv.DictReader(io.StringIO(text))}
        assert set(instructions) >= {"6228480000000033", "6228480000000041"}
        batch = (await batch_row.locator("td").first.inner_text()).strip()
        assert (bank_dir / "outbox" / "taken" / f"instructions-{batch}.csv").exists()
        await page.goto(run_page)
        await expect(page.locator("#bank-batches .bank-file").first).to_contain_text(
            "银行已接收")

        # the bank's answer: one paid, one refused, one line naming no payment of the batch
        answer = io.StringIO()
        writer = csv.writer(answer, lineterminator="\n")
        writer.writerow(["payment_id", "outcome", "bank_reference", "reason"])
        for account, row in instructions.items():
            if account == "6228480000000041":
                writer.writerow([row["payment_id"], "failed", "", "account frozen"])
            else:
                writer.writerow([row["payment_id"], "settled", f"BK-{account[-4:]}", ""])
        stranger = "00000000-0000-4000-8000-000000000000"
        writer.writerow([stranger, "settled", "BK-0000", ""])
        await page.get_by_label("银行回盘文件").set_input_files(files=[{
            "name": "results.csv", "mimeType": "text/csv",
            "buffer": answer.getvalue().encode("utf-8")}])
        await page.get_by_role("button", name="上传回盘文件").click()
        lines = page.locator("#bank-result-lines tbody tr")
        await expect(lines).to_have_count(len(instructions) + 1)
        failed_id = instructions["6228480000000041"]["payment_id"]
        await expect(lines.filter(has_text=failed_id)).to_contain_text("失败")
        await expect(lines.filter(has_text=failed_id)).to_contain_text("account frozen")
        await expect(lines.filter(
            has_text=instructions["6228480000000033"]["payment_id"])).to_contain_text("已发放")
        await expect(lines.filter(has_text=stranger)).to_contain_text("不是本批次的款项")
        await seen(visits, page, "run-bank-result-uploaded")
        # the batch is answered: no form offers it again, and a second file is refused
        await expect(page.locator("#bank-result-form")).to_have_count(0)
        token = await page.locator("input[name=csrf_token]").first.input_value()
        again = await page.request.post(f"{run_page}/bank-results", multipart={
            "csrf_token": token, "batch": batch, "file": {
                "name": "results.csv", "mimeType": "text/csv",
                "buffer": answer.getvalue().encode("utf-8")}})
        assert again.status == 409
        assert "该批次的银行回盘已收到" in await again.text()

        # the payer takes the file: the payments settle and fail as it says
        await page.goto(run_page)
        await expect(page.locator("#run-status")).to_have_text("已完成", timeout=240_000)
        await expect(page.locator("#count-settled")).to_have_text(
            str(len(instructions) - 1))
        await expect(page.locator("#count-failed")).to_have_text("1")
        await expect(page.locator("#bank-batches .bank-file").first).to_contain_text(
            "银行已回盘")
        await seen(visits, page, "run-bank-file-answered")
        statuses = await siquan_env.fetch(
            "disbursement", "SELECT status FROM payments WHERE payment_id = $1::uuid",
            failed_id)
        assert [r["status"] for r in statuses] == ["failed"]
        await context.close()
    finally:
        FileClock(clock_file).set(NOW)
