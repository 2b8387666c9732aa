"""A county's existing roster migrated from another system (存量名册迁移), through the four
services as processes on the real broker and databases.

1,000 special-assistance beneficiaries, with valid resident IDs, certified since various
dates and paid by the old system through various months (some not at all, some through
the run's own month, some so long ago that months are owed from before the arrears
window), are submitted in one XLSX workbook with a few bad rows. Eligibility reports each
bad row by number and reason code and never echoes an ID number; the officer who submitted
the import cannot approve it, a second one does, and 1,000 certifications are created as
migrated.
Disbursement takes the accounts and paid-through from the same workbook. Every month each
person is still owed up to the first run (July 2026) is counted here from the policy
catalogue alone, to the fen, with no limit; the run pays exactly those within disbursement's
arrears window (its configured twelve months), and the import's reconciliation shows the
same, and shows the months before the window — whose, how many and how much — which no run
pays.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.periods import next_period, period_of, period_start, previous_period
from siquan.contracts.policy import load_catalogue
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import CountyCycle, RunPlan
from siquan.shared.roster_workbook import template
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, RUN_PERIOD = "special_assistance", "420117", "2026-07"
PEOPLE = 1_000
WINDOW = 12  # disbursement's arrears_max_periods (its default)
SECOND_APPROVER = "dual-420117-01"
CATALOGUE = load_catalogue()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAID_THROUGH = [None, "2024-11", "2025-06", "2025-12", "2026-03", "2026-05", "2026-06",
                "2026-07"]


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    """One instance of each service; chunks large enough for a 1,000-person run."""
    base = Path(tmp_path_factory.mktemp("cluster"))
    with running_cluster(siquan_env, base / "logs",
                         extra_env={"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "500"}}
                         ) as running:
        yield running


def _person(n: int, resident_id: str) -> list[str]:
    category = "death" if n % 3 else "disability"
    paid_through = PAID_THROUGH[n % len(PAID_THROUGH)]
    if paid_through is None:  # never paid by the old system: certified this spring
        since = date(2026, 3, 1 + n % 28)
    else:
        since = date(2013 + n % 11, 1 + n % 12, 1 + n % 28)
    account = f"622280{n:08d}31"  # never a suffix the simulated bank refuses
    return [resident_id, "王秀英", PROGRAM, category, DIVISION, since.isoformat(),
            paid_through or "", "ICBC", account]


def owed_months(row: list[str]) -> list[str]:
    """Every period one row is owed up to the run's: from the one holding the first day
    owed (after paid-through, never before certified since) through the run's, whatever
    any window reaches."""
    frequency = CATALOGUE.in_force(PROGRAM, period_start(RUN_PERIOD), DIVISION).frequency
    month: str | None = period_of(frequency, _owed_from(row))
    months = []
    while month is not None and period_start(month) <= period_start(RUN_PERIOD):
        months.append(month)
        month = next_period(month)
    return months


def window_from() -> str:
    """The first month the run reaches back to: `WINDOW` months before the run's."""
    month: str | None = RUN_PERIOD
    for _ in range(WINDOW):
        assert month is not None
        month = previous_period(month)
    assert month is not None
    return month


def fen(row: list[str], months: list[str]) -> int:
    return sum(CATALOGUE.amount_for(PROGRAM, row[3], month, DIVISION) for month in months)


def within(row: list[str]) -> list[str]:
    """The months owed the run pays: those of its arrears window and its own."""
    return [m for m in owed_months(row) if period_start(m) >= period_start(window_from())]


def beyond(row: list[str]) -> list[str]:
    """The months owed from before the window: no run pays them."""
    return [m for m in owed_months(row) if period_start(m) < period_start(window_from())]


def bad_rows(residents: ResidentFactory, first_good: list[str]) -> list[tuple[list[str], str]]:
    """Rows the import must refuse, each with its reason code."""
    valid = residents.next()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    return [
        ([wrong_check, *first_good[1:]], "resident_id_invalid"),
        (list(first_good), "resident_id_duplicate"),
        ([residents.next(), "李四", "no_such_program", "death", DIVISION, "2015-01-01",
          "2026-05", "ICBC", "622280000000000001"], "program_unknown"),
        ([residents.next(), "李四", PROGRAM, "no_such_category", DIVISION, "2015-01-01",
          "2026-05", "ICBC", "622280000000000002"], "category_unknown"),
        ([residents.next(), "李四", PROGRAM, "death", DIVISION, "2015-13-01", "2026-05",
          "ICBC", "622280000000000003"], "certified_since_invalid"),
        ([residents.next(), "李四", PROGRAM, "death", DIVISION, "2015-01-01", "2026-05",
          "ICBC", "62228-ABC"], "account_number_invalid"),
        ([residents.next(), "李四", PROGRAM, "death", DIVISION, "2026-05-01", "2026-02",
          "ICBC", "622280000000000004"], "paid_through_before_certified"),
    ]


@pytest.mark.timeout(900)
async def test_a_migrated_roster_of_1000_is_paid_exactly_the_months_still_owed(
        cluster: Cluster) -> None:
    cluster.clock.set(datetime(2026, 7, 10, 9, tzinfo=UTC))
    residents = ResidentFactory(DIVISION, birth_year=1960)
    good = [_person(n, residents.next()) for n in range(PEOPLE)]
    bad = bad_rows(residents, good[0])
    # bad rows sit among the good ones: row numbers are the spreadsheet's (header is row 1)
    rows: list[list[str]] = []
    refused_at: dict[int, str] = {}
    for n, row in enumerate(good):
        rows.append(row)
        if n % 150 == 75 and bad:
            extra, reason = bad.pop(0)
            rows.append(extra)
            refused_at[len(rows) + 1] = reason
    for extra, reason in bad:
        rows.append(extra)
        refused_at[len(rows) + 1] = reason
    workbook = template(rows)
    expected = {row[0]: fen(row, within(row)) for row in good}
    cycle = CountyCycle.of(cluster)
    try:
        await _migrate_and_pay(cycle, workbook, good, refused_at, expected)
    finally:
        await cycle.close()


def _upload(workbook: bytes) -> dict[str, Any]:
    return {"files": {"file": ("roster.xlsx", workbook, XLSX)}}


def _refusals(report: dict[str, Any]) -> dict[int, str]:
    return {r["row"]: r["reason"] for r in report["refused_rows"]}


async def _migrate_and_pay(cycle: CountyCycle, workbook: bytes, good: list[list[str]],
                           refused_at: dict[int, str], expected: dict[str, int]) -> None:
    submitted = await cycle.eligibility.call("POST", "/roster-imports", Officers.approver,
                                             **_upload(workbook))
    assert submitted["status"] == "awaiting_approval"
    assert (submitted["rows_read"], submitted["accepted"], submitted["refused"]) == (
        PEOPLE + len(refused_at), PEOPLE, len(refused_at))
    assert _refusals(submitted["report"]) == refused_at
    assert submitted["certifications_created"] == 0
    import_id = submitted["import_id"]

    with pytest.raises(RefusedByService) as own:
        await cycle.eligibility.call("POST", f"/roster-imports/{import_id}/approve",
                                     Officers.approver)
    assert own.value.response.status_code == 403
    approved = await cycle.eligibility.call("POST", f"/roster-imports/{import_id}/approve",
                                            SECOND_APPROVER)
    assert (approved["status"], approved["certifications_created"]) == ("approved", PEOPLE)
    assert (approved["submitted_by"], approved["decided_by"]) == (Officers.approver,
                                                                  SECOND_APPROVER)
    again = await cycle.eligibility.call("POST", "/roster-imports", Officers.approver,
                                         **_upload(workbook))
    assert again["accepted"] == 0
    assert set(again["report"]["refused_by_reason"]) == {
        "already_certified", *refused_at.values()}

    await cycle.wait_until_disbursement_knows(PEOPLE, PROGRAM)
    paid_side = await cycle.disbursement.call("POST", "/roster-imports", Officers.disburser,
                                              **_upload(workbook))
    assert (paid_side["rows_read"], paid_side["accepted"], paid_side["refused"]) == (
        PEOPLE + len(refused_at), PEOPLE, len(refused_at))
    assert _refusals(paid_side["report"]) == refused_at
    assert (paid_side["certifications_found"], paid_side["accounts_registered"]) == (
        PEOPLE, PEOPLE)
    for answer in (submitted, approved, again, paid_side):
        text = str(answer)
        assert not any(row[0] in text or row[8] in text for row in good[:50])

    total = sum(expected.values())
    owing = sum(1 for fen in expected.values() if fen)
    run_month = {row[0]: CATALOGUE.amount_for(PROGRAM, row[3], RUN_PERIOD, DIVISION)
                 for row in good if expected[row[0]]}
    plan = RunPlan(PROGRAM, RUN_PERIOD)
    await cycle.appropriate(plan, total)
    run = await cycle.pay(plan)
    assert run["amounts_fen"]["settled"] == total
    assert run["arrears"]["amount_fen"] == total - sum(run_month.values())
    assert run["control_totals"]["payee_count"] == run["counts"]["settled"] == sum(
        len(within(row)) for row in good)
    assert len(run_month) == owing < PEOPLE  # those paid through July are owed nothing
    skipped = [s for s in run["skipped"] if s["reason"] == "already paid for period"]
    assert len(skipped) == PEOPLE - owing

    reconciled = await cycle.disbursement.call(
        "GET", f"/roster-imports/{paid_side['import_id']}/reconciliation"
        f"?run_id={run['run_id']}", Officers.auditor)
    assert (reconciled["expected_fen"], reconciled["paid_fen"],
            reconciled["difference_fen"]) == (total, total, 0)
    # what lies before the window is not lost from view: whose, how many months, how much
    owed_before = [row for row in good if beyond(row)]
    assert len(owed_before) == sum(1 for row in good if row[6] == "2024-11") > 100
    assert reconciled["window_from"] == window_from()
    assert (reconciled["beyond_window_people"], reconciled["beyond_window_periods"],
            reconciled["beyond_window_fen"]) == (
        len(owed_before), sum(len(beyond(row)) for row in owed_before),
        sum(fen(row, beyond(row)) for row in owed_before))
    assert reconciled["beyond_window_fen"] + total == sum(
        fen(row, owed_months(row)) for row in good)  # every month owed, paid or shown
    report = await cycle.report(plan, settled_fen=total)
    assert report["paid_fen"] == total


def _owed_from(row: list[str]) -> date:
    since, paid_through = date.fromisoformat(row[5]), row[6] or None
    if paid_through is None:
        return since
    after = next_period(paid_through)
    assert after is not None
    return max(since, period_start(after))
