"""The accountability report as a printable HTML page: the same figures as the JSON, every
value escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any


def _yuan(fen: object) -> str:
    if not isinstance(fen, int):
        return escape(str(fen))
    return f"{fen // 100:,}.{fen % 100:02d}"


def _cell(key: str, value: object) -> str:
    if value is None:
        return "—"
    if key.endswith("_fen"):
        return _yuan(value)
    if isinstance(value, float):
        return f"{value:.2%}" if key.endswith("rate") or key == "sla_compliance" else str(value)
    return escape(str(value))


def _pairs(title: str, values: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(k, v)}</td></tr>"
                   for k, v in values.items() if not isinstance(v, dict | list))
    return f"<h2>{escape(title)}</h2><table>{rows}</table>"


def _table(title: str, rows: Sequence[Mapping[str, Any]], columns: Iterable[str]) -> str:
    names = list(columns)
    head = "".join(f"<th>{escape(c)}</th>" for c in names)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c, r.get(c))}</td>" for c in names)
                   + "</tr>" for r in rows) or f"<tr><td colspan={len(names)}>none</td></tr>"
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _sums(title: str, sums: Mapping[str, Mapping[str, int]]) -> str:
    rows = [{"what": k, **v} for k, v in sums.items() if isinstance(v, Mapping)]
    return _table(title, rows, ("what", "count", "amount_fen"))


_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
          "margin-bottom:1.5em}td,th{border:1px solid #999;padding:.3em .6em;"
          "text-align:left}")


def render_report(report: Mapping[str, Any]) -> str:
    title = (f"{report['program_code']} {report['period']} — division "
             f"{report['division_code']}: accountability report (三追究)")
    balance = report["no_omission_no_false_claim"]
    complaints = report["complaints"]
    timeliness = report["timeliness"]
    categories = [{"category": k, **v} for k, v in report["findings"]["by_category"].items()]
    parts = [
        f"<h1>{escape(title)}</h1>",
        _pairs("Figures (amounts in yuan)", report["figures"]),
        _pairs("不漏不冒", balance),
        _sums("Findings behind 不漏不冒", balance),
        _table("Findings by category", categories, ("category", "open", "resolved")),
        _table("Findings by rule", report["findings"]["by_rule"],
               ("category", "rule", "status", "count", "amount_fen")),
        _pairs("Flags", {"flags": report["flags"]}),
        _pairs("Complaints", {"available": complaints["available"],
                              "sla_compliance": complaints["sla_compliance"]}),
        _table("Complaints by category", complaints["by_category"],
               ("category", "filed", "open", "escalated", "resolved", "resolved_on_time",
                "overdue")),
        _pairs("Certification timeliness target",
               {"target_days": timeliness["target_days"],
                "target_rate": timeliness["target_rate"]}),
        _table("Certification timeliness by division", timeliness["divisions"],
               ("division_code", "year", "counted", "on_time", "rate")),
        _table("Runs", report["runs"], ("run_id", "division_code", "status", "allocated_fen",
                                        "paid_fen", "settled_fen")),
    ]
    return (f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>{escape(title)}"
            f"</title><style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>")
