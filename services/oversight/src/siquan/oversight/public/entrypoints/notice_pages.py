"""The notice board and its archive as HTML: each notice with its masked entries, the days
left to object, and how to object."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from siquan.oversight.public.entrypoints.layout import esc, page


def _objection_link(application_id: str) -> str:
    query = urlencode({"category": "notice_objection", "application_id": application_id})
    return f'<a href="/public/complaints/new?{esc(query)}">提出异议 Object</a>'


def _entries(notice: dict[str, Any], archived: bool) -> str:
    rows = "".join(
        f"<tr><td>{esc(e['masked_name'])}</td><td>{esc(e['masked_resident_id'])}</td>"
        f"<td>{esc(e['category_label'])}</td><td>{esc(e['township_code'])}</td>"
        + ("" if archived else f"<td>{_objection_link(e['application_id'])}</td>")
        + "</tr>" for e in notice["entries"])
    head = ("<tr><th>姓名 Name</th><th>身份证号 Resident ID</th><th>类别 Category</th>"
            "<th>乡镇 Township</th>" + ("" if archived else "<th>异议 Objection</th>")
            + "</tr>")
    return f"<table>{head}{rows}</table>"


def _notice(notice: dict[str, Any], archived: bool) -> str:
    if archived:
        when = f"公示至 closed on {esc(notice['closed_on'])}"
    else:
        when = (f"公示期 {esc(notice['published_on'])} 至 {esc(notice['closes_on'])} · "
                f'<span class="remaining">剩余 {notice["days_remaining"]} 天 '
                f"({notice['days_remaining']} days remaining)</span>")
    return (f"<section><h2>{esc(notice['program_name'])} · {esc(notice['division_code'])}"
            f"{' / ' + esc(notice['township_code']) if notice['township_code'] else ''}</h2>"
            f"<p>{when} · 共 {notice['total_entries']} 人 (entries)</p>"
            f"{_entries(notice, archived)}</section>")


def notice_board(notices: list[dict[str, Any]], *, archived: bool, hotline: str) -> str:
    if archived:
        title = "公示档案 Closed notices"
        intro = "<p>以下公示已结束。These notices have closed.</p>"
    else:
        title = "公示 Public notices in force"
        intro = ("<p>对公示名单有异议的，请在公示期内通过网上投诉或监督电话"
                 f" <strong>{esc(hotline)}</strong> 提出，可匿名。"
                 "Anyone may object to an entry while its notice is posted: online (the "
                 "Object link) or by the hotline, anonymously if they wish.</p>")
    body = "".join(_notice(n, archived) for n in notices) or "<p>暂无。None.</p>"
    return page(title, intro + body, hotline)
