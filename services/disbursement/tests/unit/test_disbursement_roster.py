"""The roster rules: who is paid for a period, how much, and why anyone is skipped."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from siquan.contracts.periods import period_end
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.domain.amounts import amount_table
from siquan.disbursement.domain.certification import Certification, benefits_end_after_death
from siquan.disbursement.domain.errors import InvalidRequest
from siquan.disbursement.domain.payable import ALREADY_PAID, NO_ACCOUNT, ON_HOLD, SUSPENDED
from siquan.disbursement.domain.roster import (
    ACCOUNT_REFUSED,
    DUPLICATE,
    ONE_OFF_PAID,
    Candidate,
    PayeeAccount,
    Roster,
    build_roster,
    mask_account,
)

PROGRAM = "special_assistance"
ACCOUNT = PayeeAccount("102", "6222021234567890123")


def cert(n: int, category: str = "death", *, starts: date = date(2026, 1, 1),
         ends: date | None = None, person: str | None = None) -> Certification:
    return Certification(id=f"cert-{n}", person_key=person or f"{n:064x}", program_code=PROGRAM,
                         category=category, division_code="420117", effective_from=starts,
                         effective_until=ends)


def candidate(c: Certification, *, account: PayeeAccount | None = ACCOUNT, held: bool = False,
              paid: frozenset[str] = frozenset(), refused: frozenset[str] = frozenset()
              ) -> Candidate:
    return Candidate(c, account, held, paid, refused)


def table(period: str, program: str = PROGRAM, arrears: tuple[str, ...] = ()) -> object:
    return amount_table(load_catalogue(), program, period, "420117", arrears)


def roster_for(period: str, *candidates: Candidate, arrears: tuple[str, ...] = ()) -> Roster:
    return build_roster(candidates, amount_table(load_catalogue(), PROGRAM, period, "420117",
                                                 arrears))


def test_a_certification_starting_within_the_month_is_active_for_that_month() -> None:
    assert cert(1, starts=date(2026, 5, 20)).active_in("2026-05")


def test_a_certification_starting_after_the_month_is_not_active_for_it() -> None:
    assert not cert(1, starts=date(2026, 6, 1)).active_in("2026-05")


def test_a_certification_ending_within_the_month_is_still_active_for_it() -> None:
    assert cert(1, ends=date(2026, 5, 15)).active_in("2026-05")


def test_a_certification_ended_before_the_month_is_not_active_for_it() -> None:
    assert not cert(1, ends=date(2026, 5, 1)).active_in("2026-05")


def test_a_death_ends_benefits_from_the_first_day_of_the_next_month() -> None:
    assert benefits_end_after_death(date(2026, 5, 31)) == date(2026, 6, 1)
    assert benefits_end_after_death(date(2026, 12, 3)) == date(2027, 1, 1)
    died_in_may = cert(1, ends=benefits_end_after_death(date(2026, 5, 3)))
    assert died_in_may.active_in("2026-05") and not died_in_may.active_in("2026-06")


def test_periods_end_on_their_last_day() -> None:
    assert [period_end(p) for p in ("2024-02", "2026", "2026-S1", "2027-S2", "2026-O1")] == [
        date(2024, 2, 29), date(2026, 12, 31), date(2026, 8, 31), date(2028, 2, 29),
        date(2026, 12, 31)]


def test_each_payee_is_paid_the_amount_of_their_category_in_force_for_the_period() -> None:
    roster = roster_for("2026-05", candidate(cert(1, "death")),
                        candidate(cert(2, "disability")))
    assert [(p.certification_id, p.amount_fen) for p in roster.payments] == [
        ("cert-1", 21_000), ("cert-2", 15_000)]
    assert (roster.payee_count, roster.total_fen, roster.skipped) == (2, 36_000, [])
    assert roster.policy_version == "wuhan-2012"


def test_the_amount_comes_from_the_version_in_force_on_the_periods_first_day() -> None:
    old = cert(1, "death", starts=date(2010, 1, 1))
    assert roster_for("2011-12", candidate(old)).total_fen == 10_000
    assert roster_for("2012-01", candidate(old)).total_fen == 21_000


def test_persons_on_hold_without_account_or_already_paid_are_skipped_with_reasons() -> None:
    roster = roster_for("2026-05", candidate(cert(1)), candidate(cert(2), held=True),
                        candidate(cert(3), account=None),
                        candidate(cert(4), paid=frozenset({"2026-05"})))
    assert [p.certification_id for p in roster.payments] == ["cert-1"]
    assert [(s.certification_id, s.reason) for s in roster.skipped] == [
        ("cert-2", ON_HOLD), ("cert-3", NO_ACCOUNT), ("cert-4", ALREADY_PAID)]
    assert (roster.payee_count, roster.total_fen) == (1, 21_000)


def test_a_person_with_two_certifications_of_the_program_is_paid_once() -> None:
    roster = roster_for("2026-05", candidate(cert(1, person="a" * 64)),
                        candidate(cert(2, "disability", starts=date(2026, 2, 1),
                                       person="a" * 64)))
    assert [p.certification_id for p in roster.payments] == ["cert-1"]
    assert [(s.certification_id, s.reason) for s in roster.skipped] == [("cert-2", DUPLICATE)]


def test_a_category_the_policy_does_not_know_is_skipped_not_paid() -> None:
    roster = roster_for("2026-05", candidate(cert(1, "other")))
    assert roster.payments == []
    assert "other" in roster.skipped[0].reason


def test_certifications_not_active_for_the_period_are_not_on_the_roster() -> None:
    roster = roster_for("2026-05", candidate(cert(1, ends=date(2026, 4, 1))))
    assert (roster.payments, roster.skipped) == ([], [])


def test_a_certification_ended_since_is_paid_the_window_months_it_was_owed_and_unpaid(
        ) -> None:
    """`ArrearsOwedWhateverFollowed`: revoked from May (or transferred out, or dead since),
    April still unpaid is paid by the May run as an arrear, under the same rule: never to a
    person on hold or without an account, never a month paid already."""
    ended = cert(1, ends=date(2026, 5, 1))
    window = ("2026-03", "2026-04")
    roster = roster_for("2026-05", candidate(ended, paid=frozenset({"2026-03"})),
                        arrears=window)
    assert [(p.period, p.label, p.amount_fen) for p in roster.payments] == [
        ("2026-04", "arrears:2026-04", 21_000)]
    assert roster.skipped == []
    for unpayable in (candidate(ended, held=True), candidate(ended, account=None),
                      candidate(ended, paid=frozenset(window))):
        assert roster_for("2026-05", unpayable, arrears=window).payments == []


def test_a_month_another_certification_pays_in_the_run_is_not_paid_twice() -> None:
    """A change of category in April cut the certification in two: the earlier span pays
    March at its category, the later one April and May; nothing twice."""
    person = "b" * 64
    before = cert(1, "disability", ends=date(2026, 4, 1), person=person)
    after = cert(2, starts=date(2026, 4, 1), person=person)
    overlapping = cert(3, "disability", ends=date(2026, 5, 1), person=person)
    roster = roster_for("2026-05", candidate(before), candidate(after),
                        candidate(overlapping), arrears=("2026-03", "2026-04"))
    assert [(p.certification_id, p.period) for p in roster.payments] == [
        ("cert-2", "2026-04"), ("cert-2", "2026-05"), ("cert-1", "2026-03")]


def test_a_period_the_programs_frequency_does_not_have_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="monthly"):
        table("2026")
    with pytest.raises(InvalidRequest, match="yearly"):
        table("2026-05", "reward_assistance_rural")


def test_a_period_before_any_policy_version_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="no version"):
        table("2007-05")


def test_a_period_refused_to_the_current_account_is_not_paid_again_to_it() -> None:
    roster = roster_for("2026-05", candidate(cert(1), refused=frozenset({"2026-05"})))
    assert roster.payments == []
    assert [s.reason for s in roster.skipped] == [ACCOUNT_REFUSED]


def test_arrears_pay_each_unpaid_active_period_of_the_window_at_its_amount() -> None:
    late = cert(1, starts=date(2026, 2, 10))
    roster = roster_for("2026-05", candidate(late, paid=frozenset({"2026-03"})),
                        arrears=("2026-01", "2026-02", "2026-03", "2026-04"))
    assert [(p.period, p.label, p.amount_fen) for p in roster.payments] == [
        ("2026-02", "arrears:2026-02", 21_000), ("2026-04", "arrears:2026-04", 21_000),
        ("2026-05", "benefit", 21_000)]


def test_arrears_across_a_policy_raise_use_each_periods_own_amount() -> None:
    old = cert(1, starts=date(2010, 1, 1))
    roster = roster_for("2012-02", candidate(old), arrears=("2011-12", "2012-01"))
    assert [p.amount_fen for p in roster.payments] == [10_000, 21_000, 21_000]


def test_a_period_an_offset_reduced_is_owed_again_only_for_the_rest() -> None:
    """The order paying the rest of a partly offset April failed (another account now):
    April is owed again less what the receivable already took; a period the offsets took
    whole is owed nothing."""
    withheld = replace(candidate(cert(1)), withheld={"2026-03": 21_000, "2026-04": 15_000})
    roster = roster_for("2026-05", withheld, arrears=("2026-03", "2026-04"))
    assert [(p.label, p.amount_fen) for p in roster.payments] == [
        ("arrears:2026-04", 6_000), ("benefit", 21_000)]


def test_no_arrears_for_a_period_refused_to_the_current_account() -> None:
    roster = roster_for("2026-05", candidate(cert(1), refused=frozenset({"2026-04"})),
                        arrears=("2026-04",))
    assert [p.period for p in roster.payments] == ["2026-05"]


def test_a_person_who_died_before_the_period_is_not_on_the_roster() -> None:
    died_in_april = replace(cert(1), benefits_end=benefits_end_after_death(date(2026, 4, 9)))
    assert roster_for("2026-04", candidate(died_in_april)).payee_count == 1
    roster = roster_for("2026-05", candidate(died_in_april))
    assert (roster.payments, roster.skipped) == ([], [])


def test_a_suspended_certification_is_skipped_and_its_suspended_months_owe_no_arrears(
        ) -> None:
    suspended = replace(cert(1), suspensions=((date(2026, 3, 1), None),))
    roster = roster_for("2026-05", candidate(suspended))
    assert [s.reason for s in roster.skipped] == [SUSPENDED]
    reinstated = replace(cert(1), suspensions=((date(2026, 3, 1), date(2026, 4, 15)),))
    roster = roster_for("2026-05", candidate(reinstated), arrears=("2026-03", "2026-04"))
    assert [p.period for p in roster.payments] == ["2026-04", "2026-05"]


def test_account_numbers_are_masked_but_for_the_last_four_digits() -> None:
    assert mask_account("6222021234567890123") == "***************0123"
    assert ACCOUNT.masked.endswith("0123") and "622202" not in ACCOUNT.masked


def test_a_one_off_benefit_already_paid_under_another_one_off_period_is_not_paid_again(
        ) -> None:
    program = "one_child_parents_reward"
    once = amount_table(load_catalogue(), program, "2027-O2", "420117")
    paid = Certification(id="cert-1", person_key="a" * 64, program_code=program,
                         category="standard", division_code="420117",
                         effective_from=date(2026, 3, 1), effective_until=None)
    unpaid = Certification(id="cert-2", person_key="b" * 64, program_code=program,
                           category="standard", division_code="420117",
                           effective_from=date(2026, 3, 1), effective_until=None)
    roster = build_roster([Candidate(paid, ACCOUNT, False, frozenset({"2026-O1"})),
                           Candidate(unpaid, ACCOUNT, False)], once)
    assert [p.certification_id for p in roster.payments] == ["cert-2"]
    assert [(s.certification_id, s.reason) for s in roster.skipped] == [
        ("cert-1", ONE_OFF_PAID)]
