"""`python -m siquan.tools.chaos [--seed N] [--payees N] [--months N] [--faults N]
[--instances N] [--own-servers] [--only public-load|partition|campaign]`: a fault campaign
over a county year of payment runs (see `campaign`), then load on the public surface during
a payment run (see `public_load`), then a network partition and the kill of a node on a
three-node broker cluster of namespaced hosts during a payment run (see `partition`; needs
root and `ip netns`). `--only public-load`, `--only partition` or `--only campaign` runs just
that phase.

With `--own-servers` (what `make chaos` does) the campaign runs on a RabbitMQ node and a
PostgreSQL cluster of its own (`servers`), started for it and removed after it, and faults
them too: broker restarts, PostgreSQL restarts fast and immediate, PostgreSQL at
max_connections and the broker at its open-file limit. Without it, it runs on the
machine's servers and only closes connections and ends sessions there.

Prints the seed first (the same seed injects the same faults in the same order), then the
result as JSON, also written to `bench/results/chaos.json`; exits 1 when any promise
failed: a payment lost or paid twice, the ledger out of balance, an audit entry missing,
the chain broken, a finding on this clean data, a dead letter, an instance that exited by
itself, a fault the system did not recover from, or fewer faults than asked for; or, under
public load, the run slowed by more than 20 %, a public p99 of 300 ms or more at 200
requests/s, no 429 past the rate limit, or any 5xx; or, on the broker cluster, a
confirmed message lost, a node not back in the cluster, a quorum queue replica not back,
or a payment promise broken during the broker faults. A phase that could not finish (a
request timed out or refused, a service down) is reported with its reason under the
phase (`failed`) and breaks its promise `<phase>_completed`; the other phases still run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import Environment
from siquan.tools.chaos import campaign, partition, public_load
from siquan.tools.chaos.campaign import CRASHED, Campaign, Options
from siquan.tools.chaos.phases import run_phase
from siquan.tools.chaos.plan import Plan
from siquan.tools.chaos.servers import OwnServers

log = logging.getLogger("siquan.chaos")


def _settings(options: Options) -> dict[str, dict[str, str]]:
    chunk_consumer = {"SIQUAN_CONSUMER_PREFETCH": "8", "SIQUAN_CONSUMER_BATCH_SIZE": "4"}
    return {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": str(options.chunk),
                             "SIQUAN_PAYMENT_WORKERS": "1",
                             "SIQUAN_PAYMENT_POLL_SECONDS": "0.5",
                             "SIQUAN_BANK_LATENCY_MS": str(options.bank_latency_ms)},
            "fund_custody": chunk_consumer, "oversight": chunk_consumer}


async def run(options: Options, out: Path) -> dict[str, Any]:
    """The whole campaign on a fresh environment, removed afterwards."""
    began = time.monotonic()
    # restarts wait in threads for an instance to be healthy: enough threads that a kill
    # never waits behind them
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))
    env = Environment.fresh(await asyncio.to_thread(out.resolve), prefix="siquan_chaos")
    servers: OwnServers | None = None
    if options.own_servers:
        # every instance's pool, the simulated bank's and the campaign's own, and no more
        servers = OwnServers(env.keys_dir.parent / "servers",
                             open_file_limit=options.broker_file_limit,
                             max_connections=45 * options.instances + 30)
        await asyncio.to_thread(servers.start)
        env.admin_amqp_url, env.admin_pg_dsn = servers.broker.url, servers.postgres.dsn
        env.rabbitmqctl = servers.broker.ctl_command
    try:
        return await _campaign(env, servers, options, out, began)
    finally:
        if servers is not None:
            await asyncio.to_thread(servers.stop)


async def _campaign(env: Environment, servers: OwnServers | None, options: Options,
                    out: Path, began: float) -> dict[str, Any]:
    await asyncio.to_thread(env.provision)
    try:
        cluster = Cluster(env, out / env.name / "logs", extra_env=_settings(options),
                          instances=options.instances)
        try:
            # a loaded machine starts a service slowly: a generous bound
            for process in cluster.all_processes():
                await asyncio.to_thread(process.start, timeout=300)
            cluster.clock.set(datetime(campaign.YEAR, 1, 2, 9, tzinfo=UTC))
            owed = await campaign.load_roster(env, options.payees) * options.months
            if options.roster_growth():
                owed += await campaign.load_roster(
                    env, options.roster_growth(), first=options.payees,
                    effective_from=date(campaign.YEAR, options.months, 1))
            # the year's runs with a tenth to spare (a month's amounts may differ)
            await campaign.appropriate(cluster, owed * 11 // 10)
            plan = Plan(options.seed, [p.name for p in cluster.all_processes()],
                        mean_pause_s=options.mean_pause_s,
                        server_faults=servers is not None)
            chaos = Campaign(cluster, plan, options, servers)
            try:
                await asyncio.wait_for(asyncio.gather(chaos.workload(), chaos.office(),
                                                      chaos.inject(),
                                                      chaos.watch()), options.timeout_s)
                await chaos.disarm()
                await chaos.sweep()
            finally:
                await chaos.close()
            return await _verdict(chaos, options, time.monotonic() - began)
        finally:
            await asyncio.to_thread(cluster.stop)
    finally:
        await asyncio.to_thread(env.teardown)


async def _verdict(chaos: Campaign, options: Options, elapsed: float) -> dict[str, Any]:
    env, cluster = chaos.env, chaos.cluster
    landed = [r for r in chaos.records if r.landed]
    audit = await campaign.audit_counts(env, wait_s=300)
    payments = await campaign.payment_counts(env, chaos.runs)
    ledger = await campaign.ledger(cluster, payments.pop("settled_fen_at_bank"))
    chain = await campaign.chain(cluster)
    findings = await campaign.findings(env)
    dead = await asyncio.to_thread(campaign.dead_letters, env)
    reached = Counter(r.point for r in landed if r.kind == CRASHED)
    result: dict[str, Any] = {
        "benchmark": "chaos", "seed": options.seed, "payees": options.payees,
        "last_run_payees": options.payees + options.roster_growth(),
        "runs": len(chaos.runs), "instances_per_service": options.instances,
        "own_servers": options.own_servers,
        "seconds": round(elapsed, 1),
        "faults": {"injected": len(landed),
                   "by_kind": dict(Counter(r.kind for r in landed)),
                   "crash_points_reached": dict(sorted(reached.items())),
                   "crash_points_by_instance": {
                       name: sorted({r.point for r in landed
                                     if r.kind == CRASHED and r.target == name and r.point})
                       for name in sorted(chaos.processes)},
                   "asked_but_not_landed": len(chaos.records) - len(landed)},
        "payments": payments,
        "ledger": ledger,
        "audit": {**audit, "chain_verified": bool(chain.get("ok")),
                  "chain": chain},
        "findings_on_clean_data": sum(f["n"] for f in findings),
        "findings": findings,
        "dead_letters": dead,
        "unexpected_exits": chaos.unexpected_exits,
        "recovery": campaign.recovery(landed),
        "recovery_by_kind": campaign.recovery_by_kind(landed),
        "office_work": dict(sorted(chaos.office_work.items())),
        "fault_log": [r.as_dict(chaos.start) for r in chaos.records],
    }
    result["promises"] = {
        "faults_at_least_asked": len(landed) >= options.faults,
        "nothing_lost": payments["lost"] == 0 and payments["expected"] > 0,
        "nothing_paid_twice": payments["paid_twice"] == 0,
        "ledger_balanced": ledger["balanced"],
        "no_audit_entry_missing": audit["missing"] == 0,
        "chain_verified": result["audit"]["chain_verified"],
        "no_findings_on_clean_data": result["findings_on_clean_data"] == 0,
        "no_dead_letters": sum(dead.values()) == 0,
        "no_unexpected_exit": not chaos.unexpected_exits,
        "every_fault_recovered": result["recovery"]["unrecovered"] == 0,
    }
    result["kept"] = all(result["promises"].values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Options(seed=0)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one")
    parser.add_argument("--payees", type=int, default=defaults.payees)
    parser.add_argument("--months", type=int, default=defaults.months)
    parser.add_argument("--faults", type=int, default=defaults.faults)
    parser.add_argument("--instances", type=int, default=defaults.instances)
    parser.add_argument("--large-run-payees", type=int, default=campaign.LARGE_RUN_PAYEES,
                        help="payees of the year's last run (the roster grows before it)")
    parser.add_argument("--chunk", type=int, default=defaults.chunk)
    parser.add_argument("--bank-latency-ms", type=int, default=defaults.bank_latency_ms)
    parser.add_argument("--mean-pause", type=float, default=defaults.mean_pause_s,
                        help="mean seconds between injected faults")
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s)
    parser.add_argument("--own-servers", action=argparse.BooleanOptionalAction,
                        default=False,
                        help="a RabbitMQ node and a PostgreSQL cluster of the campaign's own,"
                             " restarted and exhausted too (the machine's are never touched)")
    parser.add_argument("--broker-file-limit", type=int,
                        default=defaults.broker_file_limit,
                        help="ulimit -n of the own RabbitMQ node")
    parser.add_argument("--out", type=Path, default=Path("var/chaos"))
    parser.add_argument("--result", type=Path, default=None,
                        help="default: bench/results/chaos.json (chaos-<phase>.json with"
                             " --only <phase>: a phase alone does not replace the"
                             " campaign's figures)")
    parser.add_argument("--only", choices=["public-load", "partition", "campaign"],
                        default=None,
                        help="run only this phase (public-load: no faults, three runs;"
                             " partition: one run on a namespaced broker cluster; campaign:"
                             " the faults without the other phases)")
    parser.add_argument("--load-rate", type=float, default=public_load.TARGET_RATE_PER_S,
                        help="public requests/s offered (the promise is judged at 200)")
    parser.add_argument("--run-start-timeout", type=float,
                        default=public_load.LoadOptions.start_timeout_s,
                        help="seconds disbursement may take to answer POST /runs in the"
                             " load phase before the phase fails")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    print(f"chaos seed {seed} (rerun: --seed {seed})", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s",
                        stream=sys.stderr)
    options = Options(seed, args.payees, args.months, args.faults, args.instances,
                      args.chunk, args.bank_latency_ms, args.mean_pause, args.timeout,
                      own_servers=args.own_servers,
                      broker_file_limit=args.broker_file_limit,
                      large_run_payees=args.large_run_payees)
    load = public_load.LoadOptions(rate_per_s=args.load_rate, seed=seed,
                                   start_timeout_s=args.run_start_timeout)
    result: dict[str, Any] = {"benchmark": "chaos", "seed": seed, "promises": {}}
    if args.only in (None, "campaign"):
        found = run_phase("campaign", lambda: run(options, args.out))
        if "failed" in found:  # the campaign's figures are the result's own
            result["campaign"] = {k: v for k, v in found.items() if k != "promises"}
            result["promises"].update(found["promises"])
        else:
            result = found
    if args.only in (None, "public-load"):
        result["public_load"] = run_phase("public_load", lambda: public_load.run(
            options, args.out, _settings(options), load))
        result["promises"].update(result["public_load"].pop("promises"))
    if args.only in (None, "partition"):
        result["partition"] = run_phase("partition", lambda: partition.run(
            options, args.out, _settings(options)))
        result["promises"].update(result["partition"].pop("promises"))
    result["kept"] = all(result["promises"].values())
    text = json.dumps(result, indent=2, default=str)
    print(text)
    # the campaign alone replaces the campaign's figures; the load phase alone has its own
    suffix = "-public-load" if args.only == "public-load" else ""
    path = args.result or Path(f"bench/results/chaos{suffix}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return 0 if result["kept"] else 1


if __name__ == "__main__":
    sys.exit(main())
