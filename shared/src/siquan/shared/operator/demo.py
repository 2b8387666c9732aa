"""`make demo`: a county's full cycle through the four services, as separate processes, on
a fresh broker vhost and fresh databases; prints oversight's report, the audit check, one
trace (a disburser's request to start a run, followed through every service it reached;
the demo opens no span of its own) and an excerpt of disbursement's /metrics. While the
services run it prints each console's login page and the development accounts, then each
stage of the cycle as it is reached, with its counts and the seconds since the start.

    python -m siquan.shared.operator.demo [--keep] [--instances N] [--out var/demo]

`--up` (`make up`) leaves the services running after the cycle, with what they were given
written to `<out>/up.json`, and prints each one's address; `--down` (`make down`) stops
them and removes their vhost and databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

from siquan.shared.accounts import development
from siquan.shared.accounts.store import read_roster
from siquan.shared.operator.county_cycle import (
    CountyCycle,
    CycleResult,
    Progress,
    RunPlan,
    default_beneficiaries,
    expected_total,
    yuan,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import REPO_ROOT, Environment
from siquan.shared.testing.waiting import eventually

METRICS_SHOWN = ("siquan_payment_run_progress_ratio", "siquan_outbox_backlog",
                 "siquan_queue_depth", "siquan_messages_total", "siquan_consumer_lag_seconds")

PLANS = [RunPlan("special_assistance", "2026-11"), RunPlan("reward_assistance_rural", "2026")]


def progress_printer(out: TextIO | None = None,
                     clock: Callable[[], float] = time.monotonic) -> Progress:
    """Prints each stage the cycle reaches at once (`out`: stdout), after the seconds
    since the printer was made."""
    started = clock()

    def printed(line: str) -> None:
        print(f"[{clock() - started:6.1f} s] {line}", file=out or sys.stdout, flush=True)

    return printed


def _print(result: CycleResult) -> None:
    print("\n四权 Siquan — county 420117, oversight report")
    print(f"{'program':<26}{'period':<9}{'certified':>10}{'allocated':>14}{'paid':>14}"
          f"{'settled':>14}{'failed':>8}")
    for plan, report in result.reports.items():
        print(f"{plan.program_code:<26}{plan.period:<9}{report['certified_count']:>10}"
              f"{yuan(report['allocated_fen']):>14}{yuan(report['paid_fen']):>14}"
              f"{yuan(report['settled_fen']):>14}{report['failed_count']:>8}")
    audit = result.audit
    print(f"\naudit chain: {'verified' if audit['ok'] else 'BROKEN'}, "
          f"{audit['entries']} entries, head {audit['head_hash'][:16]}…")
    print("\nreports (JSON):")
    print(json.dumps({f"{p.program_code}/{p.period}": r for p, r in result.reports.items()},
                     indent=2, ensure_ascii=False, default=str))


def _spans(trace_dir: Path, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(trace_dir.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            span = json.loads(line)
            if span["context"]["trace_id"] == f"0x{trace_id}":
                found.append({**span, "service": path.stem})
    return found


async def _trace(cluster: Cluster, trace_id: str) -> list[str]:
    """One trace from the officer's request through the outbox, the broker and every
    consumer it reached, as the services recorded it (they flush spans in batches)."""
    assert cluster.trace_dir is not None
    trace_dir = cluster.trace_dir

    async def reached() -> list[dict[str, Any]] | None:
        spans = _spans(trace_dir, trace_id)
        services = {s["service"] for s in spans}
        return spans if {"disbursement", "fund_custody", "oversight"} <= services else None

    try:
        spans = await eventually(reached, timeout=30, what=f"trace {trace_id}")
    except AssertionError:  # shown as far as it got
        spans = _spans(trace_dir, trace_id)
    roots = [s for s in spans if s["parent_id"] is None]
    lines = [f"trace {trace_id} (a disburser's POST /runs): {len(spans)} spans in "
             f"{', '.join(sorted({s['service'] for s in spans}))}; root: "
             + ", ".join(f"{r['service']} {r['name']!r}" for r in roots)]
    lines += [f"  {name}" for name in sorted({
        f"{s['service']}: {s['name']}" for s in spans
        if s["kind"] in ("SpanKind.SERVER", "SpanKind.CONSUMER")})]
    return lines


async def _metrics(cluster: Cluster) -> list[str]:
    """An excerpt of disbursement's /metrics once its run-progress gauge (sampled every
    few seconds) has seen the runs."""
    async def sampled() -> str | None:
        async with httpx.AsyncClient(base_url=cluster.url("disbursement")) as http:
            scraped = (await http.get("/metrics")).text
        return scraped if METRICS_SHOWN[0] + "{" in scraped else None

    try:
        scraped = await eventually(sampled, timeout=30, what="the run progress gauge")
    except AssertionError:
        async with httpx.AsyncClient(base_url=cluster.url("disbursement")) as http:
            scraped = (await http.get("/metrics")).text
    shown = [line for line in scraped.splitlines() if line.startswith(METRICS_SHOWN)]
    return [f"metrics (GET {cluster.url('disbursement')}/metrics, excerpt):",
            *(f"  {line}" for line in shown[:20])]


async def _drive(cluster: Cluster) -> tuple[CycleResult, list[str]]:
    print("\nthe county's cycle:", flush=True)
    cycle = CountyCycle.of(cluster, progress_printer())
    people = default_beneficiaries()
    try:
        result = await cycle.run(people, PLANS)
    finally:
        await cycle.close()
    first_run = result.runs[PLANS[0]]["run_id"]
    closing = await _trace(cluster, cycle.run_traces[first_run]) \
        if first_run in cycle.run_traces else ["no trace id came back from POST /runs"]
    closing += ["", *await _metrics(cluster)]
    for plan in PLANS:
        owed = expected_total(people, plan)
        report = result.reports[plan]
        if report["paid_fen"] != owed or report["settled_fen"] != owed:
            raise SystemExit(f"{plan}: paid {report['paid_fen']} / settled "
                             f"{report['settled_fen']} but the policy owes {owed}")
    return result, closing


UP_STATE = "up.json"


def _write_up(env: Environment, cluster: Cluster, path: Path) -> None:
    """What `--down` needs: the environment's name, keys and servers, and each process."""
    path.write_text(json.dumps({
        "name": env.name, "keys_dir": str(env.keys_dir.resolve()),
        "admin_amqp_url": env.admin_amqp_url, "admin_pg_dsn": env.admin_pg_dsn,
        "processes": [{"name": p.name, "service": p.service, "pid": p.pid, "url": p.url}
                      for p in cluster.all_processes()]}, indent=2), "utf-8")


def _print_up(cluster: Cluster, state: Path) -> None:
    print("\nthe services stay up (make down stops them):")
    for process in cluster.all_processes():
        print(f"  {process.name:<16} {process.url}/console/login   logs {process.log_path}")
    print(f"  public notice board  {cluster.url('oversight')}/public/notices")
    print(f"  state                {state}")


def _ours(pid: int) -> bool:
    """The process is still one of the services (not a later process given the same id)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"siquan." in command


def _stop(pid: int, timeout: float = 30.0) -> None:
    if not _ours(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _ours(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _ours(pid):
        os.kill(pid, signal.SIGKILL)


def down(out: Path) -> int:
    """Stop what `--up` left running and remove its vhost and databases."""
    state = out / UP_STATE
    if not state.exists():
        print(f"nothing is up ({state} does not exist)")
        return 0
    found = json.loads(state.read_text("utf-8"))
    for process in found["processes"]:
        if process["pid"] is not None:
            _stop(int(process["pid"]))
        print(f"stopped {process['name']}")
    Environment(name=found["name"], keys_dir=Path(found["keys_dir"]),
                admin_amqp_url=found["admin_amqp_url"],
                admin_pg_dsn=found["admin_pg_dsn"]).teardown()
    print(f"removed vhost and databases {found['name']}")
    state.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the vhost and databases")
    parser.add_argument("--instances", type=int, default=1, choices=range(1, 5),
                        metavar="N", help="competing instances of each service (1 to 4)")
    parser.add_argument("--up", action="store_true",
                        help="leave the services running after the cycle (`--down` stops "
                             "them)")
    parser.add_argument("--down", action="store_true",
                        help="stop what `--up` left running and remove its vhost and "
                             "databases")
    parser.add_argument("--out", type=Path, default=Path("var/demo"))
    args = parser.parse_args(argv)
    if args.down:
        return down(args.out)
    state = args.out / UP_STATE
    if args.up and state.exists():
        print(f"already up ({state}): `make down` first", file=sys.stderr)
        return 2
    env = Environment.fresh(args.out.resolve(), prefix="siquan_demo")
    print(f"provisioning vhost and databases {env.name} …", flush=True)
    env.provision()
    cluster, left_up = None, False
    try:
        cluster = Cluster(env, args.out / env.name / "logs",
                          trace_dir=args.out / env.name / "traces", instances=args.instances)
        print("starting the four services …", flush=True)
        cluster.start()
        print(f"four services running ({args.instances} instance(s) each): " + ", ".join(
            f"{p.name} {p.url}" for p in cluster.all_processes()))
        roster = read_roster(REPO_ROOT / "infra" / "dev" / "officers.json")
        print("\n".join(development.describe(
            roster, {s: p.url for s, p in cluster.processes.items()})), flush=True)
        result, closing = asyncio.run(_drive(cluster))
        _print(result)
        print("\n" + "\n".join(closing))
        if args.up:
            args.out.mkdir(parents=True, exist_ok=True)
            _write_up(env, cluster, state)
            _print_up(cluster, state)
            left_up = True
        return 0 if result.audit.get("ok") else 1
    finally:
        if not left_up:
            if cluster is not None:
                cluster.stop()
            if not args.keep:
                env.teardown()


if __name__ == "__main__":
    sys.exit(main())
