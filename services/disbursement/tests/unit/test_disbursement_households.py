"""A per-household benefit is paid to one member of a household for a period (a one-off
once): another member is skipped with the reason, whoever of them comes first, whether
the household was paid by an earlier run or earlier in the same run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from siquan.contracts.policy import load_catalogue
from siquan.disbursement.domain.amounts import amount_table
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.roster import (
    HOUSEHOLD_PAID,
    Candidate,
    PayeeAccount,
    Skip,
    once_per_household,
    plan_person,
)

PROGRAM, PERIOD = "consolation_one_off", "2026-O1"
ACCOUNT = PayeeAccount("102", "6222021234567890123")
HOME, OTHER_HOME = "a" * 64, "b" * 64
TABLE = amount_table(load_catalogue(), PROGRAM, PERIOD, "420117")


def candidate(n: int, household: str | None) -> Candidate:
    return Candidate(Certification(
        id=f"cert-{n}", person_key=f"{n:064x}", program_code=PROGRAM, category="death",
        division_code="420117", effective_from=date(2026, 1, 1), household_key=household),
        ACCOUNT, False)


def pay(candidates: list[Candidate], paid_by: dict[str, set[str]]
        ) -> tuple[list[str], list[Skip]]:
    paid, skipped = [], []
    for c in candidates:
        payments, _ = plan_person([c], TABLE)
        payments, skips = once_per_household(payments, [c], paid_by)
        paid += [p.person_key for p in payments]
        skipped += skips
    return paid, skipped


def test_the_second_spouse_in_a_run_is_skipped_with_the_reason() -> None:
    husband, wife, neighbour = candidate(1, HOME), candidate(2, HOME), candidate(3, OTHER_HOME)
    paid, skipped = pay([husband, wife, neighbour], {})
    assert paid == [husband.certification.person_key, neighbour.certification.person_key]
    assert skipped == [Skip(wife.certification.person_key, "cert-2", HOUSEHOLD_PAID)]
    assert all(len(s.reason) < 200 and "cert" not in s.reason for s in skipped)


def test_a_household_paid_by_an_earlier_run_is_not_paid_again() -> None:
    wife = candidate(2, HOME)
    paid, skipped = pay([wife], {HOME: {f"{1:064x}"}})
    assert (paid, [s.reason for s in skipped]) == ([], [HOUSEHOLD_PAID])


def test_the_member_paid_before_is_not_refused_for_their_own_payment() -> None:
    husband = candidate(1, HOME)
    paid, skipped = pay([husband], {HOME: {husband.certification.person_key}})
    assert (paid, skipped) == ([husband.certification.person_key], [])


def test_people_outside_the_register_are_paid_each() -> None:
    first, second = candidate(1, None), candidate(2, None)
    paid, skipped = pay([first, second], {})
    assert (len(paid), skipped) == (2, [])


def test_a_member_with_nothing_owed_leaves_the_household_unpaid() -> None:
    ended = candidate(1, HOME)
    ended = replace(ended, certification=replace(ended.certification,
                                                 effective_until=date(2026, 1, 1)))
    wife = candidate(2, HOME)
    paid_by: dict[str, set[str]] = {}
    assert pay([ended], paid_by) == ([], [])
    assert pay([wife], paid_by)[0] == [wife.certification.person_key]


def test_a_member_owed_only_arrears_is_not_paid_them_nor_claims_the_household() -> None:
    """The household's arrears go with the member paid the run's period: a member owed only
    earlier months (revoked since) is not paid them here, and the other member still is."""
    revoked = replace(candidate(1, HOME).certification, effective_until=date(2026, 5, 1))
    planned = [replace(p, arrear=True) for p in plan_person([candidate(1, HOME)], TABLE)[0]]
    paid_by: dict[str, set[str]] = {}
    assert once_per_household(planned, [replace(candidate(1, HOME), certification=revoked)],
                              paid_by) == ([], [])
    assert paid_by == {}
    assert pay([candidate(2, HOME)], paid_by)[0] == [candidate(2, HOME).certification.person_key]
