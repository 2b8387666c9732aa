"""The year-end statement as printed: titled with the program's name as the policy gives
it everywhere, not the name of one district's own version of the policy."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from siquan.fund_custody.application.documents import statement_pdf


def statement(program_code: str, division_code: str) -> dict[str, Any]:
    return {"program_code": program_code, "fiscal_year": 2026,
            "division_code": division_code, "statement_id": "st-1",
            "produced_by": "treasury-420102-01", "produced_at": "2027-01-05T02:00:00+00:00",
            "opening_fen": 0, "appropriated": {"county": 120_000},
            "appropriated_total_fen": 120_000, "paid_fen": 100_000, "returned_fen": 0,
            "closing_fen": 20_000, "runs_settled": 1, "reserved_fen": 0, "released_fen": 0}


def test_a_countys_statement_is_titled_with_the_programs_own_name() -> None:
    # reward_assistance_rural has a later version of Xinzhou district's own (新洲区提标):
    # Jiang'an district's statement is not titled with it
    printed = statement_pdf(statement("reward_assistance_rural", "420102"),
                            ZoneInfo("Asia/Shanghai"))
    assert printed.title == "2026年度农村部分计划生育家庭奖励扶助专项资金年终结算表"
    assert "编制时间：2027-01-05 10:00" in printed.lines[1]
