"""A payment run as a spreadsheet through disbursement's HTTP API on the real broker and
databases: the control totals, the counts and amounts per status and each payment with
its account masked, to the fen against what the test granted and the bank settled."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from siquan.shared.testing.messages import tap

from .conftest import DISBURSER, OTHER_COUNTY, account_number

pytestmark = pytest.mark.integration
PERIOD = "2031-05"
MONTHLY = {"death": 21_000, "disability": 15_000}  # Wuhan's standard
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEIJING = ZoneInfo("Asia/Shanghai")


def table(sheet: Any, first: str) -> list[tuple[Any, ...]]:
    """The rows under the header row that starts with `first`."""
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == first)
    return rows[header + 1:]


async def test_a_completed_run_exports_its_totals_and_payments_to_the_fen(world: Any) -> None:
    world.start()
    categories = ["death", "death", "disability"]
    for n, category in enumerate(categories, start=1):
        await world.grant(n, category)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(len(categories))
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run(PERIOD)).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested)
        await seen.wait_for("run.completed.v1")
    run_id = requested["run_id"]
    total = sum(MONTHLY[c] for c in categories)
    assert total == 57_000

    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        exported = await client.get(f"/runs/{run_id}.xlsx", headers=DISBURSER)
        paged = await client.get(f"/runs/{run_id}.xlsx", headers=DISBURSER,
                                 params={"limit": 2, "offset": 2})
        elsewhere = await client.get(f"/runs/{run_id}.xlsx", headers=OTHER_COUNTY)
        unknown = await client.get("/runs/00000000-0000-0000-0000-000000000000.xlsx",
                                   headers=DISBURSER)
        too_many = await client.get(f"/runs/{run_id}.xlsx", headers=DISBURSER,
                                    params={"limit": 501})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == XLSX
    assert (elsewhere.status_code, unknown.status_code, too_many.status_code) == (
        403, 404, 422)

    book = load_workbook(io.BytesIO(exported.content))
    summary = {r[0]: r[1:] for r in table(book["批次汇总"], "项目")}
    assert summary["控制总数"] == (3, total, "570.00")
    assert summary["已到账"] == (3, total, "570.00")
    assert summary["失败"] == (0, 0, "0.00") and summary["待发"] == (0, 0, "0.00")
    about = {r[0]: r[1] for r in book["批次汇总"].iter_rows(values_only=True)
             if r[0] in ("发起时间", "完成时间")}
    started = datetime.fromisoformat((await world.run(run_id))["started_at"])
    assert about["发起时间"] == started.astimezone(BEIJING).isoformat(timespec="seconds")
    assert about["完成时间"].endswith("+08:00")  # the office's time, not UTC's
    payments = table(book["支付明细"], "支付编号")
    assert len(payments) == 3
    assert sorted(p[4] for p in payments) == sorted(MONTHLY[c] for c in categories)
    assert sum(p[4] for p in payments) == total
    assert {(p[2], p[3], p[8]) for p in payments} == {(PERIOD, "benefit", "已到账")}
    accounts = {account_number(n) for n in range(1, 4)}
    assert {p[7] for p in payments} == {"*" * (len(a) - 4) + a[-4:] for a in accounts}
    assert not any(a in str(row) for a in accounts for row in payments)
    assert all(p[10] for p in payments)  # each settled payment has the bank's reference

    page = table(load_workbook(io.BytesIO(paged.content))["支付明细"], "支付编号")
    assert [p[0] for p in page] == [payments[2][0]]
