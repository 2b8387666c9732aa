"""Eligibility's benchmark: import and certify a province-sized batch through the HTTP API.

Starts the service (one or more competing instances over one database) as processes on a
fresh vhost and database, writes one survey CSV per township (valid applications with
household facts), then times each stage over the batch endpoints: survey import, the
evidence each application needs (one archive of scans per township), community review,
township review, public notice, county approval (after moving the service's clock past the
notice), and the drain of the outbox until every event — every certification.granted among
them — is confirmed by the broker. Prints JSON: `seconds` overall, seconds and
applications per second per stage, events published, the service processes' peak RSS
(VmHWM) and the machine's load averages before and after.

    uv run python -m siquan.tools.bench.eligibility_100k --applications 100000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from siquan.contracts.policy import load_catalogue
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port, peak_rss_mib
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.bench import payment_run_usage as usage
from siquan.tools.desk import APPROVER, REVIEWER, Desk, evidence_archive, required_documents

COUNTY, PROGRAM = "420117", "special_assistance"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
COLUMNS = ["resident_id", "name", "program_code", "category", "division_code",
           "eligible_from", "residence", "family_type", "children"]
Stage = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class Options:
    townships: int = 20
    concurrency: int = 2
    instances: int = 1
    stage_timeout: float = 600.0


def survey(count: int, township: str, people: ResidentFactory) -> bytes:
    """A township's survey: parents of an only child who died or is disabled."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(count):
        died = i % 3 != 0
        writer.writerow([people.next(), "张桂兰", PROGRAM, "death" if died else "disability",
                         township, "2026-01-01", "rural" if i % 2 else "urban",
                         "only_child_died" if died else "only_child_disabled",
                         "male:1985-04-02:died:2008-05-12" if died
                         else "female:1987-09-10:disabled:2"])
    return out.getvalue().encode()


def surveys(applications: int, townships: int) -> dict[str, bytes]:
    """One survey per township, the applications spread evenly."""
    people = ResidentFactory(COUNTY, birth_year=1958)
    codes = [f"{COUNTY}{n:03d}" for n in range(1, townships + 1)]
    sizes = [applications // townships + (i < applications % townships)
             for i in range(townships)]
    return {t: survey(n, t, people) for t, n in zip(codes, sizes, strict=True)}


def no_cpu() -> dict[str, float]:
    return {}


class Bench:
    def __init__(self, desks: list[Desk], townships: list[str], options: Options,
                 cpu: Callable[[], dict[str, float]] = no_cpu) -> None:
        self.desks, self.townships, self.options = desks, townships, options
        self.gate = asyncio.Semaphore(options.concurrency)
        self.ids: dict[str, list[str]] = {}
        self.notices: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.cpu = cpu
        self.cpu_spent: dict[str, dict[str, float]] = {}

    def desk(self, township: str) -> Desk:
        """Townships spread over the instances, as a load balancer would."""
        return self.desks[self.townships.index(township) % len(self.desks)]

    async def stage(self, name: str, work: Stage) -> None:
        async def one(township: str) -> None:
            async with self.gate:
                await work(township)

        started, cpu = time.perf_counter(), self.cpu()
        await asyncio.wait_for(asyncio.gather(*(one(t) for t in self.townships)),
                               self.options.stage_timeout)
        self.timings[name] = time.perf_counter() - started
        self.cpu_spent[name] = usage.spent(cpu, self.cpu())
        print(f"{name}: {self.timings[name]:.1f}s cpu {self.cpu_spent[name]}", file=sys.stderr)

    async def run(self, surveys: dict[str, bytes], db: asyncpg.Connection, total: int
                  ) -> None:
        async def imported(township: str) -> None:
            report = await self.desk(township).import_survey(f"{township}.csv",
                                                             surveys[township])
            assert not report["errors"], report["errors"][:5]
            self.ids[township] = report["application_ids"]

        async def evidence(township: str) -> None:
            """The documents approval requires for each application, filed as the
            township office sends them: one archive of scans with its manifest."""
            rows = csv.DictReader(io.StringIO(surveys[township].decode()))
            archive = evidence_archive(required_documents(
                (application_id, PROGRAM, row["category"])
                for application_id, row in zip(self.ids[township], rows, strict=True)))
            filed = (await self.desk(township).file_evidence_archive(archive)).json()
            assert filed["stored"] == filed["entries"], filed["entries"]

        async def community(township: str) -> None:
            await self.desk(township).community_review(self.ids[township], division=township)

        async def reviewed(township: str) -> None:
            await self.desk(township).township_review(self.ids[township], officer=REVIEWER)

        async def posted(township: str) -> None:
            notice = await self.desk(township).publish(None, division=township)
            assert notice["entries"] == len(self.ids[township])
            self.notices[township] = notice["notice_id"]

        async def approved(township: str) -> None:
            result = await self.desk(township).approve_notice(self.notices[township],
                                                              officer=APPROVER)
            assert len(result.json()["certified"]) == len(self.ids[township])

        await self.stage("import", imported)
        await self.stage("evidence", evidence)
        await self.stage("community_review", community)
        await self.stage("township_review", reviewed)
        await self.stage("notice", posted)
        self.desks[0].advance(load_catalogue().in_force(PROGRAM, START.date(),
                                                        COUNTY).notice_days)
        await self.stage("approval", approved)
        started, cpu = time.perf_counter(), self.cpu()
        await asyncio.wait_for(self.drained(db, total), self.options.stage_timeout)
        self.timings["outbox_drain_after_approval"] = time.perf_counter() - started
        self.cpu_spent["outbox_drain_after_approval"] = usage.spent(cpu, self.cpu())

    async def drained(self, db: asyncpg.Connection, total: int) -> None:
        """Wait until every application is certified and no outbox row is unpublished.
        The poll asks whether one row is left, not how many: counting hundreds of
        thousands of rows every poll took half a core from the service it measures; and
        the certifications are counted only until they are all there."""
        certified = False
        while True:
            certified = certified or await db.fetchval(
                "SELECT count(*) FROM certifications") == total
            if certified and not await db.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)"):
                return
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running(options: Options, base: Path
                  ) -> AsyncIterator[tuple[Environment, list[ServiceProcess], FileClock]]:
    """A fresh environment and the service's instances, removed afterwards (provisioning
    and process control block, so they run in threads)."""
    env = Environment.fresh(base, prefix="siquan_bench")
    clock = FileClock(base / "clock")
    clock.set(START)
    processes: list[ServiceProcess] = []
    try:
        await asyncio.to_thread(env.provision)
        for n in range(options.instances):
            variables = {**env.service_env("eligibility", port=free_port()),
                         "SIQUAN_CLOCK_FILE": str(base / "clock")}
            processes.append(ServiceProcess("eligibility", variables, base / f"logs-{n}"))
            await asyncio.to_thread(processes[-1].start)
        yield env, processes, clock
    finally:
        for process in processes:
            await asyncio.to_thread(process.stop)
        await asyncio.to_thread(env.teardown)


async def measure(applications: int, *, townships: int = 20, concurrency: int = 2,
                  instances: int = 1, stage_timeout: float = 600.0) -> dict[str, Any]:
    """Run the benchmark once; the result printed by `main`."""
    if not 1 <= townships <= 999 or applications < townships or instances < 1:
        raise ValueError("1-999 townships, at least one application each, one instance")
    options = Options(townships, concurrency, instances, stage_timeout)
    files = surveys(applications, townships)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="siquan-bench-") as tmp:
        async with running(options, Path(tmp)) as (env, processes, clock):
            machine = usage.cpu_seconds({f"eligibility-{n}": p for n, p in enumerate(processes)})
            timings, cpu, events = await _timed(env, processes, clock, files, options,
                                                applications)
            machine = usage.spent(machine, usage.cpu_seconds(
                {f"eligibility-{n}": p for n, p in enumerate(processes)}))
            peaks = [peak_rss_mib(p.pid) for p in processes]
    overall = sum(timings.values())
    return {
        "applications": applications, "townships": townships, "concurrency": concurrency,
        "instances": instances, "seconds": round(overall, 2),
        "applications_per_s": round(applications / overall, 1),
        "stages": {name: {"seconds": round(s, 2),
                          "applications_per_s": round(applications / s, 1),
                          "cpu_s": cpu.get(name, {})}
                   for name, s in timings.items()},
        "cpu_s": {"service": round(sum(c.get("service", 0.0) for c in cpu.values()), 1),
                  "database": round(sum(c.get("database", 0.0) for c in cpu.values()), 1),
                  "machine_postgresql_all_databases": machine.get("postgresql"),
                  "machine_rabbitmq": machine.get("rabbitmq")},
        "events_published": events, "service_peak_rss_mb": peaks,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


async def _timed(env: Environment, processes: list[ServiceProcess], clock: FileClock,
                 files: dict[str, bytes], options: Options, total: int
                 ) -> tuple[dict[str, float], dict[str, dict[str, float]], int]:
    db = await asyncpg.connect(env.pg_dsn("eligibility"))
    clients = [httpx.AsyncClient(base_url=p.url, timeout=options.stage_timeout)
               for p in processes]
    try:
        def cpu() -> dict[str, float]:
            """CPU seconds of the service's processes and of the backends serving its
            database (the PostgreSQL server is shared: other databases do not count)."""
            ticks = os.sysconf("SC_CLK_TCK")
            return {"service": sum(usage.process_cpu(p.pid, ticks) for p in processes),
                    "database": sum(usage.database_cpu(env.name).values())}

        bench = Bench([Desk(c, clock) for c in clients], list(files), options, cpu)
        await bench.run(files, db, total)
        events = int(await db.fetchval("SELECT count(*) FROM outbox"))
    finally:
        for client in clients:
            await client.aclose()
        await db.close()
    return bench.timings, bench.cpu_spent, events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--townships", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2,
                        help="townships worked on at once")
    parser.add_argument("--instances", type=int, default=1,
                        help="competing eligibility processes over one database")
    parser.add_argument("--stage-timeout", type=float, default=600.0,
                        help="seconds any one stage may take")
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(measure(args.applications, townships=args.townships,
                                     concurrency=args.concurrency, instances=args.instances,
                                     stage_timeout=args.stage_timeout))
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
