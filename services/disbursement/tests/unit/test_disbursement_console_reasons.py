"""The disbursement use cases' English refusals as the console shows them in zh-CN: each
reason the payee-account, run and retry pages can show is produced here by the use case
(on the in-memory twins) or by the code that words it, and reads Chinese with its ids;
the skipped payees' reasons inside it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.policy import load_catalogue
from siquan.disbursement.application import retries, runs
from siquan.disbursement.console import reasons
from siquan.disbursement.domain.amounts import amount_table
from siquan.disbursement.domain.errors import Refused
from siquan.disbursement.domain.retry import ACCOUNT_NOT_FIXED
from siquan.disbursement.domain.roster import Skip
from siquan.shared.console.i18n import translations

LOCALE = Path(reasons.__file__).parent / "locale"


def zh(message: str) -> str:
    return str(translations(LOCALE, "zh_CN", "messages").gettext(message))


def en(message: str) -> str:
    return message


def shown(reason: str) -> str:
    """The reason on a zh-CN page, after checking a pattern knows it."""
    assert any(pattern.match(reason) for pattern, _message in reasons.PATTERNS), reason
    return reasons.translated(reason, zh)


async def refusal(call: Any) -> str:
    with pytest.raises(Refused) as refused:
        await call
    return str(refused.value)


async def test_a_run_with_nobody_to_pay_reads_chinese_with_each_skipped_reason(
        world: Any) -> None:
    await world.grant(1)  # no payee account
    reason = await refusal(world.start())
    assert shown(reason) == (f"{world.division} 的 {world.program} {world.period} "
                             "没有可发放的人员：1 × 无收款账户。")
    assert reasons.translated(reason, en) == (
        f"Nobody to pay for {world.program} {world.period} in {world.division}: "
        "1 × No payee account.")


async def test_a_run_where_no_certification_is_active_reads_chinese(world: Any) -> None:
    reason = await refusal(world.start())
    assert shown(reason) == (f"{world.division} 的 {world.program} {world.period} "
                             "没有可发放的人员：本期没有生效的认定。")


async def test_the_maker_confirming_their_own_change_reads_chinese(world: Any) -> None:
    await world.grant(1)
    await world.register(1, "622202000000012345")
    await world.register(1, "622202000000067890", confirm=False)
    reason = await refusal(world.confirm(1, "622202000000067890", world.officer))
    assert shown(reason) == "该变更由您登记，须由另一名资金发放人员复核。"
    reason = await refusal(world.confirm(1, "622202000000099999"))
    assert "与待复核的变更不一致" in shown(reason)


async def test_a_run_out_of_scope_or_unknown_reads_chinese_with_the_ids(world: Any) -> None:
    async with world.units() as uow:
        reason = await refusal(runs.start_run(runs.StartPaymentRun(
            world.officer, world.program, world.period, "420102"), uow))
    assert shown(reason) == (f"工作人员 {world.officer.id} 负责区划 420117，"
                             "不负责区划 420102。")
    async with world.units() as uow:
        reason = await refusal(retries.retry_run(retries.RetryRun(world.officer, "r-404"),
                                                 uow))
    assert shown(reason) == "没有发放批次 r-404。"


async def test_a_retry_with_nothing_failed_reads_chinese_with_the_run(world: Any) -> None:
    await world.payees(1)
    run = (await world.start()).run
    async with world.units() as uow:
        reason = await refusal(retries.retry_run(retries.RetryRun(world.officer, run.id),
                                                 uow))
    assert shown(reason) == f"发放批次 {run.id} 没有失败或退回的款项。"


def test_a_period_the_policy_does_not_pay_reads_chinese() -> None:
    catalogue = load_catalogue()
    with pytest.raises(Refused) as yearly:
        amount_table(catalogue, "special_assistance", "2026", "420117")
    assert shown(str(yearly.value)).startswith("special_assistance（版本 ")
    assert "不按发放期 2026 发放" in shown(str(yearly.value))
    with pytest.raises(Refused) as early:
        amount_table(catalogue, "special_assistance", "1990-01", "420117")
    assert shown(str(early.value)) == (
        "special_assistance 在该发放期首日（1990-01-01）没有生效的政策版本。")


def test_the_refusals_worded_where_no_twin_reaches_them_read_chinese() -> None:
    # The exact wording of `runs.start_run` and `retries.retry_run` when another run holds
    # the payments (a race the in-memory twins do not run), with the real list of reasons.
    program, period, run_id = "special_assistance", "2026-05", "run-7"
    assert shown("another run is already paying some of these persons for "
                 f"{program} {period}") == (
        "另一发放批次正在向其中部分人员发放 special_assistance 2026-05 的款项。")
    assert shown(f"another run is already paying some of run {run_id}'s "
                 "payments") == "另一发放批次正在发放批次 run-7 的部分款项。"
    skipped = [Skip("a" * 64, "cert-1", ACCOUNT_NOT_FIXED)] * 2
    assert shown(f"nothing of run {run_id} can be retried: {runs.reasons(skipped)}") == (
        "发放批次 run-7 没有可重发的款项：2 × 银行拒付或退回后账户尚未更正。")


def test_the_allocation_rejected_by_fund_custody_reads_chinese() -> None:
    # The exact wording of fund custody's `AllocationRejected.reason` (its allocations'
    # `_rejection`), which the run page shows while the run waits for money.
    key, available, shortfall, total = "special_assistance/2026/420117", 300_000, 200_000, \
        500_000
    reason = (f"special account {key} holds {available} fen available, {shortfall} fen "
              f"short of the run's {total} fen; the run waits until an "
              "appropriation covers it")
    assert shown(reason) == ("专户 special_assistance/2026/420117 可用 300000 分，"
                             "距本批次所需 500000 分尚缺 200000 分；本批次等待拨款到位。")


def test_every_reason_has_its_chinese_text_naming_the_same_values() -> None:
    for pattern, message in reasons.PATTERNS:
        assert zh(message) != message, message
        for name in pattern.groupindex:
            if f"%({name})s" in message:
                assert f"%({name})s" in zh(message), (message, name)


def test_a_reason_no_pattern_knows_is_shown_as_it_is() -> None:
    assert reasons.translated("the bank is closed today", zh) == "the bank is closed today"


def test_every_reason_a_run_skips_a_payee_for_reads_chinese() -> None:
    from siquan.disbursement.domain import payable, roster
    skips = [value for module in (roster, payable) for name, value in vars(module).items()
             if name.isupper() and isinstance(value, str) and " " in value
             and "{" not in value]  # a template (`ACCOUNT_CHANGED`): the flag's test below
    assert roster.EXCLUSIVE_PAID in skips and roster.HOUSEHOLD_PAID in skips
    for reason in skips:
        assert shown(reason) != reason, reason


def test_a_flag_gives_the_page_its_days_for_the_plural() -> None:
    from datetime import UTC, datetime, timedelta

    from siquan.disbursement.domain.roster import account_change_flag
    start = datetime(2026, 11, 5, 9, tzinfo=UTC)

    def days(before: timedelta) -> int | None:
        flag = account_change_flag("k", "c", registered_at=start - before,
                                   previous_registered_at=start - timedelta(days=90),
                                   run_started_at=start, days=30)
        assert flag is not None
        return reasons.changed_days(flag.reason)

    assert (days(timedelta(hours=3)), days(timedelta(days=1, hours=1)),
            days(timedelta(days=12))) == (0, 1, 12)
    assert reasons.changed_days("no payee account") is None
    plural = translations(LOCALE, "zh_CN", "messages").ngettext(
        "Payee account changed %(num)s day before the run",
        "Payee account changed %(num)s days before the run", 12)
    assert plural % {"num": 12} == "收款账户在本次发放前 12 天变更"
