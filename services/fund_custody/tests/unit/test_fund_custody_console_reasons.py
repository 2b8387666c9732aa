"""The fund custody use cases' English refusals as the treasury pages show them in zh-CN:
each reason the pages can show is produced here by the use case (on the in-memory unit of
work) or by the code that words it, and reads Chinese with its ids and amounts, the
fiscal levels by their names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.application.queries import account_balances
from siquan.fund_custody.application.statements import produce_statement, statement_of
from siquan.fund_custody.console import reasons
from siquan.fund_custody.domain.special_account import LAST_FISCAL_YEAR, AccountKey
from siquan.shared.console.i18n import translations
from siquan.shared.errors import Refused

from .conftest import KEY, officer

LOCALE = Path(reasons.__file__).parent / "locale"
YEAR = AccountKey(KEY.program_code, 2025, KEY.division_code)
NEXT = AccountKey(KEY.program_code, 2026, KEY.division_code)


def zh(message: str) -> str:
    return str(translations(LOCALE, "zh_CN", "messages").gettext(message))


def en(message: str) -> str:
    return message


def shown(reason: str) -> str:
    """The reason on a zh-CN page, after checking a pattern knows it."""
    assert any(pattern.match(reason) for pattern, _message in reasons.PATTERNS), reason
    return reasons.translated(reason, zh)


async def refusal(uow: Any, call: Any) -> str:
    with pytest.raises(Refused) as refused:
        await uow.run(call)
    return str(refused.value)


async def test_a_document_booked_with_other_figures_reads_chinese_with_the_levels(
        uow, given) -> None:
    first = await given.done(record_appropriation(uow, officer(), RecordAppropriation(
        KEY, "central", 5_000, "财社[2026]1号")))
    reason = await refusal(uow, record_appropriation(uow, officer(), RecordAppropriation(
        KEY, "county", 6_000, "财社[2026]1号")))
    assert shown(reason) == (
        f"拨款文号 财社[2026]1号 已登记为中央拨入 5000 分（拨款 {first.appropriation_id}），"
        "不能再登记为县级拨入 6000 分。")
    assert reasons.translated(reason, en) == (
        f"Document 财社[2026]1号 was recorded as 5000 fen from the Central level "
        f"(appropriation {first.appropriation_id}); it cannot now be 6000 fen from the "
        "County level.")


async def test_an_officer_elsewhere_or_a_program_outside_the_catalogue_reads_chinese(
        uow) -> None:
    elsewhere = officer(division="420102", officer_id="treasury-420102-01")
    reason = await refusal(uow, record_appropriation(uow, elsewhere, RecordAppropriation(
        KEY, "central", 5_000, None)))
    assert shown(reason) == "工作人员 treasury-420102-01 负责区划 420102，不负责区划 420117。"
    reason = await refusal(uow, record_appropriation(uow, officer(), RecordAppropriation(
        AccountKey("no_such_program", 2026, "420117"), "central", 5_000, None)))
    assert shown(reason) == "项目 no_such_program 不在政策目录中。"


async def test_an_account_or_statement_not_there_reads_chinese(uow, given) -> None:
    reason = await refusal(uow, account_balances(uow, officer(), KEY))
    assert shown(reason) == f"没有专户 {KEY}。"
    await given.funded(10_000, YEAR)
    reason = await refusal(uow, statement_of(uow, officer(), YEAR))
    assert shown(reason) == f"专户 {YEAR} 尚无年终决算。"


async def test_a_year_that_cannot_be_settled_reads_chinese_with_the_runs(uow, given) -> None:
    run_id = await given.approved_run(80_000, 50_000, YEAR)
    reason = await refusal(uow, produce_statement(uow, officer(), YEAR))
    assert shown(reason) == f"专户 {YEAR} 不能结算：尚有 1 个发放批次未结清（{run_id}）。"
    await given.funded(10_000, NEXT)
    reason = await refusal(uow, produce_statement(uow, officer(), NEXT))
    assert shown(reason) == f"专户 {NEXT} 须待 2025 年度决算结转余额后方可结算。"


async def test_the_last_fiscal_year_kept_reads_chinese(uow) -> None:
    last = AccountKey(KEY.program_code, LAST_FISCAL_YEAR, KEY.division_code)
    reason = await refusal(uow, produce_statement(uow, officer(), last))
    assert shown(reason) == (
        f"专户 {last} 不能结算：其期末余额将结转至 {LAST_FISCAL_YEAR + 1} 年，晚于系统保存的"
        f"最后一个财政年度（{LAST_FISCAL_YEAR}）。")
    assert reasons.translated(reason, en) == (
        f"{last} cannot be settled: its closing balance would be carried into "
        f"{LAST_FISCAL_YEAR + 1}, after the last fiscal year kept ({LAST_FISCAL_YEAR}).")


def test_a_year_no_policy_version_covers_reads_chinese() -> None:
    # The exact wording of `figures` when no version sets the year's frequency.
    assert shown("no version of special_assistance is in force in 1990 for 420117") == (
        "项目 special_assistance 在 1990 年没有对区划 420117 有效的政策版本。")


def test_a_year_after_a_closed_one_reads_chinese() -> None:
    # The exact wording of `statements._check_closable` for an account already closed.
    assert shown(f"{YEAR} cannot be settled: a later fiscal year is already closed") == (
        f"专户 {YEAR} 不能结算：其后的财政年度已结账。")


def test_every_reason_has_its_chinese_text_naming_the_same_values() -> None:
    for pattern, message in reasons.PATTERNS:
        assert zh(message) != message, message
        for name in pattern.groupindex:
            if f"%({name})s" in message:
                assert f"%({name})s" in zh(message), (message, name)


def test_a_reason_no_pattern_knows_is_shown_as_it_is() -> None:
    assert reasons.translated("the treasury is closed today", zh) == (
        "the treasury is closed today")
