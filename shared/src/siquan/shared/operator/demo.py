"""`make demo`: a county's full cycle through the four services, as separate processes, on
a fresh broker vhost and fresh databases; prints oversight's report and the audit check.

    python -m siquan.shared.operator.demo [--keep] [--out var/demo]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from opentelemetry import trace

from siquan.shared.operator.county_cycle import (
    CountyCycle,
    CycleResult,
    RunPlan,
    default_beneficiaries,
    expected_total,
)
from siquan.shared.telemetry import setup_tracing
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment

PLANS = [RunPlan("special_assistance", "2026-11"), RunPlan("reward_assistance_rural", "2026")]


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _print(result: CycleResult) -> None:
    print("\n四权 Siquan — county 420117, oversight report")
    print(f"{'program':<26}{'period':<9}{'certified':>10}{'allocated':>14}{'paid':>14}"
          f"{'settled':>14}{'failed':>8}")
    for plan, report in result.reports.items():
        print(f"{plan.program_code:<26}{plan.period:<9}{report['certified_count']:>10}"
              f"{_yuan(report['allocated_fen']):>14}{_yuan(report['paid_fen']):>14}"
              f"{_yuan(report['settled_fen']):>14}{report['failed_count']:>8}")
    audit = result.audit
    print(f"\naudit chain: {'verified' if audit['ok'] else 'BROKEN'}, "
          f"{audit['entries']} entries, head {audit['head_hash'][:16]}…")
    print("\nreports (JSON):")
    print(json.dumps({f"{p.program_code}/{p.period}": r for p, r in result.reports.items()},
                     indent=2, ensure_ascii=False, default=str))


async def _drive(cluster: Cluster, tracer: trace.Tracer) -> CycleResult:
    cycle = CountyCycle.of(cluster)
    people = default_beneficiaries()
    try:
        with tracer.start_as_current_span("county cycle 420117"):
            result = await cycle.run(people, PLANS)
    finally:
        await cycle.close()
    for plan in PLANS:
        owed = expected_total(people, plan)
        report = result.reports[plan]
        if report["paid_fen"] != owed or report["settled_fen"] != owed:
            raise SystemExit(f"{plan}: paid {report['paid_fen']} / settled "
                             f"{report['settled_fen']} but the policy owes {owed}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the vhost and databases")
    parser.add_argument("--out", type=Path, default=Path("var/demo"))
    args = parser.parse_args(argv)
    env = Environment.fresh(args.out.resolve(), prefix="siquan_demo")
    print(f"provisioning vhost and databases {env.name} …")
    env.provision()
    provider = setup_tracing("operator", args.out / env.name / "traces" / "operator.jsonl")
    try:
        with running_cluster(env, args.out / env.name / "logs",
                             trace_dir=args.out / env.name / "traces") as cluster:
            print("four services running: " + ", ".join(
                f"{s} {p.url}" for s, p in cluster.processes.items()))
            result = asyncio.run(_drive(cluster, provider.get_tracer("siquan.operator")))
        _print(result)
        return 0 if result.audit.get("ok") else 1
    finally:
        provider.shutdown()
        if not args.keep:
            env.teardown()


if __name__ == "__main__":
    sys.exit(main())
