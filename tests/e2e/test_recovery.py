"""Recovery (追回) through the four services as processes, on the real broker and databases.

Two special-assistance beneficiaries are certified through eligibility's API and paid
January to June 2026. Public security then reports that the first died on 10 March: the
April, May and June payments were not owed. An approver also revokes the second's
certification from 1 May (a finding), after May and June were paid. Disbursement records
each overpayment as a receivable, fund custody books it per fiscal level, oversight tracks
it. An officer records a partial repayment of the first and a full one of the second; a
write-off of what is left of the first is refused to its proposer and approved by a second
officer. Every figure is computed here from the policy catalogue: the periods not owed,
the fen per period, each fiscal level's share, the available balance, the recovery rate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.periods import first_day_of_next_month, period_start
from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.person import person_key
from siquan.shared.testing import figures
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.figures import LEVELS
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 7)]
def owed(category: str, period: str) -> int:
    return figures.owed(PROGRAM, category, period, DIVISION)


def per_level(periods: list[str], category: str) -> dict[str, int]:
    return figures.per_level(PROGRAM, category, periods, DIVISION)


@pytest.fixture(scope="module")
def people() -> list[Beneficiary]:
    residents = ResidentFactory(DIVISION, birth_year=1961)
    return [Beneficiary(residents.next(), "孙秀兰", PROGRAM, "death"),
            Beneficiary(residents.next(), "周桂芳", PROGRAM, "disability")]


@pytest.mark.timeout(480)
async def test_a_death_mid_year_becomes_a_receivable_repaid_written_off_and_rated(
        cluster: Cluster, people: list[Beneficiary]) -> None:
    clock = cluster.clock
    clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle, people)
    finally:
        await cycle.close()


async def _run(cluster: Cluster, cycle: CountyCycle, people: list[Beneficiary]) -> None:
    dies, revoked = people
    certified = await cycle.certify_all(people, eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate(people):
        await cycle.register_account(person, f"6228480100000{n + 1:04d}")
    paid_total = sum(owed(p.category, m) for p in people for m in MONTHS)
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]), paid_total)
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    for month in range(1, 7):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        run = await cycle.pay(RunPlan(PROGRAM, MONTHS[month - 1]))
        assert run["amounts_fen"]["settled"] == sum(owed(p.category, MONTHS[month - 1])
                                                    for p in people)
    account_path = f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}"

    async def all_settled() -> dict[str, Any] | None:
        account: dict[str, Any] = await cycle.fund_custody.call("GET", account_path,
                                                                Officers.treasury)
        return account if account["paid_out_fen"] == paid_total else None
    account = await eventually(all_settled, timeout=60, what="six runs settled")
    assert account["available_fen"] == 0

    # The death (10 March) is reported after June was paid; the revocation (from 1 May) too.
    cluster.clock.set(datetime(YEAR, 6, 20, 9, tzinfo=UTC))
    died = date(YEAR, 3, 10)
    await publish_as(cluster.env, DeathReportedV2(
        report_id=f"GA-420117-{uuid.uuid4().hex[:8]}", resident_id=dies.resident_id,
        date_of_death=died))
    await cycle.eligibility.call(
        "POST", f"/certifications/{certified[revoked.resident_id]}/revocation",
        Officers.approver, json={"reason": "finding: not eligible since May",
                                 "effective_from": f"{YEAR}-05-01"})

    not_owed = {dies.resident_id: [m for m in MONTHS
                                   if period_start(m) >= first_day_of_next_month(died)],
                revoked.resident_id: [m for m in MONTHS if period_start(m) >= date(YEAR, 5, 1)]}
    assert not_owed[dies.resident_id] == ["2026-04", "2026-05", "2026-06"]
    expected_fen = {p.resident_id: sum(owed(p.category, m) for m in not_owed[p.resident_id])
                    for p in people}

    async def found() -> dict[str, dict[str, Any]] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        by_cert = {r["certification_id"]: r for r in listed["receivables"]}
        wanted = {p.resident_id: by_cert.get(certified[p.resident_id]) for p in people}
        return wanted if all(wanted.values()) else None  # type: ignore[return-value]
    receivables = await eventually(found, timeout=60, what="both receivables recorded")

    for person in people:
        r = receivables[person.resident_id]
        assert (r["total_fen"], r["status"], r["fiscal_year"]) == (
            expected_fen[person.resident_id], "open", YEAR)
        assert r["person_key"] == person_key(TEST_PERSON_KEY_SECRET, person.resident_id)
        shown = await cycle.disbursement.call("GET", f"/receivables/{r['receivable_id']}",
                                              Officers.auditor)
        paid = await cluster.env.fetch(
            "disbursement", "SELECT payment_id::text, period FROM payments"
            " WHERE person_key = $1 AND status = 'settled' ORDER BY period", r["person_key"])
        assert sorted((p["payment_id"], p["period"]) for p in shown["payments"]) == sorted(
            (row["payment_id"], row["period"]) for row in paid
            if row["period"] in not_owed[person.resident_id])
    assert receivables[dies.resident_id]["cause"] == "death"
    assert receivables[revoked.resident_id]["cause"] == "revocation"

    # Fund custody: each receivable per fiscal level, as the spending was split.
    async def booked() -> dict[str, dict[str, Any]] | None:
        listed = await cycle.fund_custody.call(
            "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
        by_id = {r["receivable_id"]: r for r in listed["receivables"]}
        wanted = {p.resident_id: by_id.get(receivables[p.resident_id]["receivable_id"])
                  for p in people}
        return wanted if all(wanted.values()) else None  # type: ignore[return-value]
    in_ledger = await eventually(booked, timeout=60, what="receivables in fund custody")
    for person in people:
        levels = {row["fiscal_level"]: row["receivable_fen"]
                  for row in in_ledger[person.resident_id]["levels"]}
        assert levels == per_level(not_owed[person.resident_id], person.category)
    total_receivable = sum(expected_fen.values())

    # Repayments: part of the first, all of the second.
    first = receivables[dies.resident_id]["receivable_id"]
    second = receivables[revoked.resident_id]["receivable_id"]
    part = owed(dies.category, "2026-04") // 3 + 1
    with pytest.raises(RefusedByService) as too_much:
        await cycle.disbursement.call("POST", f"/receivables/{first}/repayments",
                                      Officers.disburser,
                                      json={"amount_fen": expected_fen[dies.resident_id] + 1})
    assert too_much.value.response.status_code == 409
    repaid = await cycle.disbursement.call(
        "POST", f"/receivables/{first}/repayments", Officers.disburser,
        json={"amount_fen": part, "reference": "BANK-0001"})
    assert (repaid["status"], repaid["outstanding_fen"]) == (
        "partly_repaid", expected_fen[dies.resident_id] - part)
    await cycle.disbursement.call(
        "POST", f"/receivables/{second}/repayments", Officers.disburser,
        json={"amount_fen": expected_fen[revoked.resident_id], "reference": "BANK-0002"})

    # A write-off of the rest: refused to its proposer, approved by a second officer.
    proposed = await cycle.disbursement.call(
        "POST", f"/receivables/{first}/write-offs", Officers.disburser,
        json={"reason": "no estate to recover from"})
    assert proposed["proposed_fen"] == expected_fen[dies.resident_id] - part
    approval = f"/receivables/{first}/write-offs/{proposed['proposal_id']}/approval"
    with pytest.raises(RefusedByService) as same_officer:
        await cycle.disbursement.call("POST", approval, Officers.disburser)
    assert same_officer.value.response.status_code == 403
    assert "second officer" in same_officer.value.response.json()["detail"]
    approved = await cycle.disbursement.call("POST", approval, Officers.checker)
    assert (approved["status"], approved["outstanding_fen"]) == ("written_off", 0)

    # Fund custody: the repayments are available again, nothing is owed back any more.
    recovered = part + expected_fen[revoked.resident_id]

    async def credited() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.fund_custody.call(
            "GET", f"/balances/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
        totals = report["totals"]
        return report if (totals["recovered_fen"], totals["written_off_fen"]) == (
            recovered, expected_fen[dies.resident_id] - part) else None
    balances = await eventually(credited, timeout=60, what="recoveries in fund custody")
    assert balances["totals"]["receivable_fen"] == total_receivable
    assert balances["totals"]["receivable_outstanding_fen"] == 0
    account = await cycle.fund_custody.call("GET", account_path, Officers.treasury)
    assert account["available_fen"] == recovered
    assert account["receivable_fen"] == dict.fromkeys(LEVELS, 0)

    # Oversight: each receivable to closure, and the rate.
    async def rated() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.oversight.call(
            "GET", f"/recovery/{PROGRAM}/{YEAR}?division_code={DIVISION}", Officers.auditor)
        return report if report["closed_count"] == 2 else None
    report = await eventually(rated, timeout=60, what="oversight saw both closed")
    assert report["receivable_fen"] == total_receivable
    assert report["recovered_fen"] == recovered
    assert report["written_off_fen"] == expected_fen[dies.resident_id] - part
    assert report["recovery_rate_bp"] == recovered * 10_000 // total_receivable
    statuses = {r["receivable_id"]: r["status"] for r in report["receivables"]}
    assert statuses == {first: "written_off", second: "repaid"}
