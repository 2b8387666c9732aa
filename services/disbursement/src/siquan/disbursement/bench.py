"""`python -m siquan.disbursement.bench`: a province's monthly payment run, timed, as JSON.

Starts the four services as processes, bulk-loads N certifications and payee accounts
straight into disbursement's database (COPY), appropriates the money through fund
custody's API, starts the run through disbursement's API and times each stage until the
run is completed and fund custody's settlement has come back. Then measures the raw speed
of the same machine for the same volume: a plain asyncpg COPY of N payment rows and a raw
aio-pika publish + consume of as many messages (of the same sizes) as the run sent. Prints
payments per second, each stage's time, peak memory (VmHWM) per service, and the ratio.

    python -m siquan.disbursement.bench [--payees 1000000] [--chunk 10000]
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

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.bench_baseline import raw_copy_seconds, raw_messaging_seconds
from siquan.disbursement.bench_load import bulk_load
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import peak_rss_mib
from siquan.shared.testing.waiting import eventually

PROGRAM, PERIOD, DIVISION = "special_assistance", "2026-11", "420117"
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
TREASURER = {"Authorization": "Bearer dev-treasury-420117-01"}


async def _appropriate(client: httpx.AsyncClient, owed_fen: int) -> None:
    policy = load_catalogue().in_force(PROGRAM, period_start(PERIOD), DIVISION)
    levels = policy.fiscal_shares.model_dump()
    paid = 0
    for index, (level, share) in enumerate(levels.items()):
        amount = (owed_fen - paid if index == len(levels) - 1
                  else owed_fen * share // 10_000)
        paid += amount
        response = await client.post("/appropriations", headers=TREASURER, json={
            "program_code": PROGRAM, "fiscal_year": int(PERIOD[:4]),
            "division_code": DIVISION, "fiscal_level": level, "amount_fen": amount})
        response.raise_for_status()


async def _run_row(conn: asyncpg.Connection, run_id: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT status, fund_settled_at FROM payment_runs"
                              " WHERE run_id = $1", run_id)
    assert row is not None
    return row


async def _stage(conn: asyncpg.Connection, run_id: str, done: str, timeout: float) -> float:
    """Seconds until the run reaches a state (`allocated`, `completed`, `settled`)."""
    start = time.perf_counter()

    async def reached() -> bool:
        row = await _run_row(conn, run_id)
        if done == "settled":
            return row["fund_settled_at"] is not None
        return bool(row["status"] == done or (done == "allocated"
                                              and row["status"] == "completed"))

    await eventually(reached, timeout=timeout, interval=0.1, what=f"run {done}")
    return time.perf_counter() - start


def _cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU time (user + system) so far of each service, and of every PostgreSQL and
    RabbitMQ process on the machine (shared servers: other work on them counts too)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {service: _process_cpu(process.pid, ticks)
            for service, process in cluster.processes.items()}
    for name, command in (("postgresql", "postgres"), ("rabbitmq", "beam.smp")):
        used[name] = sum(_process_cpu(int(p.name), ticks, children=True)
                         for p in Path("/proc").iterdir()
                         if p.name.isdigit() and _command(p) == command)
    return used


def _database_cpu(prefix: str) -> dict[str, float]:
    """CPU time of the live PostgreSQL backends serving this environment, by database."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or _command(proc) != "postgres":
            continue
        try:
            words = (proc / "cmdline").read_bytes().decode(errors="replace").split()
        except OSError:
            continue
        database = next((w for w in words[3:5] if w.startswith(prefix)), None)
        if database is not None:
            name = database.removeprefix(prefix + "_")
            used[name] = used.get(name, 0.0) + _process_cpu(int(proc.name), ticks)
    return used


def _command(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def _process_cpu(pid: int | None, ticks: int, *, children: bool = False) -> float:
    """utime + stime; with `children`, also the time of its ended children (PostgreSQL's
    backends are the postmaster's children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = int(fields[11]) + int(fields[12])
    return (own + (int(fields[13]) + int(fields[14]) if children else 0)) / ticks


def _peak_memory_mib(cluster: Cluster) -> dict[str, float | None]:
    return {service: peak_rss_mib(process.pid) for service, process in cluster.processes.items()}


async def _measure(cluster: Cluster, payees: int, timeout: float) -> dict[str, Any]:
    env = cluster.env
    conn = await asyncpg.connect(env.pg_dsn("disbursement"))
    stages: dict[str, float] = {}
    try:
        start = time.perf_counter()
        owed = await bulk_load(conn, payees, program=PROGRAM, division=DIVISION)
        stages["bulk_load_s"] = time.perf_counter() - start
        async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=60) as fc:
            await _appropriate(fc, owed)
        cpu_before = _cpu_seconds(cluster)
        databases_before = _database_cpu(env.name)
        async with httpx.AsyncClient(base_url=cluster.url("disbursement"),
                                     timeout=timeout) as client:
            begin = time.perf_counter()
            response = await client.post("/runs", headers=DISBURSER, json={
                "program_code": PROGRAM, "period": PERIOD, "division_code": DIVISION})
            response.raise_for_status()
            started = response.json()
        run_id = started["run_id"]
        stages["run_start_roster_frozen_s"] = time.perf_counter() - begin
        stages["allocation_s"] = await _stage(conn, run_id, "allocated", timeout)
        stages["bank_instructions_and_results_s"] = await _stage(conn, run_id, "completed",
                                                                 timeout)
        stages["settlement_s"] = await _stage(conn, run_id, "settled", timeout)
        total = time.perf_counter() - begin
        cpu_after = _cpu_seconds(cluster)
        databases_after = _database_cpu(env.name)
        outcome = await conn.fetch("SELECT status, count(*) AS n, sum(amount_fen) AS fen"
                                   " FROM payments WHERE run_id = $1 GROUP BY status", run_id)
        sent = await conn.fetchrow("SELECT count(*) AS n, sum(length(body)) AS bytes"
                                   " FROM outbox WHERE headers->>'x-siquan-correlation-id'"
                                   " = $1", run_id)
        assert sent is not None
    finally:
        await conn.close()
    return {"run_id": run_id, "payees": payees, "owed_fen": owed, "total_s": total,
            "stages": stages, "control_totals": started["control_totals"],
            "cpu_s": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
            "postgresql_cpu_s_by_database": {
                k: round(v - databases_before.get(k, 0.0), 1)
                for k, v in sorted(databases_after.items())},
            "results": {r["status"]: {"count": r["n"], "fen": int(r["fen"])} for r in outcome},
            # and fund custody's two answers: allocation.approved, settlement.completed
            "messages_sent": {"count": int(sent["n"]) + 2, "bytes": int(sent["bytes"] or 0)}}


def _report(measured: dict[str, Any], peaks: dict[str, float], copy_s: float,
            messaging_s: float) -> dict[str, Any]:
    total = measured["total_s"]
    raw = copy_s + messaging_s
    return {
        "benchmark": "disbursement_monthly_run",
        "payees": measured["payees"],
        "total_s": round(total, 2),
        "limit_s": 120,
        "within_limit": total <= 120 and all(p < 1024 for p in peaks.values()),
        "payments_per_s": round(measured["control_totals"]["payee_count"] / total, 1),
        "stages_s": {k: round(v, 2) for k, v in measured["stages"].items()},
        "peak_memory_mib": peaks,
        "cpu_s_during_run": measured["cpu_s"],
        "postgresql_cpu_s_by_database": measured["postgresql_cpu_s_by_database"],
        "control_totals": measured["control_totals"],
        "results": measured["results"],
        "messages_sent_by_the_run": measured["messages_sent"],
        "raw_machine": {"asyncpg_copy_payment_rows_s": round(copy_s, 2),
                        "aio_pika_publish_consume_s": round(messaging_s, 2),
                        "sum_s": round(raw, 2)},
        "ratio_to_raw": round(total / raw, 1) if raw else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payees", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="disbursement's payers")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    env = Environment.fresh(args.out.resolve(), prefix="siquan_dbench")
    env.provision()
    settings = {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": str(args.chunk),
                                 "SIQUAN_PAYMENT_WORKERS": str(args.workers),
                                 "SIQUAN_PAYMENT_POLL_SECONDS": "0.2"},
                "oversight": {"SIQUAN_CONSUMER_PREFETCH": "4"}}
    try:
        with running_cluster(env, args.out / env.name / "logs", extra_env=settings) as cluster:
            measured = asyncio.run(_measure(cluster, args.payees, args.timeout))
            peaks = _peak_memory_mib(cluster)
        copy_s = asyncio.run(raw_copy_seconds(env.pg_dsn("disbursement"), args.payees))
        messages = measured["messages_sent"]
        messaging_s = asyncio.run(raw_messaging_seconds(
            env, messages["count"], messages["bytes"] // max(messages["count"], 1)))
    finally:
        env.teardown()
    print(json.dumps(_report(measured, peaks, copy_s, messaging_s), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
