"""A person's statement: certified per period from the certification's history, the
policy amount owed, the run's allocation, and what was paid, failed or returned."""

from __future__ import annotations

from datetime import date

from siquan.oversight.public.domain.statements import (
    Certification,
    CertificationChange,
    PaymentLine,
    RunFacts,
    build_statement,
)

PERSON = "ab" * 32
PROGRAM = "reward_assistance_rural"


def change(kind: str, effective_from: date, seq: int) -> CertificationChange:
    return CertificationChange(
        certification_id="cert-1", change=kind, program_code=PROGRAM,
        division_code="420117", effective_from=effective_from, seq=seq,
        category="standard" if kind == "granted" else None,
        masked_name="李*" if kind == "granted" else None)


def owed(program: str, category: str, period: str, division: str) -> int | None:
    return 120_000 if (program, category) == (PROGRAM, "standard") else None


def run(run_id: str, period: str, *, allocated: bool = True) -> RunFacts:
    return RunFacts(run_id, PROGRAM, period, "420117", "settled", allocated)


def line(outcome: str, period: str, amount: int, run_id: str = "run-1") -> PaymentLine:
    return PaymentLine(outcome=outcome, run_id=run_id, program_code=PROGRAM, period=period,
                       division_code="420117", amount_fen=amount)


def test_a_certification_counts_from_its_effective_day_until_revoked() -> None:
    cert = Certification((change("granted", date(2025, 1, 1), 1),
                          change("revoked", date(2027, 1, 1), 2)))

    assert not cert.certified_on(date(2024, 12, 31))
    assert cert.certified_on(date(2026, 1, 1))
    assert not cert.certified_on(date(2027, 1, 1))
    assert cert.status == "revoked"


def test_a_suspension_stops_the_benefit_until_reinstated() -> None:
    cert = Certification((change("granted", date(2025, 1, 1), 1),
                          change("suspended", date(2026, 1, 1), 2),
                          change("reinstated", date(2027, 1, 1), 3)))

    assert not cert.certified_on(date(2026, 6, 1))
    assert cert.certified_on(date(2027, 1, 1))
    assert cert.status == "active"


def test_a_paid_period_shows_certified_allocated_and_paid_amounts() -> None:
    statement = build_statement(PERSON, [change("granted", date(2026, 1, 1), 1)],
                                [line("settled", "2026", 120_000)], [run("run-1", "2026")],
                                owed)

    [period] = statement.as_dict()["periods"]
    assert (period["certified"], period["certified_fen"], period["allocated"],
            period["paid_fen"], period["outstanding_fen"]) == (True, 120_000, True, 120_000, 0)


def test_a_run_that_did_not_pay_a_certified_person_shows_what_is_outstanding() -> None:
    statement = build_statement(PERSON, [change("granted", date(2026, 1, 1), 1)], [],
                                [run("run-1", "2026")], owed)

    [period] = statement.as_dict()["periods"]
    assert period["paid_fen"] == 0 and period["outstanding_fen"] == 120_000


def test_a_returned_payment_does_not_count_as_paid() -> None:
    statement = build_statement(
        PERSON, [change("granted", date(2026, 1, 1), 1)],
        [line("settled", "2026", 120_000), line("returned", "2026", 120_000)],
        [run("run-1", "2026")], owed)

    assert statement.as_dict()["totals"] == {
        "certified_fen": 120_000, "paid_fen": 0, "failed_fen": 0,
        "returned_fen": 120_000, "outstanding_fen": 120_000}


def test_runs_of_periods_before_the_certification_are_not_listed() -> None:
    statement = build_statement(PERSON, [change("granted", date(2026, 1, 1), 1)], [],
                                [run("run-0", "2025"), run("run-1", "2026")], owed)

    assert [p["period"] for p in statement.as_dict()["periods"]] == ["2026"]


def test_a_payment_without_a_certification_shows_as_not_certified() -> None:
    statement = build_statement(PERSON, [], [line("settled", "2026", 120_000)],
                                [run("run-1", "2026", allocated=False)], owed)

    [period] = statement.as_dict()["periods"]
    assert (period["certified"], period["certified_fen"], period["allocated"],
            period["paid_fen"]) == (False, 0, False, 120_000)


def test_the_public_view_leaves_out_the_person_key() -> None:
    statement = build_statement(PERSON, [], [], [], owed)

    assert "person_key" not in statement.as_dict(public=True)
    assert statement.as_dict()["person_key"] == PERSON
