"""The complaint form, the page that gives the tracking number, the look-up page and the
statement page, as HTML."""

from __future__ import annotations

from typing import Any

from siquan.oversight.public.domain.complaints import CATEGORIES, CATEGORY_LABELS
from siquan.oversight.public.entrypoints.layout import attr, esc, page, yuan

_STATUS = {"open": "办理中 open", "escalated": "已超期督办 overdue, escalated",
           "resolved": "已办结 resolved"}
_OUTCOME = {"upheld": "属实 upheld", "dismissed": "不属实 dismissed", None: None}


def _text(name: str, label: str, values: dict[str, Any], hint: str = "") -> str:
    return (f'<label>{label}<input type="text" name="{name}" '
            f'value="{attr(values.get(name))}"></label>'
            + (f"<small>{hint}</small>" if hint else ""))


def complaint_form(values: dict[str, Any], problems: list[dict[str, Any]],
                   hotline: str) -> str:
    chosen = values.get("category")
    options = "".join(
        f'<option value="{c}"{" selected" if c == chosen else ""}>{esc(CATEGORY_LABELS[c])}'
        "</option>" for c in CATEGORIES)
    listed = "".join(f"<li><strong>{esc(p['field'])}</strong>: {esc(p['msg'])}</li>"
                     for p in problems)
    shown_problems = f'<ul class="problems">{listed}</ul>' if problems else ""
    anonymous = " checked" if values.get("anonymous") in ("on", "true", True) else ""
    body = f"""{shown_problems}
<p>无需登录。提交后会得到一个查询编号，请妥善保存。No login is needed; you will get a
tracking number to look the complaint up — keep it.</p>
<form method="post" action="/public/complaints">
<label>类别 Category<select name="category">{options}</select></label>
{_text("application_id", "公示条目编号 Application ID (for an objection)", values,
       "对公示名单提出异议时必填 (required for an objection)")}
{_text("division_code", "县/乡镇代码 County (6 digits) or township (9 digits)", values)}
{_text("resident_id", "被反映人身份证号 Resident ID of the person concerned (optional)", {},
       "只保存其加密摘要 Only a keyed hash is kept, never the number")}
<label>情况说明 What happened<textarea name="description" rows="6">{
    attr(values.get("description"))}</textarea></label>
<label><input type="checkbox" name="anonymous"{anonymous}> 匿名举报 Report anonymously
</label>
{_text("contact", "联系方式 Contact (phone or address, optional)", values)}
<p><button type="submit">提交 Submit</button></p></form>"""
    return page("投诉举报 Complaint or report", body, hotline)


def complaint_filed(complaint: dict[str, Any], hotline: str) -> str:
    number = complaint["tracking_number"]
    body = (f'<p>已受理。Received. 查询编号 Your tracking number:</p>'
            f'<p class="tracking">{esc(number)}</p>'
            f"<p>请保存此编号，凭此查询办理进度。Keep it to look the complaint up: "
            f'<a href="/public/complaints/{esc(number)}">/public/complaints/{esc(number)}</a>'
            f"</p><p>办理期限 Due by: {esc(complaint['due_on'])}</p>")
    return page("已受理 Complaint received", body, hotline)


def complaint_status(complaint: dict[str, Any], hotline: str) -> str:
    rows = [("查询编号 Tracking number", complaint["tracking_number"]),
            ("类别 Category", complaint["category_label"]),
            ("状态 Status", _STATUS[complaint["status"]]),
            ("受理时间 Filed", complaint["filed_at"]),
            ("办理期限 Due by", complaint["due_on"]),
            ("超期督办 Escalated", complaint["escalated_at"]),
            ("已指定承办人 Handler assigned", "是 yes" if complaint["handler_assigned"]
             else "否 no"),
            ("办结时间 Resolved", complaint["resolved_at"]),
            ("结论 Outcome", _OUTCOME[complaint["outcome"]]),
            ("处理意见 Resolution", complaint["resolution"])]
    table = "".join(f"<tr><th>{label}</th><td>{esc(value)}</td></tr>" for label, value in rows)
    return page("办理进度 Complaint status", f"<table>{table}</table>", hotline)


def statement_page(statement: dict[str, Any], hotline: str) -> str:
    certifications = "".join(
        f"<tr><td>{esc(c['program_code'])}</td><td>{esc(c['category'])}</td>"
        f"<td>{esc(c['masked_name'])}</td><td>{esc(c['effective_from'])}</td>"
        f"<td>{esc(c['status'])}</td></tr>" for c in statement["certifications"])
    periods = "".join(
        f"<tr><td>{esc(p['program_code'])}</td><td>{esc(p['period'])}</td>"
        f"<td>{'是 yes' if p['certified'] else '否 no'}</td><td>{yuan(p['certified_fen'])}</td>"
        f"<td>{'是 yes' if p['allocated'] else '否 no'}</td><td>{yuan(p['paid_fen'])}</td>"
        f"<td>{yuan(p['failed_fen'])}</td><td>{yuan(p['outstanding_fen'])}</td></tr>"
        for p in statement["periods"])
    body = (
        "<h2>资格确认 Certifications</h2><table><tr><th>项目 Program</th><th>类别 Category</th>"
        "<th>姓名 Name</th><th>起始 From</th><th>状态 Status</th></tr>"
        f"{certifications}</table>"
        "<h2>发放情况 Per period</h2><table><tr><th>项目 Program</th><th>期间 Period</th>"
        "<th>确认 Certified</th><th>应发 Owed</th><th>已拨付 Allocated</th>"
        "<th>实发 Paid</th><th>失败 Failed</th><th>未发 Outstanding</th></tr>"
        f"{periods}</table>"
        "<p>未足额领取的，可投诉 If you were not paid in full, "
        '<a href="/public/complaints/new?category=not_paid_in_full">complain here</a>.</p>')
    return page("领取情况 Statement", body, hotline)
