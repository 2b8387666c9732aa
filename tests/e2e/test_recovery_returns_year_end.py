"""Recovery (追回) where the money comes back by another road, and after year-end, through
the four services as processes on the real broker and databases.

Two special-assistance beneficiaries are certified from November 2026. The first's account
is one the bank closes: the November payment settles and comes back three days later. In
between, an approver revokes the first's certification from 1 November, so November's
payment becomes a receivable — and the bank's return then repays it: the receivable closes
in disbursement, fund custody credits the money once (as the return) and oversight counts
it recovered. The second is paid November and December; the 2026 year is closed; in
January the second's certification is revoked from 1 December (the overpayment is found
in the closed year) and the second repays it in full: the closed year's receivable is
settled and the money comes into 2027's special account. Every figure is computed here
from the policy catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.testing import figures
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.figures import LEVELS
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
NOV, DEC = f"{YEAR}-11", f"{YEAR}-12"
CLOSED_BY_BANK = "62284801000000088"  # the simulated bank returns what it pays to ...0088


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    settings = {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "2",
                                 "SIQUAN_RETURNS_POLL_SECONDS": "0.3",
                                 "SIQUAN_BANK_RETURN_DAYS": "3"}}
    base = Path(tmp_path_factory.mktemp("recovery-returns"))
    with running_cluster(siquan_env, base / "logs", extra_env=settings,
                         trace_dir=base / "traces") as running:
        yield running


def owed(person: Beneficiary, period: str) -> int:
    return figures.owed(PROGRAM, person.category, period, DIVISION)


@pytest.mark.timeout(600)
async def test_a_bank_return_repays_a_receivable_and_a_repayment_after_year_end_is_booked(
        cluster: Cluster) -> None:
    cluster.clock.set(datetime(YEAR, 10, 20, 9, tzinfo=UTC))
    residents = ResidentFactory(DIVISION, birth_year=1960)
    returned = Beneficiary(residents.next(), "欧阳秀英", PROGRAM, "death")
    repays = Beneficiary(residents.next(), "司马建国", PROGRAM, "disability")
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle, returned, repays)
    finally:
        await cycle.close()


async def _receivable(cycle: CountyCycle, certification_id: str, **wanted: Any
                      ) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        for r in listed["receivables"]:
            if r["certification_id"] == certification_id and all(
                    r[k] == v for k, v in wanted.items()):
                return r  # type: ignore[no-any-return]
        return None
    return await eventually(found, timeout=90, what=f"receivable {wanted} in disbursement")


async def _run(cluster: Cluster, cycle: CountyCycle, returned: Beneficiary,
               repays: Beneficiary) -> None:
    certified = await cycle.certify_all([returned, repays], eligible_from=f"{YEAR}-11-01")
    await cycle.register_account(returned, CLOSED_BY_BANK)
    await cycle.register_account(repays, "62284801000000002")
    appropriated = owed(returned, NOV) + owed(repays, NOV) + owed(repays, DEC)
    await cycle.appropriate(RunPlan(PROGRAM, NOV), appropriated)
    account_path = f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}"

    # November: both paid; the bank will send the first's payment back on the 13th.
    cluster.clock.set(datetime(YEAR, 11, 10, 9, tzinfo=UTC))
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    run = await cycle.pay(RunPlan(PROGRAM, NOV))
    assert run["amounts_fen"]["settled"] == owed(returned, NOV) + owed(repays, NOV)

    # The 11th: the first is revoked from 1 November — November was not owed.
    cluster.clock.set(datetime(YEAR, 11, 11, 9, tzinfo=UTC))
    await cycle.eligibility.call(
        "POST", f"/certifications/{certified[returned.resident_id]}/revocation",
        Officers.approver, json={"reason": "finding: not eligible since November",
                                 "effective_from": f"{YEAR}-11-01"})
    first = await _receivable(cycle, certified[returned.resident_id])
    assert (first["total_fen"], first["fiscal_year"]) == (owed(returned, NOV), YEAR)

    # The bank's return (the 13th) is seen: the receivable is repaid by it, nothing more.
    cluster.clock.set(datetime(YEAR, 11, 20, 9, tzinfo=UTC))
    first = await _receivable(cycle, certified[returned.resident_id], status="repaid")
    assert (first["repaid_fen"], first["outstanding_fen"]) == (owed(returned, NOV), 0)
    shown = await cycle.disbursement.call("GET", f"/runs/{run['run_id']}", Officers.disburser)
    assert (shown["returned"]["count"], shown["returned"]["amount_fen"]) == (
        1, owed(returned, NOV))

    # The receivable's repayment and the run's returned chunk are two messages from
    # disbursement, booked in either order: both are awaited.
    async def returned_once() -> dict[str, Any] | None:
        balances: dict[str, Any] = await cycle.fund_custody.call(
            "GET", f"/balances/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
        totals = balances["totals"]
        return balances if (totals["recovered_fen"], totals["spent_fen"]) == (
            owed(returned, NOV), owed(repays, NOV)) else None
    balances = await eventually(returned_once, timeout=60, what="the return in fund custody")
    assert balances["totals"]["receivable_outstanding_fen"] == 0
    account = await cycle.fund_custody.call("GET", account_path, Officers.treasury)
    # appropriated − paid + returned: the returned payment counts once.
    assert account["available_fen"] == appropriated - owed(repays, NOV)
    assert account["receivable_fen"] == dict.fromkeys(LEVELS, 0)
    assert balances["totals"]["available_fen"] == appropriated - owed(repays, NOV)

    # December: only the second is paid; then the year is closed.
    cluster.clock.set(datetime(YEAR, 12, 10, 9, tzinfo=UTC))
    december = await cycle.pay(RunPlan(PROGRAM, DEC))
    assert december["amounts_fen"]["settled"] == owed(repays, DEC)
    closing = appropriated - owed(repays, NOV) - owed(repays, DEC)

    async def settled() -> dict[str, Any] | None:
        seen: dict[str, Any] = await cycle.fund_custody.call("GET", account_path,
                                                             Officers.treasury)
        allocation = await cycle.fund_custody.call(
            "GET", f"/allocations/{december['run_id']}", Officers.treasury)
        # the money first, then the run's completion settles its allocation
        return seen if (seen["available_fen"] == closing and not seen["reserved_fen"]
                        and allocation["status"] == "settled") else None
    await eventually(settled, timeout=60, what="December settled in fund custody")
    cluster.clock.set(datetime(YEAR + 1, 1, 5, 9, tzinfo=UTC))
    statement = await cycle.fund_custody.call(
        "POST", f"/statements/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
    assert (statement["closing_fen"], statement["returned_fen"]) == (
        closing, owed(returned, NOV))
    next_path = f"/accounts/{PROGRAM}/{YEAR + 1}/{DIVISION}"
    assert (await cycle.fund_custody.call("GET", next_path, Officers.treasury)
            )["available_fen"] == closing

    # January: the second is revoked from 1 December; the receivable is found in the closed
    # year, and repaid in full.
    cluster.clock.set(datetime(YEAR + 1, 1, 8, 9, tzinfo=UTC))
    await cycle.eligibility.call(
        "POST", f"/certifications/{certified[repays.resident_id]}/revocation",
        Officers.approver, json={"reason": "finding: moved away in November",
                                 "effective_from": f"{YEAR}-12-01"})
    second = await _receivable(cycle, certified[repays.resident_id])
    assert (second["total_fen"], second["fiscal_year"]) == (owed(repays, DEC), YEAR)
    repaid = await cycle.disbursement.call(
        "POST", f"/receivables/{second['receivable_id']}/repayments", Officers.disburser,
        json={"amount_fen": owed(repays, DEC), "reference": "BANK-2027-0001"})
    assert (repaid["status"], repaid["outstanding_fen"]) == ("repaid", 0)

    async def into_next_year() -> dict[str, Any] | None:
        seen: dict[str, Any] = await cycle.fund_custody.call("GET", next_path,
                                                             Officers.treasury)
        return seen if seen["available_fen"] == closing + owed(repays, DEC) else None
    await eventually(into_next_year, timeout=60, what="the repayment in 2027's account")
    closed_year = await cycle.fund_custody.call("GET", account_path, Officers.treasury)
    assert closed_year["available_fen"] == 0
    assert closed_year["receivable_fen"] == dict.fromkeys(LEVELS, 0)
    listed = await cycle.fund_custody.call(
        "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
    by_id = {r["receivable_id"]: r for r in listed["receivables"]}
    assert {lv["fiscal_level"]: lv["receivable_fen"]
            for lv in by_id[second["receivable_id"]]["levels"]} == figures.per_level(
        PROGRAM, repays.category, [DEC], DIVISION)
    assert [by_id[r]["outstanding_fen"] for r in (first["receivable_id"],
                                                  second["receivable_id"])] == [0, 0]

    # Oversight: both closed, all recovered, nothing counted twice.
    total = owed(returned, NOV) + owed(repays, DEC)

    async def rated() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.oversight.call(
            "GET", f"/recovery/{PROGRAM}/{YEAR}?division_code={DIVISION}", Officers.auditor)
        return report if report["closed_count"] == 2 else None
    report = await eventually(rated, timeout=60, what="oversight saw both closed")
    assert (report["receivable_fen"], report["recovered_fen"], report["written_off_fen"],
            report["recovery_rate_bp"]) == (total, total, 0, 10_000)
    assert {r["receivable_id"]: r["status"] for r in report["receivables"]} == {
        first["receivable_id"]: "repaid", second["receivable_id"]: "repaid"}
