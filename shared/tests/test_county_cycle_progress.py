"""The progress `make demo` prints while the county's cycle runs: each stage once, in order,
with its counts, as the cycle reaches it, and a run's allocation, bank answers and
settlement even when the run went through them between two reads. The services are
stood in for by canned answers (unit test: no HTTP, no servers)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from siquan.shared.clock import FileClock
from siquan.shared.operator.county_cycle import (
    CountyCycle,
    RunPlan,
    default_beneficiaries,
    expected_total,
    yuan,
)
from siquan.shared.operator.demo import PLANS, progress_printer
from siquan.shared.testing.facts import required_evidence


def run_state(status: str, pending: int, settled: int, failed: int, settled_fen: int
              ) -> dict[str, Any]:
    return {"status": status, "rejection_reason": "",
            "counts": {"pending": pending, "settled": settled, "failed": failed,
                       "cancelled": 0},
            "amounts_fen": {"pending": 0, "settled": settled_fen, "failed": 0,
                            "cancelled": 0}}


class CannedCounty:
    """Answers the cycle's calls to the four services as they would, from what the cycle
    asked before: the first plan's run is read at each stage, the second only once it has
    completed."""

    def __init__(self, plans: list[RunPlan]) -> None:
        self.last_trace_id: str | None = None
        self.applications = 0
        self.people = default_beneficiaries()
        self.runs: dict[str, list[dict[str, Any]]] = {}
        self.first_run = f"run-{plans[0].program_code}"

    async def close(self) -> None:
        return None

    def _plan(self, program_code: str) -> tuple[int, int]:
        plan = next(p for p in PLANS if p.program_code == program_code)
        count = sum(1 for b in self.people if b.program_code == program_code)
        return count, expected_total(self.people, plan)

    async def call(self, method: str, path: str, officer: str, **kwargs: Any) -> Any:
        body = kwargs.get("json") or {}
        if (method, path) == ("POST", "/applications"):
            self.applications += 1
            return {"application_id": f"app-{self.applications}"}
        if method == "POST" and path.endswith("/approve"):
            return {"certification_id": f"cert-{path.split('/')[2]}"}
        if (method, path) == ("POST", "/notices"):
            return {"closes_on": "2026-12-09"}
        if (method, path) == ("POST", "/payee-accounts"):
            return {"awaiting_confirmation": False}
        if path.startswith("/certifications?"):
            return {"active": len(self.people)}
        if (method, path) == ("POST", "/runs"):
            run_id = f"run-{body['program_code']}"
            count, total = self._plan(body["program_code"])
            done = run_state("completed", 0, count, 0, total)
            self.runs[run_id] = [
                run_state("awaiting_allocation", 0, 0, 0, 0),
                run_state("allocated", count, 0, 0, 0),
                run_state("allocated", 1, count - 1, 0, 0), done] \
                if run_id == self.first_run else [done]
            return {"run_id": run_id,
                    "control_totals": {"payee_count": count, "total_fen": total}}
        if method == "GET" and path.startswith("/runs/"):
            states = self.runs[path.removeprefix("/runs/")]
            return states.pop(0) if len(states) > 1 else states[0]
        if path.startswith("/reports/"):
            count, total = self._plan(path.split("/")[2])
            return {"certified_count": count, "paid_fen": total, "settled_fen": total,
                    "failed_count": 0}
        if path == "/audit/verify":
            return {"ok": True, "entries": 321}
        return {}  # evidence, reviews, appropriations: nothing the cycle reads


async def test_the_cycle_reports_each_stage_in_order_with_its_counts(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    clock.set(datetime(2026, 12, 1, 1, tzinfo=UTC))
    lines: list[str] = []
    cycle = CountyCycle({s: "http://127.0.0.1:9" for s in ("eligibility", "fund_custody",
                                                          "disbursement", "oversight")},
                        clock, lines.append)
    await cycle.close()
    county = CannedCounty(PLANS)
    cycle.eligibility = cycle.fund_custody = county  # type: ignore[assignment]
    cycle.disbursement = cycle.oversight = county  # type: ignore[assignment]

    people = default_beneficiaries()
    result = await cycle.run(people, PLANS)

    evidence = sum(len(required_evidence(p.program_code, p.category)) for p in people)
    assert lines[:5] == [
        f"applications: {len(people)} entered with {evidence} evidence files",
        f"reviews: {len(people)} passed the community review and {len(people)} the "
        "township review",
        f"notice: 2 public notices of {len(people)} applications posted, closed on "
        "2026-12-09",
        f"certification: {len(people)} applications approved by the county, each a "
        "certification",
        f"payee accounts: {len(people)} registered and confirmed"]
    assert clock.today().isoformat() == "2026-12-09"  # the notices were waited out
    assert [line.split(":")[0] for line in lines[5:]] == [
        "appropriation", "run started", "allocation", "bank", "bank", "bank", "settled",
        "reconciled",
        "appropriation", "run started", "allocation", "bank", "settled", "reconciled",
        "audit"]
    first, second = PLANS
    payees = sum(1 for p in people if p.program_code == first.program_code)
    owed = expected_total(people, first)
    run = f"run-{first.program_code}"
    assert lines[6] == (f"run started: {first.program_code} {first.period}, run {run}: "
                        f"{payees} payees, ¥{yuan(owed)}, awaiting allocation")
    assert lines[7:12] == [
        f"allocation: run {run} allocated by fund custody",
        f"bank: run {run}: {payees} payments sent, 0 answered (0 paid, 0 refused)",
        f"bank: run {run}: {payees} payments sent, {payees - 1} answered "
        f"({payees - 1} paid, 0 refused)",
        f"bank: run {run}: {payees} payments sent, {payees} answered ({payees} paid, "
        "0 refused)",
        f"settled: run {run} completed: {payees} payments settled, ¥{yuan(owed)}; 0 failed"]
    assert lines[12] == (f"reconciled: oversight's report of {first.program_code} "
                         f"{first.period}: {payees} certified, ¥{yuan(owed)} paid, "
                         f"¥{yuan(owed)} settled, 0 failed")
    # the second run had completed by its first read: its stages are told all the same
    later = sum(1 for p in people if p.program_code == second.program_code)
    assert lines[15:18] == [
        f"allocation: run run-{second.program_code} allocated by fund custody",
        f"bank: run run-{second.program_code}: {later} payments sent, {later} answered "
        f"({later} paid, 0 refused)",
        f"settled: run run-{second.program_code} completed: {later} payments settled, "
        f"¥{yuan(expected_total(people, second))}; 0 failed"]
    assert lines[-1] == "audit: chain verified, 321 entries"
    assert result.audit["ok"] and len(result.reports) == 2


def test_the_demo_prints_each_stage_at_once_after_the_seconds_since_its_start() -> None:
    out = io.StringIO()
    ticks = iter([100.0, 102.5, 164.0])
    printed = progress_printer(out, clock=lambda: next(ticks))
    printed("applications: 5 entered with 12 evidence files")
    assert out.getvalue() == "[   2.5 s] applications: 5 entered with 12 evidence files\n"
    printed("audit: chain verified, 321 entries")
    assert out.getvalue().splitlines()[-1] == "[  64.0 s] audit: chain verified, 321 entries"
