"""A payment run as a spreadsheet: the run's summary (what `GET /runs/{run_id}` shows,
control totals and per-status counts and amounts in fen) and its payments, a page at a
time (account numbers masked but for the last four digits). A bank statement's
reconciliation as a spreadsheet: the import (the bank's batch, lines and sum, how many
lines matched a settled payment on id, amount and account) beside the run's settled and
returned sums, and every difference with its evidence (accounts masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from siquan.disbursement.adapters.export_views import RunExportViews
from siquan.disbursement.adapters.unit_of_work import DisbursementWork
from siquan.disbursement.application.queries import show_run
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.roster import mask_account
from siquan.shared.auth import Officer
from siquan.shared.documents import xlsx

STATUS_ZH = {"settled": "已到账", "failed": "失败", "cancelled": "已取消", "pending": "待发"}
SUMMARY_COLUMNS = ("项目", "笔数", "金额（分）", "金额（元）")
PAYMENT_COLUMNS = ("支付编号", "认定编号", "期间", "类型", "金额（分）", "金额（元）",
                   "开户行", "账号（遮蔽）", "状态", "原因", "银行流水号", "退回日期",
                   "退回原因")


async def run_xlsx(uow: DisbursementWork, officer: Officer, run_id: str, *, limit: int,
                   offset: int) -> bytes:
    run = await show_run(uow, officer, run_id)  # 404 / 403 before any payment is read
    payments = await RunExportViews(uow.conn).payments(run["run_id"], limit=limit,
                                                       offset=offset)
    return xlsx.workbook([_summary(run), xlsx.Sheet(
        "支付明细", PAYMENT_COLUMNS,
        [(p["payment_id"], p["certification_id"], p["period"], p["item"], p["amount_fen"],
          xlsx.yuan(p["amount_fen"]), p["bank_code"], mask_account(p["account_number"]),
          STATUS_ZH.get(p["status"], p["status"]), p["reason"], p["bank_reference"],
          p["returned_on"], p["return_reason"]) for p in payments],
        about=[("批次", run["run_id"]), ("起始行", offset + 1), ("条数", len(payments)),
               ("总笔数", run["control_totals"]["payee_count"])])], uow.zone)


def _summary(run: dict[str, Any]) -> xlsx.Sheet:
    def line(label: str, count: int, fen: int) -> tuple[str, int, int, str]:
        return (label, count, fen, xlsx.yuan(fen))

    totals = run["control_totals"]
    rows = [line("控制总数", totals["payee_count"], totals["total_fen"]),
            *(line(STATUS_ZH[s], run["counts"][s], run["amounts_fen"][s])
              for s in ("settled", "failed", "cancelled", "pending")),
            line("退回", run["returned"]["count"], run["returned"]["amount_fen"]),
            line("补发", run["arrears"]["count"], run["arrears"]["amount_fen"])]
    return xlsx.Sheet("批次汇总", SUMMARY_COLUMNS, rows, about=[
        ("批次", run["run_id"]), ("类型", run["kind"]), ("项目", run["program_code"]),
        ("期间", run["period"]), ("区划", run["division_code"]),
        ("政策版本", run["policy_version"]), ("状态", run["status"]),
        ("发起人", run["started_by"]), ("发起时间", _instant(run["started_at"])),
        ("完成时间", _instant(run["completed_at"]))])


def _instant(value: str | datetime | None) -> datetime | None:
    """A time of the run's view (ISO text there) as a time, which the spreadsheet writes
    in the office's zone."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


DIFFERENCE_ZH = {"amount_differs": "金额不符", "account_differs": "账号不符",
                 "amount_and_account_differ": "金额、账号均不符",
                 "not_settled": "未到账却列入对账单", "unknown_payment": "批次中无此支付",
                 "duplicate_line": "重复列入", "missing_from_statement": "已到账未列入对账单"}
PAYMENT_STATUS_ZH = {"pending": "待发放", "settled": "已到账", "failed": "发放失败",
                     "cancelled": "已取消", "returned": "已退回"}
"""A payment's state in the system, as the reconciliation's 系统状态 column names it."""
DIFFERENCE_COLUMNS = ("行号", "差异", "支付编号", "应付（分）", "对账单（分）",
                      "应付账号（遮蔽）", "对账单账号（遮蔽）", "系统状态", "银行流水号")


async def statement_xlsx(uow: DisbursementWork, officer: Officer, run_id: str,
                         statement_id: str) -> bytes:
    run = await show_run(uow, officer, run_id)  # 404 / 403 before the statement is read
    found = await RunExportViews(uow.conn).statement(run["run_id"], statement_id)
    if found is None:
        raise NotFound(f"no statement {statement_id} for run {run_id}")
    settled, returned = run["amounts_fen"]["settled"], run["returned"]["amount_fen"]
    summary = [("对账单", found["line_count"], found["total_fen"],
                xlsx.yuan(found["total_fen"])),
               ("已到账（系统）", run["counts"]["settled"], settled, xlsx.yuan(settled)),
               ("其中退回", run["returned"]["count"], returned, xlsx.yuan(returned)),
               ("相符", found["matched_count"], None, None),
               ("差异", found["difference_count"], None, None)]
    differences = [(d["line"] or None, DIFFERENCE_ZH.get(d["kind"], d["kind"]),
                    d["payment_id"], d["expected_amount_fen"], d["stated_amount_fen"],
                    d["expected_account"], d["stated_account"],
                    PAYMENT_STATUS_ZH.get(d["held_status"] or "", d["held_status"]),
                    d["bank_reference"]) for d in found["differences"]]
    return xlsx.workbook([
        xlsx.Sheet("对账汇总", SUMMARY_COLUMNS, summary, about=[
            ("批次", run["run_id"]), ("项目", run["program_code"]),
            ("期间", run["period"]), ("区划", run["division_code"]),
            ("银行批次号", found["batch"]), ("文件摘要 SHA-256", found["sha256"]),
            ("导入人", found["imported_by"]), ("导入时间", _instant(found["imported_at"]))]),
        xlsx.Sheet("对账差异", DIFFERENCE_COLUMNS, differences, about=[
            ("批次", run["run_id"]), ("差异条数", len(differences))])], uow.zone)
