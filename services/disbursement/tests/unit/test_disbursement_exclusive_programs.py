"""`roster.ExclusiveProgramsPayOnce`: a person is not paid for a period in one of two
programs the policy declares exclusive where the other paid them for it or holds their
older certification in force for it: the run's period is skipped with the reason, an
arrear period is not owed here; the rest is paid as ever."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from siquan.contracts.policy import load_catalogue
from siquan.disbursement.domain.amounts import amount_table
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.roster import (
    EXCLUSIVE_PAID,
    Candidate,
    PayeeAccount,
    Skip,
    exclusive_precedes,
    plan_person,
)

PROGRAM, OTHER = "reward_assistance_rural", "contraception_reward"
CATALOGUE = load_catalogue()
TABLE = amount_table(CATALOGUE, PROGRAM, "2026", "420117", ["2024", "2025"])
ACCOUNT = PayeeAccount("102", "6222021234567890123")


def certification(program: str, since: date, n: int = 1) -> Certification:
    return Certification(id=f"{program}-{n}", person_key="a" * 64, program_code=program,
                         category="standard", division_code="420117", effective_from=since)


def candidate(excluded: frozenset[str] = frozenset()) -> Candidate:
    return Candidate(certification(PROGRAM, date(2024, 1, 1)), ACCOUNT, False,
                     excluded_periods=excluded)


def test_the_programs_are_declared_exclusive_both_ways() -> None:
    assert OTHER in CATALOGUE.exclusive_with(PROGRAM)
    assert PROGRAM in CATALOGUE.exclusive_with(OTHER)


def test_a_period_the_exclusive_program_pays_is_skipped_with_the_reason() -> None:
    payments, skipped = plan_person([candidate(frozenset({"2026"}))], TABLE)
    assert payments == []
    assert skipped == [Skip("a" * 64, f"{PROGRAM}-1", EXCLUSIVE_PAID)]


def test_an_arrear_period_the_exclusive_program_paid_is_not_owed_here() -> None:
    payments, skipped = plan_person([candidate(frozenset({"2025"}))], TABLE)
    assert [(p.period, p.arrear) for p in payments] == [("2024", True), ("2026", False)]
    assert skipped == []
    everything, _ = plan_person([candidate()], TABLE)
    assert [p.period for p in everything] == ["2024", "2025", "2026"]


def test_the_older_certification_takes_precedence_the_same_day_the_smaller_id() -> None:
    mine = certification(PROGRAM, date(2025, 1, 1))
    assert exclusive_precedes(certification(OTHER, date(2024, 12, 31)), mine)
    assert not exclusive_precedes(mine, certification(OTHER, date(2024, 12, 31)))
    assert not exclusive_precedes(certification(OTHER, date(2025, 1, 2)), mine)
    same_day = replace(mine, id="z")
    assert exclusive_precedes(certification(OTHER, date(2025, 1, 1)), same_day)
    assert not exclusive_precedes(same_day, certification(OTHER, date(2025, 1, 1)))
