"""A backdated change to a lower category through the four services as processes, on the
real broker and databases.

Two special-assistance beneficiaries of the only child's death standard are certified
through eligibility's API and paid January to May 2026. In June the county's approver
changes the first's category to the only child's disability from April: April and May
were paid at the higher standard. Disbursement records the difference of each as one
receivable (`standard_lowered`), fund custody books it per fiscal level as the spending of
each month was split, oversight tracks it with its months; the June run pays the first at
the disability standard (no top-up, nothing else recorded), the second as before. Every
figure is computed here from the policy catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    file_certification_evidence,
)
from siquan.shared.person import person_key
from siquan.shared.testing import figures
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.facts import qualifying_household
from siquan.shared.testing.figures import LEVELS
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 7)]
LOWERED = MONTHS[3:5]  # April and May, paid before the change


def owed(category: str, period: str) -> int:
    return figures.owed(PROGRAM, category, period, DIVISION)


def difference(period: str) -> int:
    return owed("death", period) - owed("disability", period)


@pytest.mark.timeout(600)
async def test_a_backdated_lower_category_becomes_a_receivable_booked_and_tracked(
        cluster: Cluster) -> None:
    residents = ResidentFactory(DIVISION, birth_year=1958)
    changed = Beneficiary(residents.next(), "郑玉兰", PROGRAM, "death")
    kept = Beneficiary(residents.next(), "冯淑英", PROGRAM, "death")
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle, changed, kept)
    finally:
        await cycle.close()


async def _settled(cluster: Cluster, key: str) -> list[tuple[str, str, int]]:
    rows = await cluster.env.fetch(
        "disbursement", "SELECT period, item, amount_fen FROM payments"
        " WHERE person_key = $1 AND status = 'settled' ORDER BY period, item", key)
    return [(r["period"], r["item"], int(r["amount_fen"])) for r in rows]


async def _run(cluster: Cluster, cycle: CountyCycle, changed: Beneficiary,
               kept: Beneficiary) -> None:
    assert all(difference(p) > 0 for p in LOWERED)
    certified = await cycle.certify_all([changed, kept], eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate((changed, kept)):
        await cycle.register_account(person, f"6228480300000{n + 1:04d}")
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]),
                            2 * sum(owed("death", m) for m in MONTHS))
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    for month in range(1, 6):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        run = await cycle.pay(RunPlan(PROGRAM, MONTHS[month - 1]))
        assert run["amounts_fen"]["settled"] == 2 * owed("death", MONTHS[month - 1])

    # June: the change of category, back to April, on the child's disability card and
    # the household's facts as they now are.
    cluster.clock.set(datetime(YEAR, 6, 5, 9, tzinfo=UTC))
    await file_certification_evidence(cycle.eligibility, certified[changed.resident_id],
                                      ["child_disability_card"])
    disabled = qualifying_household(changed.resident_id, PROGRAM, "disability")
    done = await cycle.eligibility.call("POST", "/category-changes", Officers.approver, json={
        "certification_id": certified[changed.resident_id], "to_category": "disability",
        "effective_from": f"{YEAR}-04-01", "reason": "伤残等级复核后调整",
        "household": {k: disabled[k] for k in ("family_type", "children")}})
    assert (done["from_category"], done["to_category"]) == ("death", "disability")

    async def found() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        return next((r for r in listed["receivables"]
                     if r["certification_id"] == certified[changed.resident_id]), None)
    receivable = await eventually(found, timeout=60, what="the receivable recorded")
    total = sum(difference(p) for p in LOWERED)
    assert (receivable["cause"], receivable["ended_from"], receivable["total_fen"],
            receivable["status"], receivable["fiscal_year"]) == (
        "standard_lowered", f"{YEAR}-04-01", total, "open", YEAR)
    shown = await cycle.disbursement.call(
        "GET", f"/receivables/{receivable['receivable_id']}", Officers.auditor)
    assert sorted((p["period"], p["amount_fen"]) for p in shown["payments"]) == [
        (p, difference(p)) for p in LOWERED]

    # Fund custody: the receivable per fiscal level, each month's difference split by the
    # shares its spending was split by.
    async def booked() -> dict[str, Any] | None:
        listed = await cycle.fund_custody.call(
            "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
        return next((r for r in listed["receivables"]
                     if r["receivable_id"] == receivable["receivable_id"]), None)
    in_ledger = await eventually(booked, timeout=60, what="the receivable in fund custody")
    expected = dict.fromkeys(LEVELS, 0)
    for period in LOWERED:
        for level, fen in figures.split(difference(period),
                                        figures.shares(PROGRAM, period, DIVISION)).items():
            expected[level] += fen
    assert {row["fiscal_level"]: row["receivable_fen"]
            for row in in_ledger["levels"]} == expected
    account = await cycle.fund_custody.call(
        "GET", f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
    assert account["receivable_fen"] == expected

    # Oversight: the receivable tracked, with its months.
    async def tracked() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.oversight.call(
            "GET", f"/recovery/{PROGRAM}/{YEAR}?division_code={DIVISION}", Officers.auditor)
        return next((r for r in report["receivables"]
                     if r["receivable_id"] == receivable["receivable_id"]), None)
    seen = await eventually(tracked, timeout=60, what="oversight tracks the receivable")
    assert (seen["cause"], seen["total_fen"], seen["outstanding_fen"], seen["status"]) == (
        "standard_lowered", total, total, "open")
    assert seen["periods"] == {p: difference(p) for p in LOWERED}

    # June: paid at the lower standard, nothing topped up, nothing more owed back.
    cluster.clock.set(datetime(YEAR, 6, 10, 9, tzinfo=UTC))
    june = await cycle.pay(RunPlan(PROGRAM, MONTHS[5]))
    assert june["amounts_fen"]["settled"] == owed("disability", MONTHS[5]) + owed(
        "death", MONTHS[5])
    changed_key = person_key(TEST_PERSON_KEY_SECRET, changed.resident_id)
    assert await _settled(cluster, changed_key) == [
        *((p, "benefit", owed("death", p)) for p in MONTHS[:5]),
        (MONTHS[5], "benefit", owed("disability", MONTHS[5]))]
    assert await _settled(cluster, person_key(TEST_PERSON_KEY_SECRET, kept.resident_id)) == [
        (p, "benefit", owed("death", p)) for p in MONTHS]
    listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
    assert [r["receivable_id"] for r in listed["receivables"]] == [
        receivable["receivable_id"]]
