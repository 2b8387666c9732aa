"""Oversight's view of recovery: each receivable's status to closure and the recovery
rate, recovered (repaid + offset) over receivable fen."""

from __future__ import annotations

from siquan.oversight.domain.recovery import TrackedReceivable, rate, recovery_report, status_of


def test_status_follows_a_receivable_to_closure() -> None:
    assert status_of(10_000, 0, 0, 0) == "open"
    assert status_of(10_000, 2_500, 0, 0) == "partly_repaid"
    assert status_of(10_000, 10_000, 0, 0) == "repaid"
    assert status_of(10_000, 0, 10_000, 0) == "offset"
    assert status_of(10_000, 2_500, 0, 7_500) == "written_off"


def test_the_rate_is_recovered_over_receivable_and_ignores_write_offs() -> None:
    a = TrackedReceivable("a", "420117", "death", 63_000, "t", repaid_fen=20_000)
    b = TrackedReceivable("b", "420117", "revocation", 42_000, "t", repaid_fen=1_000,
                          written_off_fen=41_000)
    report = recovery_report("special_assistance", 2026, None, [a, b], 0)
    assert report["receivable_fen"] == 105_000
    assert report["recovered_fen"] == 21_000
    assert report["recovery_rate_bp"] == 21_000 * 10_000 // 105_000
    assert report["recovery_rate"] == "0.2000"
    assert report["by_status"]["partly_repaid"] == 1
    assert report["by_status"]["written_off"] == 1
    assert report["outstanding_fen"] == 43_000
    assert report["closed_count"] == 1
    assert rate(0, 0) == (None, None)


def test_a_statement_closing_with_its_recoveries_adds_up() -> None:
    from siquan.oversight.reconciliation.domain.conduct import YearEnd, statement_findings

    def year(recovered: int) -> YearEnd:
        return YearEnd("special_assistance", 2026, "420117", 0, (60_000, 0, 0, 0), 60_000,
                       50_000, 1_000, 11_000 + 2_500, 50_000, 0, "m", recovered_fen=recovered)
    assert statement_findings(year(2_500)) == []
    assert len(statement_findings(year(0))) == 1
