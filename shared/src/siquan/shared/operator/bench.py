"""`make bench`: the foundation's end-to-end throughput on this machine, as JSON.

Certifies N people through eligibility's API (three calls each), waits until disbursement
knows them, runs one monthly payment run through allocation, the simulated bank and
settlement, and waits until oversight has audited and reported it. Each stage's time and
rate are printed; the run is bounded by N and by per-stage time limits.

    python -m siquan.shared.operator.bench [--people 500] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
    expected_total,
)
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory

PLAN = RunPlan("special_assistance", "2026-11")


async def _bounded(items: list[Any], concurrency: int,
                   work: Callable[[int, Any], Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, item: Any) -> None:
        async with gate:
            await work(index, item)

    await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))


async def _measure(cluster: Cluster, people: int, concurrency: int) -> dict[str, Any]:
    residents = ResidentFactory("420117", birth_year=1963)
    beneficiaries = [Beneficiary(residents.next(), "测试人", PLAN.program_code,
                                 "death" if i % 3 else "disability") for i in range(people)]
    cycle = CountyCycle.of(cluster)
    stages: dict[str, float] = {}
    try:
        start = time.perf_counter()

        await cycle.certify_all(beneficiaries)

        async def register(index: int, person: Beneficiary) -> None:
            await cycle.register_account(person, account_number(index))

        await _bounded(beneficiaries, concurrency, register)
        stages["certify_and_register_s"] = time.perf_counter() - start
        owed = expected_total(beneficiaries, PLAN)
        await cycle.appropriate(PLAN, owed)
        start = time.perf_counter()
        await cycle.wait_until_disbursement_knows(people, PLAN.program_code)
        stages["certifications_propagated_s"] = time.perf_counter() - start
        start = time.perf_counter()
        run = await cycle.pay(PLAN)
        stages["payment_run_s"] = time.perf_counter() - start
        start = time.perf_counter()
        report = await cycle.report(PLAN, settled_fen=run["amounts_fen"]["settled"])
        stages["oversight_lag_after_run_s"] = time.perf_counter() - start
    finally:
        await cycle.close()
    assert report["paid_fen"] == owed, (report, owed)
    return {
        "people": people,
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "certifications_per_s": round(people / stages["certify_and_register_s"], 1),
        "payments_per_s": round(people / stages["payment_run_s"], 1),
        "paid_fen": report["paid_fen"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    env = Environment.fresh(args.out.resolve(), prefix="siquan_bench")
    env.provision()
    try:
        with running_cluster(env, args.out / env.name / "logs") as cluster:
            result = asyncio.run(_measure(cluster, args.people, args.concurrency))
    finally:
        env.teardown()
    print(json.dumps({"benchmark": "foundation_county_cycle", **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
