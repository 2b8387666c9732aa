"""`python -m siquan.tools.bench.payment_run`: a province's monthly payment run, timed from
run start to oversight having logged its every message, as JSON.

Starts the four services as processes (`--instances N` competing processes of each;
`--scale SERVICE=N` gives one service its own count, as a deployment scales out the service
that falls behind),
bulk-loads N certifications and payee accounts straight into disbursement's database
(COPY; oversight gets the same certifications), appropriates the money through fund
custody's API, starts the run through disbursement's API and times each stage: roster
frozen, allocation approved, every chunk paid through the simulated bank and the run
completed, fund custody's settlement back, and oversight's audit log holding every
message of the run (its reconciliation runs in the same transactions). Then measures the
raw speed of the same machine for the same volume: a plain asyncpg COPY of N payment rows
and a raw aio-pika publish + consume of as many messages, of the same sizes, as the run
sent (and, beside it for the reader, not in the ratio, the same COPY into a logged table
with the never-twice unique key: what writing one of the run's tables of payments costs).
Prints `seconds`, `ratio_to_raw`, each stage's seconds, `oversight_lag_s` (from the
run's last message published to oversight having logged it), oversight's findings by rule
(none on a clean run), peak RSS per process, CPU seconds per process and per database, and
the machine's load averages.

    python -m siquan.tools.bench.payment_run [--payees 1000000] [--chunk 10000]
        [--instances 1] [--scale oversight=2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.contracts.topology import SERVICES
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port, peak_rss_mib
from siquan.shared.testing.waiting import eventually
from siquan.tools.bench import payment_run_usage as usage
from siquan.tools.bench.payment_run_baseline import (
    raw_copy_seconds,
    raw_messaging_seconds,
    written_copy_seconds,
)
from siquan.tools.bench.payment_run_load import bulk_load

PROGRAM, PERIOD, DIVISION = "special_assistance", "2026-11", "420117"
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
TREASURER = {"Authorization": "Bearer dev-treasury-420117-01"}
_RUN_MESSAGES = ("SELECT message_id::text, length(body) AS size, published_at FROM outbox"
                 " WHERE headers->>'x-siquan-correlation-id' = $1")


@dataclass(frozen=True)
class Options:
    payees: int = 1_000_000
    chunk: int = 10_000
    workers: int = 2
    instances: int = 1
    timeout: float = 1_200.0
    scale: tuple[tuple[str, int], ...] = ()
    """Services run as another number of instances than `instances`."""

    def counts(self) -> dict[str, int]:
        """Instances of each service."""
        return {service: dict(self.scale).get(service, self.instances)
                for service in SERVICES}


def scale_of(text: str) -> tuple[str, int]:
    """`SERVICE=N` as (service, N)."""
    service, _, count = text.partition("=")
    if service not in SERVICES or not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError(
            f"expected SERVICE=N with N >= 1 and SERVICE one of {', '.join(SERVICES)}")
    return service, int(count)


async def _appropriate(client: httpx.AsyncClient, owed_fen: int) -> None:
    policy = load_catalogue().in_force(PROGRAM, period_start(PERIOD), DIVISION)
    levels = policy.fiscal_shares.model_dump()
    paid = 0
    for index, (level, share) in enumerate(levels.items()):
        amount = owed_fen - paid if index == len(levels) - 1 else owed_fen * share // 10_000
        paid += amount
        response = await client.post("/appropriations", headers=TREASURER, json={
            "program_code": PROGRAM, "fiscal_year": int(PERIOD[:4]),
            "division_code": DIVISION, "fiscal_level": level, "amount_fen": amount})
        response.raise_for_status()


class _Watch:
    """Where the run stands, read from the services' databases."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    async def run_reached(self, run_id: str, stage: str) -> bool:
        rows = await self.env.fetch("disbursement", "SELECT status, fund_settled_at"
                                    " FROM payment_runs WHERE run_id = $1", run_id)
        status, settled_at = rows[0]
        if stage == "settled":
            return settled_at is not None
        return bool(status == stage or (stage == "allocated" and status == "completed"))

    async def messages(self, run_id: str) -> list[asyncpg.Record]:
        """Every message of the run: disbursement's and fund custody's (correlated by the
        run id)."""
        return [*await self.env.fetch("disbursement", _RUN_MESSAGES, run_id),
                *await self.env.fetch("fund_custody", _RUN_MESSAGES, run_id)]

    async def logged(self, message_ids: list[str]) -> int:
        rows = await self.env.fetch("oversight", "SELECT count(*) FROM audit_entries"
                                    " WHERE message_id = ANY($1::uuid[])", message_ids)
        return int(rows[0][0])

    async def oversight_lag(self, messages: list[asyncpg.Record]) -> float:
        """From the last message published to oversight's receipt of the last of them."""
        rows = await self.env.fetch("oversight", "SELECT max(received_at) FROM audit_entries"
                                    " WHERE message_id = ANY($1::uuid[])",
                                    [m["message_id"] for m in messages])
        published = max(m["published_at"] for m in messages)
        return round(float((rows[0][0] - published).total_seconds()), 2)


async def _until(probe: Any, timeout: float, what: str) -> float:
    start = time.perf_counter()
    await eventually(probe, timeout=timeout, interval=0.1, what=what)
    return time.perf_counter() - start


async def _run(cluster: Cluster, options: Options, stages: dict[str, float]) -> str:
    """Start the run and wait through every stage; the run's id."""
    watch, timeout = _Watch(cluster.env), options.timeout
    async with httpx.AsyncClient(base_url=cluster.url("disbursement"),
                                 timeout=timeout) as client:
        begin = time.perf_counter()
        response = await client.post("/runs", headers=DISBURSER, json={
            "program_code": PROGRAM, "period": PERIOD, "division_code": DIVISION})
        response.raise_for_status()
    run_id = str(response.json()["run_id"])
    stages["run_start_roster_frozen_s"] = time.perf_counter() - begin
    for stage, name in (("allocated", "allocation_s"),
                        ("completed", "bank_instructions_and_results_s"),
                        ("settled", "settlement_s")):
        async def reached(stage: str = stage) -> bool:
            return await watch.run_reached(run_id, stage)
        stages[name] = await _until(reached, timeout, f"run {stage}")
    messages = await watch.messages(run_id)

    async def all_logged() -> bool:
        return await watch.logged([m["message_id"] for m in messages]) == len(messages)
    stages["oversight_after_settlement_s"] = await _until(all_logged, timeout,
                                                          "oversight logged the run")
    stages["total"] = time.perf_counter() - begin
    return run_id


async def measure_cluster(cluster: Cluster, processes: dict[str, ServiceProcess],
                          options: Options) -> dict[str, Any]:
    """Load, run and measure on a running cluster."""
    env, stages = cluster.env, dict[str, float]()
    conn = await asyncpg.connect(env.pg_dsn("disbursement"))
    oversight = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        start = time.perf_counter()
        owed = await bulk_load(conn, options.payees, program=PROGRAM, division=DIVISION,
                               oversight=oversight)
        loaded_s = time.perf_counter() - start
    finally:
        await conn.close()
        await oversight.close()
    async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=60) as fc:
        await _appropriate(fc, owed)
    load_before = usage.load_averages()
    cpu_before, db_before = usage.cpu_seconds(processes), usage.database_cpu(env.name)
    run_id = await _run(cluster, options, stages)
    cpu_after, db_after = usage.cpu_seconds(processes), usage.database_cpu(env.name)
    watch = _Watch(env)
    messages = await watch.messages(run_id)
    outcome = await env.fetch("disbursement", "SELECT status, count(*) AS n,"
                              " sum(amount_fen) AS fen FROM payments WHERE run_id = $1"
                              " GROUP BY status", run_id)
    findings = await env.fetch("oversight", "SELECT rule, count(*) AS n FROM findings"
                               " GROUP BY rule")
    total = stages.pop("total")
    return {
        "run_id": run_id, "payees": options.payees, "owed_fen": owed, "seconds": total,
        "bulk_load_s": round(loaded_s, 2),
        "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "oversight_lag_s": await watch.oversight_lag(messages),
        "cpu_s_during_run": usage.spent(cpu_before, cpu_after),
        "postgresql_cpu_s_by_database": usage.spent(db_before, db_after),
        "load_averages": {"before": load_before, "after": usage.load_averages()},
        "results": {r["status"]: {"count": r["n"], "fen": int(r["fen"])} for r in outcome},
        "messages_sent": {"count": len(messages),
                          "bytes": sum(int(m["size"]) for m in messages)},
        # a clean run raises none, however many oversight instances judged it
        "findings": {r["rule"]: r["n"] for r in findings},
    }


@contextmanager
def _more_instances(cluster: Cluster, counts: dict[str, int], log_dir: Path
                    ) -> Iterator[dict[str, ServiceProcess]]:
    """Every process of the benchmark, by name: the cluster's and as many more of each
    service as make its count (same database and queues, their own ports)."""
    processes = dict(cluster.processes)
    try:
        for service, first in cluster.processes.items():
            for i in range(1, counts.get(service, 1)):
                variables = {**first.env, "SIQUAN_HTTP_PORT": str(free_port())}
                processes[f"{service}#{i}"] = ServiceProcess(
                    service, variables, log_dir / f"instance-{i}").start()
        yield processes
    finally:
        for name, process in processes.items():
            if "#" in name:
                process.stop()


def _settings(options: Options) -> dict[str, dict[str, str]]:
    """What a deployment paying a province sets: chunks of thousands, consumers of chunk
    messages that hold a few megabyte-sized messages at a time, not hundreds."""
    chunk_consumer = {"SIQUAN_CONSUMER_PREFETCH": "8", "SIQUAN_CONSUMER_BATCH_SIZE": "4"}
    return {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": str(options.chunk),
                             "SIQUAN_PAYMENT_WORKERS": str(options.workers),
                             "SIQUAN_PAYMENT_POLL_SECONDS": "0.2"},
            "fund_custody": chunk_consumer, "oversight": chunk_consumer}


async def measure(options: Options = Options(), out: Path = Path("var/bench")
                  ) -> dict[str, Any]:
    """Run the benchmark on a fresh environment (removed afterwards); the result dict."""
    env = Environment.fresh(await asyncio.to_thread(out.resolve), prefix="siquan_dbench")
    await asyncio.to_thread(env.provision)
    log_dir = out / env.name / "logs"
    try:
        with running_cluster(env, log_dir, extra_env=_settings(options)) as cluster, \
                _more_instances(cluster, options.counts(), log_dir) as processes:
            measured = await measure_cluster(cluster, processes, options)
            peaks = {name: peak_rss_mib(p.pid) for name, p in processes.items()}
        copy_s = await raw_copy_seconds(env.pg_dsn("disbursement"), options.payees)
        written_s = await written_copy_seconds(env.pg_dsn("disbursement"), options.payees)
        sent = measured["messages_sent"]
        messaging_s = await raw_messaging_seconds(
            env, sent["count"], sent["bytes"] // max(sent["count"], 1))
    finally:
        await asyncio.to_thread(env.teardown)
    return _report(measured, peaks, copy_s, messaging_s, options, written_s)


def _report(measured: dict[str, Any], peaks: dict[str, float | None], copy_s: float,
            messaging_s: float, options: Options, written_s: float) -> dict[str, Any]:
    seconds, raw = measured["seconds"], copy_s + messaging_s
    ratio = round(seconds / raw, 1) if raw else None
    return {
        "benchmark": "payment_run", "payees": options.payees, "chunk": options.chunk,
        "payers_per_instance": options.workers, "instances": options.counts(),
        "seconds": round(seconds, 2), "ratio_to_raw": ratio,
        "within_target": ratio is not None and ratio <= 12 and all(
            p is not None and p < 1024 for p in peaks.values()),
        "payments_per_s": round(options.payees / seconds, 1),
        # what oversight added after fund custody's settlement came back
        "oversight_share": round(measured["stages_s"]["oversight_after_settlement_s"]
                                 / seconds, 2),
        **{k: v for k, v in measured.items() if k not in ("seconds", "payees")},
        "peak_rss_mib": peaks,
        "raw_machine": {"asyncpg_copy_payment_rows_s": round(copy_s, 2),
                        "aio_pika_publish_consume_s": round(messaging_s, 2),
                        "sum_s": round(raw, 2),
                        # context, not in the ratio: one table written as the run writes
                        "copy_logged_with_unique_keys_s": round(written_s, 2)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payees", type=int, default=Options.payees)
    parser.add_argument("--chunk", type=int, default=Options.chunk)
    parser.add_argument("--workers", type=int, default=Options.workers,
                        help="payers per disbursement instance")
    parser.add_argument("--instances", type=int, default=Options.instances,
                        help="competing processes of each service")
    parser.add_argument("--scale", type=scale_of, action="append", default=[],
                        metavar="SERVICE=N", help="instances of one service (repeatable)")
    parser.add_argument("--timeout", type=float, default=Options.timeout)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    options = Options(args.payees, args.chunk, args.workers, args.instances, args.timeout,
                      tuple(args.scale))
    print(json.dumps(asyncio.run(measure(options, args.out)), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
