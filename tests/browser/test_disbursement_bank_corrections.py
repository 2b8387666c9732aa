"""A county whose bank answers by the fixed-width GBK 代发 files, in a real headless
Chromium: the bank's results file states one payment's amount otherwise than instructed.
The officer uploads it: that line is shown not applied, the run shows the payment waiting
for the bank's corrected results (更正回盘) while the rest of its batch is paid, and does
not complete. The officer uploads the bank's corrected results file for the same batch:
the payment is paid and the run completes, every payment instructed once. A screenshot of
every page and no serious or critical axe-core violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siquan.disbursement.adapters.batch_file_bank import GbkFormat
from siquan.disbursement.application.ports import BankResult, PaymentInstruction
from siquan.shared.clock import FileClock
from siquan.shared.testing.bank_files import bank_file_env
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.waiting import eventually

from .conftest import NOW, running
from .test_disbursement_bank_files import certified_with_accounts, run_started

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

Visits = Any  # the `visits` fixture (conftest): screenshots and the axe-core scan
LATER = NOW + timedelta(minutes=13)
"""The officer signs in on this clock: its TOTP code at NOW is another module's."""
PERIOD = "2026-12"
KEY = "a-key-the-county-shares-with-its-bank"
MISSTATED, AS_SENT = "6228480000000058", "6228480000000066"
STATED_MORE = 100  # fen the bank's first results state over the instruction


@pytest.fixture(scope="module")
def disbursement(siquan_env: Environment, clock_file: Path, bank_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Disbursement reaching its bank by GBK batch files in `bank_dir`."""
    yield from running("disbursement", siquan_env, clock_file, tmp_path_factory, {
        **bank_file_env(bank_dir, gbk_key=KEY), "SIQUAN_BANK_RESULT_TIMEOUT_SECONDS": "60",
        "SIQUAN_BANK_FILE_SETTLE_MS": "0", "SIQUAN_PAYMENT_POLL_SECONDS": "0.2"})


def results_file(tmp: Path, batch: str, sent: list[PaymentInstruction], *,
                 corrected: bool) -> bytes:
    """The bank's results of the batch, every payment paid; until `corrected`, the line of
    the payment to MISSTATED states more than it was instructed."""
    path = tmp / f"results-{batch}-{'corrected' if corrected else 'first'}.dat"
    GbkFormat(KEY).write_results(path, batch, [
        (BankResult(i.payment_id, "settled", f"BK-{i.account_number[-4:]}", ""),
         i if corrected or i.account_number != MISSTATED
         else i._replace(amount_fen=i.amount_fen + STATED_MORE)) for i in sent])
    return path.read_bytes()


async def upload(page: Page, batch: str, content: bytes) -> None:
    form = page.locator("#bank-result-form")
    await form.get_by_label("回盘对应的批次").select_option(batch)
    await form.get_by_label("银行回盘文件").set_input_files(files=[{
        "name": f"results-{batch}.dat", "mimeType": "application/octet-stream",
        "buffer": content}])
    await form.get_by_role("button", name="上传回盘文件").click()


async def test_a_misstated_line_waits_for_the_bank_s_corrected_results(
        browser: Browser, siquan_env: Environment, disbursement: ServiceProcess,
        fund_custody: ServiceProcess, clock_file: Path, bank_dir: Path, visits: Visits,
        tmp_path: Path) -> None:
    await certified_with_accounts(siquan_env, disbursement, fund_custody, [
        (MISSTATED, "李秀英"), (AS_SENT, "李建国")])  # a 代发 file names the holder
    FileClock(clock_file).set(LATER)
    try:
        context, page, run_page = await run_started(browser, disbursement, LATER, PERIOD)
        batch_row = page.locator("#bank-batches .bank-file").first
        async with page.expect_download() as downloading:
            await batch_row.get_by_role("link", name="下载指令文件").click()
        saved = Path(await (await downloading.value).path())
        sent = GbkFormat(KEY).read_instructions(saved)
        assert sorted(i.account_number for i in sent) == [MISSTATED, AS_SENT]
        batch = (await batch_row.locator("td").first.inner_text()).strip()
        misstated_id = next(i.payment_id for i in sent if i.account_number == MISSTATED)

        # the bank's first results: the misstated line is not applied, the other is paid
        await page.goto(run_page)
        await upload(page, batch, results_file(tmp_path, batch, sent, corrected=False))
        lines = page.locator("#bank-result-lines tbody tr")
        await expect(lines).to_have_count(2)
        await expect(lines.filter(has_text=misstated_id)).to_contain_text(
            "未处理：金额与指令不符")

        async def waiting() -> bool:
            await page.goto(run_page)
            return await page.locator("#awaiting-correction").count() == 1

        await eventually(waiting, timeout=60, interval=0.5,
                         what="the run shows the payment waiting for the correction")
        owed = next(i.amount_fen for i in sent if i.account_number == MISSTATED)
        await expect(page.locator("#awaiting-correction")).to_contain_text(
            f"1 笔待发放款项（¥{owed // 100:,}.{owed % 100:02d}）")
        await expect(page.locator("#awaiting-correction")).to_contain_text(batch)
        await expect(page.locator("#awaiting-correction")).to_contain_text(
            "同批次其余款项已按银行回盘记录")
        # only the misstated payment waits: its batch's other payment is paid
        await expect(page.locator("#count-settled")).to_have_text("1")
        await expect(page.locator("#count-pending")).to_have_text("1")
        await expect(page.locator("#run-status")).not_to_have_text("已完成")
        await expect(page.locator("#result-batch option")).to_have_text(
            [f"{batch} (更正回盘)"])
        await seen(visits, page, "run-awaiting-bank-correction")

        # the bank's corrected results replace its first: the payment is paid, once
        await upload(page, batch, results_file(tmp_path, batch, sent, corrected=True))
        await expect(lines).to_have_count(2)
        await expect(lines.filter(has_text=misstated_id)).to_contain_text("已发放")
        await page.goto(run_page)
        await expect(page.locator("#run-status")).to_have_text("已完成", timeout=120_000)
        await expect(page.locator("#count-settled")).to_have_text("2")
        await expect(page.locator("#awaiting-correction")).to_have_count(0)
        await expect(page.locator("#bank-result-form")).to_have_count(0)
        await seen(visits, page, "run-bank-corrected")
        instructed = sorted(p.name for p in (bank_dir / "outbox").rglob("instructions-*"))
        assert instructed == [f"instructions-{batch}.dat"]  # never instructed again
        await context.close()
    finally:
        FileClock(clock_file).set(NOW)


async def seen(visits: Visits, page: Page, name: str) -> None:
    await visits.shot(page, name, prefix="disbursement")
