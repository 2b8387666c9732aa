"""A run pays arrears and top-ups for earlier periods besides its own: the balances report
and the monthly report count each in the period it is for (net of what the bank returned
of it), split by that period's shares; a run whose amounts per period were never kept
counts whole in its own period; a run whose periods share the same shares is split as one
amount, as before amounts per period were kept."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from siquan.contracts.disbursement_v1 import PaymentsSettled, SettledPayment
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.application.figures import per_period, spent_by_run, spent_levels
from siquan.fund_custody.application.queries import balances_report
from siquan.fund_custody.application.returns import take_back_returned_chunk
from siquan.fund_custody.application.settlement import pay_settled_chunk
from siquan.fund_custody.domain.allocation import Allocation
from siquan.shared.testing.figures import split

from .conftest import KEY, officer, person


def _shares() -> tuple[int, ...]:
    s = load_catalogue().in_force(KEY.program_code, date(2026, 9, 1),
                                  KEY.division_code).fiscal_shares
    return (s.central, s.provincial, s.municipal, s.county)


def _settled(run_id: str, *lines: tuple[str, str | None, int]) -> PaymentsSettled:
    return PaymentsSettled(
        run_id=run_id, program_code=KEY.program_code, period="2026-11",
        division_code=KEY.division_code, chunk=0,
        payments=tuple(SettledPayment(payment_id=payment_id, person_key=person(),
                                      certification_id=str(uuid.uuid4()), item="benefit",
                                      amount_fen=fen, bank_reference=f"B{i}", period=period)
                       for i, (payment_id, period, fen) in enumerate(lines)))


async def test_arrears_and_top_ups_are_spent_in_their_own_periods(uow, given) -> None:
    run_id = await given.approved_run(200_000, 63_500)
    arrear, top_up = str(uuid.uuid4()), str(uuid.uuid4())
    await given.done(pay_settled_chunk(_settled(
        run_id, (str(uuid.uuid4()), None, 21_000), (arrear, "2026-09", 21_000),
        (top_up, "2026-10", 1_500), (str(uuid.uuid4()), "2026-11", 20_000)), uow))
    returned = given.returned(run_id, 0, (arrear, 21_000))
    returned = returned.model_copy(update={"payments": tuple(
        p.model_copy(update={"period": "2026-09"}) for p in returned.payments)})
    await given.done(take_back_returned_chunk(returned, uow))

    report = await balances_report(uow, officer(), KEY)
    spent = {row["period"]: row["spent_fen"] for row in report["periods"]}
    assert (spent["2026-09"], spent["2026-10"], spent["2026-11"]) == (0, 1_500, 41_000)
    assert report["totals"]["spent_fen"] == 1_500 + 41_000
    levels = {row["fiscal_level"]: row["spent_fen"] for row in report["levels"]}
    top_ups, own = split(1_500, _shares()), split(41_000, _shares())
    assert levels == {level: top_ups[level] + own[level] for level in own}


def test_a_run_without_amounts_per_period_counts_whole_in_its_own_period() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    old = Allocation("x-old", "r-old", "a", KEY, "2026-11", 2, 42_000, at, paid_fen=42_000)
    new = Allocation("x-new", "r-new", "a", KEY, "2026-12", 2, 30_000, at, paid_fen=30_000)
    year = [f"2026-{m:02d}" for m in range(1, 13)]
    by_run = spent_by_run([old, new], {"r-new": {"2026-12": 9_000, "2026-03": 21_000,
                                                 "2025-12": 0}}, year)
    assert by_run == {"r-old": {"2026-11": 42_000},
                      "r-new": {"2026-12": 9_000, "2026-03": 21_000}}
    assert per_period(by_run) == {"2026-11": 42_000, "2026-12": 9_000, "2026-03": 21_000}


def test_a_run_whose_periods_share_the_same_shares_is_split_as_one_amount() -> None:
    halves = (5_000, 5_000, 0, 0)
    one_run = {"r": {"2026-03": 1, "2026-04": 1}}
    assert spent_levels(one_run, lambda period: halves) == {
        "central": 1, "provincial": 1, "municipal": 0, "county": 0}
    shifted = (5_000, 0, 0, 5_000)
    assert spent_levels(one_run, lambda p: halves if p == "2026-03" else shifted) == {
        "central": 0, "provincial": 0, "municipal": 0, "county": 2}
    assert spent_levels(one_run, lambda period: halves, {"2026-04"}) == {
        "central": 0, "provincial": 0, "municipal": 0, "county": 1}
