"""The frame every public page shares: UTF-8, readable without scripts or styles from
elsewhere, the hotline on every page. Everything shown is escaped here or by `esc`."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;
max-width:60rem;padding:1rem;line-height:1.5;color:#222}
header,footer{border-bottom:1px solid #ccc;margin-bottom:1rem;padding-bottom:.5rem}
footer{border-top:1px solid #ccc;border-bottom:0;margin-top:2rem;padding-top:.5rem}
nav a{margin-right:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}
.remaining{font-weight:bold;color:#a40000}
.problems{color:#a40000}
.tracking{font-size:1.5rem;font-family:monospace;font-weight:bold}
label{display:block;margin-top:.8rem}
input[type=text],select,textarea{width:100%;max-width:36rem;padding:.3rem}
"""


def esc(value: Any) -> str:
    """Text for HTML: escaped; nothing shows as an empty dash."""
    return "—" if value is None or value == "" else escape(str(value))


def attr(value: Any) -> str:
    """A form field's value: escaped, empty when absent."""
    return "" if value is None else escape(str(value))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d} 元"


def page(title: str, body: str, hotline: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{_STYLE}</style></head>
<body><header><nav>
<a href="/public/notices">公示 Notices</a>
<a href="/public/notices/archive">公示档案 Archive</a>
<a href="/public/complaints/new">投诉举报 Complain or report</a>
</nav>
<form method="get" action="/public/complaints/lookup">
<label>查询办理进度 Look up a complaint:
<input type="text" name="tracking_number" placeholder="TS-2026-…" required></label>
<button type="submit">查询 Look up</button></form></header>
<main><h1>{esc(title)}</h1>
{body}</main>
<footer>监督举报电话 Hotline: <strong>{esc(hotline)}</strong> ·
网上投诉举报 Online: <a href="/public/complaints/new">/public/complaints/new</a> ·
匿名举报可不留联系方式 Anonymous reports need no contact.</footer>
</body></html>"""


def message_page(title: str, message: str, hotline: str) -> str:
    return page(title, f"<p>{esc(message)}</p>", hotline)
