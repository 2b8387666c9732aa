"""`make bench`: the province-scale benchmarks in one run, summarised against their targets.

Runs, one after the other on the same machine, each as its own process (bounded in time):
- `payment_run` — a monthly run of `--payees` (1,000,000) payees from run start to
  oversight having logged every message, with the raw speed of the machine measured in
  the same run (COPY of as many payment rows; aio-pika publish and consume of the run's
  messages): target **≤ 12× raw**, and every service's peak RSS under 1 GiB. Each
  service runs `--instances` processes, but `--scale SERVICE=N` (default `oversight=2`):
  oversight does more work per payment than disbursement (it stores and judges each one
  again), so a deployment runs more of it to keep its audit at the run's pace;
- `oversight_ingest` — oversight (as many instances as in the payment run) draining
  `--events` (100,000) mixed small events: target **≥ 3,000 events/s**; and oversight
  **≤ 5 s behind** when the payment run's last message is published
  (`oversight.lag_after_run_s`, read from the payment run: the run oversight trails is the
  real one, at disbursement's pace; the ingestion benchmark's own lag after publishing a
  run as fast as the broker takes it is reported beside it);
- `eligibility_100k` — `--applications` (100,000) applications from survey import to every
  certification confirmed by the broker: target **≤ 60 s**. Eligibility runs
  `--eligibility-instances` (2) processes, as deployed (docs/SCALING.md: two instances of
  each service): one process does both the officers' requests and the relay's publishing
  on one core, and two share both cores (measured 94 s against 114 s for 100,000).

The summary records the machine: its cores, load averages before and after, and the
PostgreSQL server's version and the settings the figures depend on (`SERVER_SETTINGS`:
the benchmarks run on the server as it is configured, defaults or not).

Writes the summary, with each benchmark's full JSON, to `bench/results/latest.json`
(`--result`), prints it, and exits 1 when a benchmark failed or a target was missed.

    python -m siquan.tools.bench.suite [--instances 1] [--scale oversight=2]
        [--eligibility-instances 2] [--only payment_run ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from siquan.shared.testing.environment import DEFAULT_PG_DSN
from siquan.tools.bench.payment_run import scale_of

RAW_RATIO_TARGET = 12.0
EVENTS_PER_S_TARGET = 3_000.0
LAG_TARGET_S = 5.0
ELIGIBILITY_TARGET_S = 60.0
RSS_LIMIT_MIB = 1024.0
BENCHMARKS = ("payment_run", "oversight_ingest", "eligibility_100k")
SERVER_SETTINGS = ("server_version", "shared_buffers", "work_mem", "max_wal_size",
                   "checkpoint_timeout", "fsync", "synchronous_commit", "wal_level")


async def server_settings(dsn: str) -> dict[str, str]:
    """The PostgreSQL server's version and the settings its figures depend on."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name, current_setting(name) AS value"
                                " FROM unnest($1::text[]) AS name", list(SERVER_SETTINGS))
    finally:
        await conn.close()
    return {r["name"]: r["value"] for r in rows}


def command(name: str, args: argparse.Namespace) -> list[str]:
    """The benchmark's own command line, at the suite's sizes."""
    # oversight's ingestion runs as many oversight instances as the payment run does
    instances = dict(args.scale).get("oversight", args.instances) \
        if name == "oversight_ingest" else args.instances
    base = [sys.executable, "-m", f"siquan.tools.bench.{name}", "--instances", str(instances)]
    if name == "payment_run":
        scale = [f"--scale={service}={count}" for service, count in args.scale]
        return [*base, "--payees", str(args.payees), *scale]
    if name == "oversight_ingest":
        return [*base, "--events", str(args.events)]
    base[base.index("--instances") + 1] = str(args.eligibility_instances)
    return [*base, "--applications", str(args.applications)]


def run_one(cmd: list[str], timeout: float) -> dict[str, Any]:
    """One benchmark's JSON (its stdout), or `{"error": …}` when it failed or overran; its
    progress (stderr) goes to ours."""
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f}s"}
    if done.returncode != 0:
        return {"error": f"exited {done.returncode}"}
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": "printed no JSON"}
    return result


def summarise(results: dict[str, dict[str, Any]], *, instances: int, broker_nodes: int,
              load: dict[str, list[float]], server: dict[str, str] | None = None
              ) -> dict[str, Any]:
    """The keys the targets are judged on, each with its target and whether it was met;
    `instances` is each benchmark's count of processes (the payment run's per service),
    `server` the PostgreSQL server's settings."""
    run = results.get("payment_run", {})
    ingest = results.get("oversight_ingest", {})
    eligibility = results.get("eligibility_100k", {})
    peaks = run.get("peak_rss_mib") or {}
    ratio = run.get("ratio_to_raw")
    run_met = (ratio is not None and ratio <= RAW_RATIO_TARGET and bool(peaks)
               and all(p is not None and p < RSS_LIMIT_MIB for p in peaks.values()))
    events_per_s = ingest.get("events_per_s")
    lag = run.get("oversight_lag_s")
    seconds = eligibility.get("seconds")
    summary: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_averages": load, "postgresql": server},
        "instances": {name: r.get("instances", instances) for name, r in results.items()},
        "broker_nodes": broker_nodes,
        "raw": run.get("raw_machine"),
        "payment_run_1m": {
            "payees": run.get("payees"), "seconds": run.get("seconds"),
            "ratio_to_raw": ratio, "target_ratio_to_raw": RAW_RATIO_TARGET,
            "stages_s": run.get("stages_s"), "peak_rss_mib": peaks,
            "cpu_s_during_run": run.get("cpu_s_during_run"),
            "postgresql_cpu_s_by_database": run.get("postgresql_cpu_s_by_database"),
            "met": run_met},
        "oversight": {
            "events": (ingest.get("sustained") or {}).get("events"),
            "events_per_s": events_per_s, "target_events_per_s": EVENTS_PER_S_TARGET,
            "lag_after_run_s": lag, "target_lag_after_run_s": LAG_TARGET_S,
            "lag_after_full_speed_publish_s": ingest.get("lag_after_run_s"),
            "chain_verified": (ingest.get("chain") or {}).get("ok"),
            "findings_on_clean_data": ingest.get("findings"),
            "findings_on_the_run": run.get("findings"),
            "met": (events_per_s is not None and events_per_s >= EVENTS_PER_S_TARGET
                    and lag is not None and lag <= LAG_TARGET_S
                    and (ingest.get("chain") or {}).get("ok") is True
                    and not ingest.get("findings") and not run.get("findings"))},
        "eligibility_100k": {
            "applications": eligibility.get("applications"), "seconds": seconds,
            "target_seconds": ELIGIBILITY_TARGET_S, "stages": eligibility.get("stages"),
            "met": seconds is not None and seconds <= ELIGIBILITY_TARGET_S},
        "errors": {name: r["error"] for name, r in results.items() if "error" in r},
    }
    judged = [summary[k]["met"] for k in ("payment_run_1m", "oversight", "eligibility_100k")
              if _ran(k, results)]
    summary["targets_met"] = bool(judged) and all(judged) and not summary["errors"]
    summary["benchmarks"] = results
    return summary


def _ran(key: str, results: dict[str, dict[str, Any]]) -> bool:
    needs = {"payment_run_1m": ("payment_run",), "oversight": ("payment_run",
                                                              "oversight_ingest"),
             "eligibility_100k": ("eligibility_100k",)}[key]
    return all(name in results for name in needs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1,
                        help="competing processes of each service")
    parser.add_argument("--scale", type=scale_of, action="append", metavar="SERVICE=N",
                        help="the payment run's instances of one service (repeatable; "
                             "default oversight=2)")
    parser.add_argument("--eligibility-instances", type=int, default=2,
                        help="eligibility's processes in its benchmark (default 2)")
    parser.add_argument("--payees", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--timeout", type=float, default=1_800.0,
                        help="seconds any one benchmark may take")
    parser.add_argument("--result", type=Path, default=Path("bench/results/latest.json"))
    args = parser.parse_args(argv)
    if args.instances < 1 or args.eligibility_instances < 1:
        parser.error("--instances and --eligibility-instances must be at least 1")
    if args.scale is None:
        args.scale = [("oversight", max(2, args.instances))]
    server = asyncio.run(server_settings(os.environ.get("SIQUAN_PG_DSN", DEFAULT_PG_DSN)))
    before = list(os.getloadavg())
    results: dict[str, dict[str, Any]] = {}
    for name in BENCHMARKS:
        if name in args.only:
            print(f"bench: {name}", file=sys.stderr, flush=True)
            results[name] = run_one(command(name, args), args.timeout)
    summary = summarise(results, instances=args.instances, broker_nodes=1,
                        load={"before": [round(x, 2) for x in before],
                              "after": [round(x, 2) for x in os.getloadavg()]},
                        server=server)
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    shown = {k: v for k, v in summary.items() if k != "benchmarks"}
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0 if summary["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
