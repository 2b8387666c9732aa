"""Oversight's ingestion benchmark: how fast events enter the chained audit log with every
rule run on them, and how far oversight trails a province's payment run.

On a fresh environment (vhost, database, keys) it
1. publishes `--events` mixed small events (`oversight_events.mixed`), signed as their
   producers, into oversight's queues while oversight is not running, then starts
   oversight and measures how fast it drains them: `events_per_s`, from the moment it is
   up until the chain holds them all, every one logged and its rules run;
2. seeds oversight with the run's certifications (as if their grants had been logged
   before: one COPY, not timed), then publishes a run of `--payments` payments as
   disbursement and fund custody would — run.started, allocation.requested,
   allocation.approved, `payments.settled.v1` chunks of `--chunk`, run.completed and
   settlement.completed — while oversight runs, with publisher confirms awaited in
   windows, and measures `lag_after_run_s`: from the last publish to the last entry logged.
Then it verifies the whole chain. It prints JSON, with oversight's peak RSS and the
findings raised (a clean stream must raise none). Bounded by `--timeout` per phase.
`--instances N` runs N oversight processes over one database; `--run-interval S` publishes
the run no faster than one message every S seconds (the pace of disbursement's own run).

    uv run python -m siquan.tools.bench.oversight_ingest [--events 100000]
        [--payments 1000000] [--chunk 5000] [--instances 1] [--run-interval 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from siquan.contracts.policy import load_catalogue
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port, peak_rss_mib
from siquan.tools.bench import oversight_events as stream
from siquan.tools.bench.oversight_publishing import Publisher

AUDITOR = {"Authorization": "Bearer dev-auditor-420117-01"}


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU time a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _backend_cpu(conn: asyncpg.Connection) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend of this connection's database,
    the measuring connection's own left out (by process id)."""
    pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname ="
                            " current_database() AND pid <> pg_backend_pid()")
    return {row["pid"]: cpu_seconds(row["pid"]) for row in pids}


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used between two readings (a backend that ended in between
    is not counted; a pool's connections live as long as the process)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


async def _logged(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT seq FROM audit_chain_head"))


async def _until_logged(conn: asyncpg.Connection, target: int, timeout: float) -> float:
    """When the chain head reached `target` (monotonic seconds)."""
    deadline = time.monotonic() + timeout
    while (seen := await _logged(conn)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {seen} of {target} entries logged")
        await asyncio.sleep(0.05)
    return time.monotonic()


def _oversight(env: Environment, logs: Path, settings: dict[str, str]) -> ServiceProcess:
    variables = {**env.service_env("oversight", port=free_port()),
                 "SIQUAN_CHECKPOINT_SECONDS": "3600",
                 "SIQUAN_RECONCILIATION_GRACE_SECONDS": "86400", **settings}
    return ServiceProcess("oversight", variables, logs / str(variables["SIQUAN_HTTP_PORT"]))


def _started(instances: list[ServiceProcess]) -> None:
    for process in instances:  # one after the other: the first migrates the database
        process.start()


async def _publish(env: Environment, events: Any, window: int, correlation: str,
                   interval: float = 0.0) -> int:
    """Publish every event (built as published, like a producer), at most one every
    `interval` seconds when given; how many."""
    publisher, published, started = Publisher(env, window), 0, time.monotonic()
    for event in events:
        if interval:
            await asyncio.sleep(max(0.0, started + published * interval - time.monotonic()))
        await publisher.publish(event, correlation)
        published += 1
    await publisher.close()
    return published


def _cpu(instances: list[ServiceProcess]) -> float:
    return sum(cpu_seconds(process.pid) for process in instances)


async def drain(env: Environment, instances: list[ServiceProcess], events: int, window: int,
                timeout: float) -> dict[str, Any]:
    """Publish a backlog of mixed events, then measure how fast oversight logs it."""
    started, load = time.monotonic(), os.getloadavg()[0]
    published = await _publish(env, stream.mixed(events), window, "bench-events")
    publish_s = time.monotonic() - started
    await asyncio.to_thread(_started, instances)
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        up, first, cpu = time.monotonic(), await _logged(conn), _cpu(instances)
        pg = await _backend_cpu(conn)
        done = await _until_logged(conn, published, timeout)
        cpu = _cpu(instances) - cpu
        pg_cpu = _spent(pg, await _backend_cpu(conn))
    finally:
        await conn.close()
    return {"events": published, "publish_s": round(publish_s, 3),
            "logged_before_measuring": first,
            "events_per_s": round((published - first) / (done - up), 1),
            "drain_s": round(done - up, 3),
            "oversight_cpu_us_per_event": round(cpu / (published - first) * 1e6, 1),
            "oversight_cpu_s": round(cpu, 2), "postgres_cpu_s": round(pg_cpu, 2),
            "postgres_cpu_us_per_event": round(pg_cpu / (published - first) * 1e6, 1),
            "load_average_before": load,
            "load_average_after": os.getloadavg()[0]}


async def payment_run(env: Environment, instances: list[ServiceProcess], payments: int,
                      size: int, window: int, timeout: float, interval: float = 0.0
                      ) -> dict[str, Any]:
    """Publish a province's run while oversight runs (a message every `interval` seconds at
    most, when given); how far behind it ends."""
    amount = load_catalogue().amount_for(stream.PROGRAM, stream.CATEGORY, stream.PERIOD,
                                         stream.DIVISION)
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        await conn.copy_records_to_table(
            "watched_certifications", records=stream.run_certifications(payments),
            columns=["certification_id", "application_id", "person_key", "program_code",
                     "category", "division_code", "effective_from", "reviewed_by",
                     "approved_by", "approved_at", "message_id"])
        await conn.execute("ANALYZE watched_certifications")
        start_seq, started = await _logged(conn), time.monotonic()
        cpu, pg = _cpu(instances), await _backend_cpu(conn)
        messages = await _publish(env, stream.payment_run(payments, size, amount), window,
                                  "bench-run", interval)
        published = time.monotonic()
        done = await _until_logged(conn, start_seq + messages, timeout)
        cpu, pg_cpu = _cpu(instances) - cpu, _spent(pg, await _backend_cpu(conn))
        stored = await conn.fetchval("SELECT count(*) FROM settled_payments")
    finally:
        await conn.close()
    return {"payments": payments, "chunk": size, "messages": messages,
            "message_interval_s": interval,
            "publish_s": round(published - started, 3),
            "payments_per_s": round(payments / (done - started), 1),
            "lag_after_run_s": round(done - published, 3),
            "oversight_cpu_s": round(cpu, 2), "postgres_cpu_s": round(pg_cpu, 2),
            "oversight_cpu_us_per_payment": round(cpu / payments * 1e6, 1),
            "postgres_cpu_us_per_payment": round(pg_cpu / payments * 1e6, 1),
            "settled_payments_stored": int(stored)}


async def _verdicts(env: Environment, oversight: ServiceProcess) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=oversight.url, headers=AUDITOR,
                                 timeout=600) as auditor:
        verify = (await auditor.get("/audit/verify")).json()
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        rows = await conn.fetch("SELECT rule, count(*) AS n FROM findings GROUP BY rule")
    finally:
        await conn.close()
    return {"chain": {"ok": verify["ok"], "entries": verify["entries"]},
            "findings": {row["rule"]: row["n"] for row in rows}}


async def measure(env: Environment, logs: Path, *, events: int = 100_000,
                  payments: int = 1_000_000, chunk: int = 5000, window: int = 1000,
                  chunk_window: int = 20, timeout: float = 900.0, instances: int = 1,
                  interval: float = 0.0, settings: dict[str, str] | None = None
                  ) -> dict[str, Any]:
    """Both phases on a provisioned environment, with `instances` oversight processes over
    one database; the result document."""
    running = [_oversight(env, logs, settings or {}) for _ in range(instances)]
    try:
        sustained = await drain(env, running, events, window, timeout)
        run = await payment_run(env, running, payments, chunk, chunk_window, timeout, interval)
        verdicts = await _verdicts(env, running[0])
        rss = [peak_rss_mib(process.pid) for process in running]
    finally:
        for process in running:
            process.stop()
    return {"benchmark": "oversight_ingestion", "instances": instances,
            "events_per_s": sustained["events_per_s"],
            "lag_after_run_s": run["lag_after_run_s"], "sustained": sustained,
            "payment_run": run, **verdicts, "oversight_peak_rss_mib": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--window", type=int, default=1000,
                        help="publisher confirms outstanding for small events")
    parser.add_argument("--chunk-window", type=int, default=20,
                        help="publisher confirms outstanding for payment chunks")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per phase")
    parser.add_argument("--instances", type=int, default=1,
                        help="oversight processes competing over one database")
    parser.add_argument("--run-interval", type=float, default=0.0,
                        help="publish the run's messages at most one every this many seconds "
                             "(0: as fast as the publisher can; disbursement's own 1,000,000"
                             "-payment run settles about one chunk every 0.3 s)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an oversight setting, e.g. SIQUAN_CONSUMER_BATCH_SIZE=500")
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    env = Environment.fresh(args.out.resolve(), prefix="siquan_obench")
    env.provision()
    try:
        result = asyncio.run(measure(
            env, args.out / env.name, events=args.events, payments=args.payments,
            chunk=args.chunk, window=args.window, chunk_window=args.chunk_window,
            timeout=args.timeout, instances=args.instances, interval=args.run_interval,
            settings=dict(s.split("=", 1) for s in args.set)))
    finally:
        env.teardown()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
