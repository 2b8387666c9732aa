"""The accountability report's HTML page shows the JSON's figures, escaped."""

from typing import Any

from siquan.oversight.reconciliation.entrypoints.html import render_report


def report(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "program_code": "special_assistance", "period": "2026-11", "division_code": "420117",
        "figures": {"certified": 3, "paid_count": 3, "paid_fen": 63_001},
        "no_omission_no_false_claim": {"certified": 3, "unpaid": 0, "omission_rate": 0.0,
                                       "false_claims": {"count": 1, "amount_fen": 21_000}},
        "findings": {"by_category": {"wrong_payment": {"open": 1, "resolved": 0}},
                     "by_rule": [{"category": "wrong_payment", "rule": "paid_after_death",
                                  "status": "open", "count": 1, "amount_fen": 21_000}]},
        "flags": 0,
        "complaints": {"available": False, "by_category": [], "sla_compliance": None},
        "timeliness": {"target_days": 30, "target_rate": 0.9, "divisions": []},
        "runs": [{"run_id": "<script>", "division_code": "420117", "status": "settled",
                  "allocated_fen": 63_000, "paid_fen": 63_000, "settled_fen": 63_000}],
    }
    return base | changes


def test_the_page_shows_amounts_in_yuan_and_rates_as_percentages() -> None:
    page = render_report(report())

    assert "630.01" in page
    assert "paid_after_death" in page and "210.00" in page
    assert "90.00%" in page


def test_the_page_escapes_what_it_shows() -> None:
    page = render_report(report())

    assert "<script>" not in page
    assert "&lt;script&gt;" in page
