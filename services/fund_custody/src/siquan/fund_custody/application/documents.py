"""Fund custody's documents: the year-end statement as a spreadsheet and as a printable
PDF, and the monthly report upward as a spreadsheet. Money is integer fen in the
spreadsheets (a yuan column beside it to read) and yuan with two decimals in print."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from siquan.shared.clock import local_time
from siquan.shared.documents import xlsx
from siquan.shared.documents.pdf import Printed
from siquan.shared.policy_names import program_name

LEVEL_ZH = {"central": "中央", "provincial": "省级", "municipal": "市级", "county": "县级"}
REPORT_LEVEL_ZH = {"county": "县级", "city": "市级", "province": "省级"}
STATEMENT_COLUMNS = ("项目", "金额（分）", "金额（元）")
REPORT_COLUMNS = ("区划", "财政级次", "本月预测（分）", "本月拨付（分）", "本月支出（分）",
                  "本月缺口（分）", "累计预测（分）", "累计拨付（分）", "累计支出（分）",
                  "累计缺口（分）")


def statement_lines(statement: dict[str, Any]) -> list[tuple[str, int]]:
    """The statement's money lines, in the order it balances: opening, each level's
    appropriation, their total, payments, returns, closing."""
    return [("期初结转", statement["opening_fen"]),
            *((f"{LEVEL_ZH[level]}拨款", fen)
              for level, fen in statement["appropriated"].items()),
            ("拨款合计", statement["appropriated_total_fen"]),
            ("支付（银行已结算）", statement["paid_fen"]),
            ("退回", statement["returned_fen"]),
            *((("追回", statement["recovered_fen"]),)
              if statement.get("recovered_fen") else ()),
            ("期末余额", statement["closing_fen"])]


def _statement_about(statement: dict[str, Any]) -> list[tuple[str, xlsx.Cell]]:
    return [("项目", f"{program_name(statement['program_code'])}（{statement['program_code']}）"),
            ("年度", statement["fiscal_year"]), ("区划", statement["division_code"]),
            ("结算编号", statement["statement_id"]),
            ("编制人", statement["produced_by"]),
            ("编制时间", statement["produced_at"])]


def statement_xlsx(statement: dict[str, Any], zone: tzinfo) -> bytes:
    """The statement as a spreadsheet, its time in the office's zone (`zone`)."""
    lines = [(label, fen, xlsx.yuan(fen)) for label, fen in statement_lines(statement)]
    runs = [("已结算批次（个）", statement["runs_settled"], ""),
            ("预留（分）", statement["reserved_fen"], xlsx.yuan(statement["reserved_fen"])),
            ("释放（分）", statement["released_fen"], xlsx.yuan(statement["released_fen"]))]
    return xlsx.workbook([xlsx.Sheet("年终结算", STATEMENT_COLUMNS, [*lines, *runs],
                                     about=_statement_about(statement))], zone)


def statement_pdf(statement: dict[str, Any], zone: tzinfo) -> Printed:
    """The statement to print, its time in the office's zone (`zone`)."""
    name = program_name(statement["program_code"])
    produced = local_time(statement["produced_at"], zone)
    return Printed(
        title=f"{statement['fiscal_year']}年度{name}专项资金年终结算表",
        lines=[f"区划：{statement['division_code']}　　结算编号：{statement['statement_id']}",
               f"编制人：{statement['produced_by']}　　编制时间：{produced}"],
        columns=("项目", "金额（元）"),
        rows=[(label, xlsx.yuan(fen)) for label, fen in statement_lines(statement)],
        widths=(60, 40),
        closing=[f"已结算批次 {statement['runs_settled']} 个，预留 "
                 f"{xlsx.yuan(statement['reserved_fen'])} 元，释放 "
                 f"{xlsx.yuan(statement['released_fen'])} 元。",
                 "期末余额 = 期初结转 + 拨款合计 − 支付 + 退回。",
                 "财政专户管理人（签章）：　　　　　　　　审核人（签章）："])


def _report_rows(division: str, part: dict[str, Any]) -> list[tuple[xlsx.Cell, ...]]:
    rows: list[tuple[xlsx.Cell, ...]] = []
    for row in part["levels"]:
        rows.append((division, LEVEL_ZH[row["fiscal_level"]],
                     *(row["month"][n] for n in _FIGURES),
                     *(row["year_to_date"][n] for n in _FIGURES)))
    totals = part["totals"]
    rows.append((division, "合计", *(totals["month"][n] for n in _FIGURES),
                 *(totals["year_to_date"][n] for n in _FIGURES)))
    return rows


_FIGURES = ("forecast_fen", "appropriated_fen", "spent_fen", "outstanding_fen")


def report_xlsx(report: dict[str, Any], zone: tzinfo) -> bytes:
    """Sheet 1: the report's total by level; sheet 2: each part (county or city) by
    level, the rows a higher office adds up."""
    about: list[tuple[str, xlsx.Cell]] = [
        ("项目", f"{program_name(report['program_code'])}（{report['program_code']}）"),
        ("月份", report["month"]), ("区划", report["division_code"]),
        ("报表级次", REPORT_LEVEL_ZH[report["report_level"]]),
        ("专户数", report["accounts"])]
    total = xlsx.Sheet("月报汇总", REPORT_COLUMNS,
                       _report_rows(report["division_code"], report), about=about)
    parts = xlsx.Sheet("分区划", REPORT_COLUMNS,
                       [row for part in report["parts"]
                        for row in _report_rows(part["division_code"], part)], about=about)
    return xlsx.workbook([total, parts], zone)
