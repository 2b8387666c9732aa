"""Eligibility's documents: the roster of certifications as a spreadsheet (each holder's
masked name and ID; the export is a read of every record it lists, recorded with the
purpose the officer stated, as every read of a person's record is) and the public notice
(张榜公示) as a printable PDF: masked name and ID, township, program, category, the
amount the policy pays for it and the notice's period."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts.periods import period_of
from siquan.contracts.policy import PolicyVersion
from siquan.contracts.types import division_scope
from siquan.eligibility.adapters.export_views import ExportViews
from siquan.eligibility.adapters.unit_of_work import EligibilityWork
from siquan.eligibility.application.queries import recorded_read
from siquan.eligibility.domain.errors import Refused
from siquan.shared.auth import Officer
from siquan.shared.documents import xlsx
from siquan.shared.documents.pdf import Printed

ROSTER_COLUMNS = ("认定编号", "姓名", "身份证号", "项目", "类别", "所在地", "生效日期",
                  "有效期至", "状态", "审核人", "审批人")
NOTICE_COLUMNS = ("序号", "姓名", "身份证号", "所在地", "类别", "标准（元）", "起始月份")
STATUS_ZH = {"active": "有效", "revoked": "已撤销", "lapsed": "已失效"}
FREQUENCY_ZH = {"monthly": "每月", "yearly": "每年", "semester": "每半年", "one_off": "一次性"}


async def roster(uow: EligibilityWork, officer: Officer, purpose: str,
                 program_code: str | None, status: str | None, *, limit: int,
                 offset: int) -> bytes:
    """The page of the officer's roster as XLSX; each certification listed is a recorded
    read."""
    scope = division_scope(officer.division)
    rows = await ExportViews(uow.conn).roster(program_code, scope, status, limit=limit,
                                              offset=offset)
    for row in rows:
        recorded_read(uow, officer, purpose, row["person_key"], "certification",
                      row["certification_id"])
    sheet = xlsx.Sheet(
        "认定名册", ROSTER_COLUMNS,
        [(r["certification_id"], r["masked_name"], r["masked_resident_id"], r["program_code"],
          r["category"], r["township_code"] or r["division_code"], r["effective_from"],
          r["valid_until"], STATUS_ZH.get(r["status"], r["status"]), r["reviewed_by"],
          r["approved_by"]) for r in rows],
        about=[("区划", officer.division), ("项目", program_code or "全部"),
               ("状态", STATUS_ZH.get(status or "", status or "全部")),
               ("起始行", offset + 1), ("条数", len(rows)), ("导出人", officer.id),
               ("导出时间", uow.now())])
    return xlsx.workbook([sheet], uow.zone)


async def notice(uow: EligibilityWork, officer: Officer, notice_id: str) -> Printed:
    found = await uow.notices.get(notice_id)
    officer.check_scope(found.township_code or found.division_code)
    entries = await ExportViews(uow.conn).notice_entries(notice_id)
    policies = uow.policies
    try:
        version = policies.in_force(found.program_code, found.published_on,
                                    found.division_code)
    except KeyError as exc:
        raise Refused(f"no policy version of {found.program_code} covers the notice") from exc
    period = period_of(version.frequency, found.published_on)
    rows = []
    for n, entry in enumerate(entries, 1):
        amount = _amount(policies, found.program_code, entry["category"], period,
                         found.division_code)
        rows.append((str(n), entry["masked_name"], entry["masked_resident_id"],
                     entry["township_code"] or entry["division_code"],
                     _category_name(version, entry["category"]),
                     "—" if amount is None else xlsx.yuan(amount),
                     _month(entry["eligible_from"])))
    where = found.township_code or found.division_code
    return Printed(
        title=f"{version.name_zh}对象公示",
        lines=[f"区划：{where}　　政策版本：{version.version}　　"
               f"发放：{FREQUENCY_ZH.get(version.frequency, version.frequency)}",
               f"公示期：{found.published_on.isoformat()} 至 {found.closes_on.isoformat()}"
               f"（{found.notice_days} 天）　　共 {len(entries)} 人"],
        columns=NOTICE_COLUMNS, rows=rows, widths=(8, 14, 30, 20, 16, 16, 16),
        closing=["以上人员经村（居）民评议、乡镇（街道）审核，现予公示。公示期间如有异议，"
                 "请向乡镇（街道）或县级卫生健康部门反映。",
                 "姓名与身份证号已按规定遮蔽。"])


def _category_name(version: PolicyVersion, category: str) -> str:
    """The category as the notice names it: the policy's Chinese name (the code for a
    category the version in force does not know)."""
    try:
        return version.benefit(category).label_zh
    except KeyError:
        return category


def _amount(policies: Any, program_code: str, category: str, period: str,
            division: str) -> int | None:
    try:
        amount: int = policies.amount_for(program_code, category, period, division)
    except (KeyError, ValueError):
        return None
    return amount


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"
