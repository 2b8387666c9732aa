"""Eligibility's benchmark: import and certify a province-sized batch through the HTTP API.

Starts the service as its own process on a fresh vhost and database, writes one survey CSV
per township (valid applications with household facts), then times each stage over the
batch endpoints: survey import, community review, township review, public notice, county
approval (after moving the service's clock past the notice), and the drain of the outbox
until every event is on the broker. Prints JSON: seconds and applications per second per
stage and overall, events published, and the service process's peak RSS (VmHWM).

    uv run python -m siquan.eligibility.bench --applications 100000 [--townships 20]
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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from siquan.contracts.policy import load_catalogue
from siquan.eligibility.desk import APPROVER, REVIEWER, Desk
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port, peak_rss_mib
from siquan.shared.testing.residents import ResidentFactory

COUNTY, PROGRAM = "420117", "special_assistance"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
COLUMNS = ["resident_id", "name", "program_code", "category", "division_code",
           "eligible_from", "residence", "family_type", "children"]
Stage = Callable[[str], Awaitable[Any]]


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


class Bench:
    def __init__(self, desk: Desk, townships: list[str], concurrency: int,
                 stage_timeout: float) -> None:
        self.desk, self.townships = desk, townships
        self.gate = asyncio.Semaphore(concurrency)
        self.stage_timeout = stage_timeout
        self.ids: dict[str, list[str]] = {}
        self.notices: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    async def stage(self, name: str, work: Stage) -> None:
        async def one(township: str) -> None:
            async with self.gate:
                await work(township)

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one(t) for t in self.townships)),
                               self.stage_timeout)
        self.timings[name] = time.perf_counter() - started
        print(f"{name}: {self.timings[name]:.1f}s", file=sys.stderr)

    async def run(self, surveys: dict[str, bytes], db: asyncpg.Connection, total: int
                  ) -> None:
        async def imported(township: str) -> None:
            report = await self.desk.import_survey(f"{township}.csv", surveys[township])
            assert not report["errors"], report["errors"][:5]
            self.ids[township] = report["application_ids"]

        async def community(township: str) -> None:
            await self.desk.community_review(self.ids[township], division=township)

        async def reviewed(township: str) -> None:
            await self.desk.township_review(self.ids[township], officer=REVIEWER)

        async def posted(township: str) -> None:
            notice = await self.desk.publish(None, division=township)
            assert notice["entries"] == len(self.ids[township])
            self.notices[township] = notice["notice_id"]

        async def approved(township: str) -> None:
            result = await self.desk.approve_notice(self.notices[township], officer=APPROVER)
            assert len(result.json()["certified"]) == len(self.ids[township])

        await self.stage("import", imported)
        await self.stage("community_review", community)
        await self.stage("township_review", reviewed)
        await self.stage("notice", posted)
        self.desk.advance(load_catalogue().in_force(PROGRAM, START.date(), COUNTY).notice_days)
        await self.stage("approval", approved)
        started = time.perf_counter()
        await asyncio.wait_for(self.drained(db, total), self.stage_timeout)
        self.timings["outbox_drain_after_approval"] = time.perf_counter() - started

    async def drained(self, db: asyncpg.Connection, total: int) -> None:
        while True:
            pending = await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            certified = await db.fetchval("SELECT count(*) FROM certifications")
            if pending == 0 and certified == total:
                return
            await asyncio.sleep(0.5)


async def measure(process: ServiceProcess, env: Environment, clock: FileClock,
                  surveys: dict[str, bytes], args: argparse.Namespace) -> dict[str, Any]:
    db = await asyncpg.connect(env.pg_dsn("eligibility"))
    try:
        async with httpx.AsyncClient(base_url=process.url, timeout=args.stage_timeout) as http:
            bench = Bench(Desk(http, clock), list(surveys), args.concurrency,
                          args.stage_timeout)
            await bench.run(surveys, db, args.applications)
        events = await db.fetchval("SELECT count(*) FROM outbox")
    finally:
        await db.close()
    overall = sum(bench.timings.values())
    return {
        "applications": args.applications, "townships": args.townships,
        "concurrency": args.concurrency,
        "stages": {name: {"seconds": round(s, 2),
                          "applications_per_s": round(args.applications / s, 1)}
                   for name, s in bench.timings.items()},
        "overall": {"seconds": round(overall, 2),
                    "applications_per_s": round(args.applications / overall, 1)},
        "events_published": events,
        "service_peak_rss_mb": peak_rss_mib(process.pid),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--townships", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--stage-timeout", type=float, default=600.0,
                        help="seconds any one stage may take")
    args = parser.parse_args(argv)
    if not 1 <= args.townships <= 999 or args.applications < args.townships:
        parser.error("1-999 townships, at least one application each")
    people = ResidentFactory(COUNTY, birth_year=1958)
    townships = [f"{COUNTY}{n:03d}" for n in range(1, args.townships + 1)]
    per = [args.applications // args.townships + (i < args.applications % args.townships)
           for i in range(args.townships)]
    surveys = {t: survey(n, t, people) for t, n in zip(townships, per, strict=True)}
    with tempfile.TemporaryDirectory(prefix="siquan-bench-") as tmp:
        base = Path(tmp)
        env = Environment.fresh(base, prefix="siquan_bench")
        env.provision()
        clock = FileClock(base / "clock")
        clock.set(START)
        variables = {**env.service_env("eligibility", port=free_port()),
                     "SIQUAN_CLOCK_FILE": str(base / "clock")}
        process = ServiceProcess("eligibility", variables, base / "logs")
        try:
            process.start()
            result = asyncio.run(measure(process, env, clock, surveys, args))
        finally:
            process.stop()
            env.teardown()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
