"""Load on the public surface while a payment run is in progress (the chaos campaign's
load phase): does the public's traffic slow the county's payments, and does the public
side hold its latency, its rate limit and its 4xx-never-5xx promise under it?

On a fresh environment of its own (no faults: a fault would blur the run's time):

1. a roster in bulk, a year appropriated, a notice board of posted notices (masked
   entries, as eligibility posts them) and a few complaints filed to look up;
2. a payment run without load: the baseline;
3. the next month's run with an open-loop load at a fixed rate (200 requests/s by
   default) on oversight's public endpoints, spread over every oversight instance: the
   notice board and its archive, complaints filed (JSON) and complaints looked up by
   tracking number. Requests go out on schedule whether or not earlier ones have been
   answered, and a request's latency counts from when it was due (a server that falls
   behind cannot hide it by slowing the generator). The load comes from many client
   identities, each well under the per-client limit: the generator is the loopback
   reverse proxy of the deployment notes (ADR 0007), naming each client in
   `X-Forwarded-For`, which uvicorn trusts from 127.0.0.1. Meanwhile one further
   client asks far more than its limit, to show the limiter answers 429 past it;
4. a third month's run without load: the baseline is the mean of the two unloaded runs.

Everything is bounded: the load stops when the run has settled (after at least
`min_seconds`) or at `max_seconds`, every request has a timeout and at most
`max_in_flight` are outstanding (a request due while the cap is reached is counted as
skipped, not queued: the rate reached is reported).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import Environment
from siquan.tools.chaos import campaign
from siquan.tools.chaos.campaign import DISBURSER, DIVISION, PROGRAM, YEAR, Options
from siquan.tools.chaos.phases import PhaseFailed, reason_of

log = logging.getLogger("siquan.chaos")

TARGET_RATE_PER_S = 200.0
TARGET_P99_MS = 300.0
"""p99 latency of admitted public requests must stay under this."""
TARGET_RUN_GROWTH = 0.20
"""The loaded run may take at most this much longer than the unloaded one."""
RATE_REACHED = 0.95
"""Share of the target rate the generator must actually send for the p99 to count."""
MONTHS = 3  # baseline, loaded, baseline again


@dataclass(frozen=True)
class LoadOptions:
    rate_per_s: float = TARGET_RATE_PER_S
    clients: int = 100
    """Client identities of the steady load (each sends rate/clients per second)."""
    min_seconds: float = 15.0
    max_seconds: float = 600.0
    request_timeout_s: float = 10.0
    start_timeout_s: float = 60.0
    """How long `POST /runs` may take to answer before the phase fails."""
    max_in_flight: int = 300
    burst_max: int = 600
    """Most requests the over-limit client sends (it stops after `burst_refusals` 429s)."""
    burst_refusals: int = 30
    seed: int = 0


# -- statistics ---------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..100): a value that was observed, the smallest
    with at least q % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)
    return {"n": len(seconds), "p50_ms": ms(percentile(seconds, 50)),
            "p95_ms": ms(percentile(seconds, 95)), "p99_ms": ms(percentile(seconds, 99)),
            "max_ms": ms(max(seconds, default=None))}


@dataclass
class Outcome:
    endpoint: str
    due: float
    """When the request was due (the generator's clock)."""
    sent: float
    status: int | None
    """None: no answer (a timeout or a refused connection)."""
    done: float

    @property
    def latency(self) -> float:
        return self.done - self.due

    @property
    def admitted(self) -> bool:
        return self.status is not None and self.status != 429 and self.status < 500


@dataclass
class Tally:
    """What an open-loop load did."""

    rate_per_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0
    began: float = 0.0
    ended: float = 0.0

    def summary(self) -> dict[str, Any]:
        seconds = max(self.ended - self.began, 1e-9)
        sent = len(self.outcomes)
        statuses = Counter(str(o.status) if o.status is not None else "no_answer"
                           for o in self.outcomes)
        admitted = [o for o in self.outcomes if o.admitted]
        by_endpoint: dict[str, list[float]] = defaultdict(list)
        for outcome in admitted:
            by_endpoint[outcome.endpoint].append(outcome.latency)
        return {
            "target_rate_per_s": self.rate_per_s, "seconds": round(seconds, 1),
            "sent": sent, "achieved_rate_per_s": round(sent / seconds, 1),
            "skipped_at_in_flight_cap": self.skipped, "admitted": len(admitted),
            "by_status": dict(sorted(statuses.items())),
            "refused_429": statuses.get("429", 0),
            "server_errors_5xx": sum(n for s, n in statuses.items()
                                     if s.isdigit() and int(s) >= 500),
            "no_answer": statuses.get("no_answer", 0),
            "latency_admitted": latency_summary([o.latency for o in admitted]),
            "by_endpoint": {name: latency_summary(values)
                            for name, values in sorted(by_endpoint.items())},
            "generator_lag": latency_summary([o.sent - o.due for o in self.outcomes]),
        }


Send = Callable[[int], Awaitable[tuple[str, int | None]]]
"""Sends request number i; answers (endpoint name, status or None without an answer)."""


async def open_loop(send: Send, *, rate_per_s: float, stop: asyncio.Event,
                    min_seconds: float, max_seconds: float, max_in_flight: int,
                    clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> Tally:
    """Request i is due at start + i/rate, sent then whatever became of the others, until
    `stop` is set (and `min_seconds` passed) or `max_seconds` passed; then waits for those
    in flight."""
    tally = Tally(rate_per_s, began=clock())
    in_flight: set[asyncio.Task[None]] = set()

    async def one(number: int, due: float) -> None:
        sent = clock()
        endpoint, status = await send(number)
        tally.outcomes.append(Outcome(endpoint, due, sent, status, clock()))

    for number in itertools.count():
        due = tally.began + number / rate_per_s
        elapsed = due - tally.began
        if elapsed >= max_seconds or (stop.is_set() and elapsed >= min_seconds):
            tally.ended = max(clock(), due)  # the span of what was due
            break
        wait = due - clock()
        if wait > 0:
            await sleep(wait)
        if len(in_flight) >= max_in_flight:
            tally.skipped += 1
            continue
        task = asyncio.create_task(one(number, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    return tally


# -- the public requests ------------------------------------------------------------------

def client_address(number: int) -> str:
    """A client identity from TEST-NET-2 (RFC 5737): never a real caller."""
    return f"198.51.100.{number % 254 + 1}"


BURST_CLIENT = "203.0.113.9"


def _complaint(rng: random.Random) -> dict[str, Any]:
    return {"category": rng.choice(["not_paid_in_full", "ineligible_paid_or_listed",
                                    "officer_misconduct"]),
            "division_code": DIVISION, "anonymous": True,
            "description": "负载测试 load test: payment not received in full this month"}


class PublicTraffic:
    """The mix of the steady load, over every oversight instance in turn.

    The generator shares the machine with the services it loads, so it must cost little:
    aiohttp's client takes about a twentieth of the CPU per request that httpx's does
    under a few hundred concurrent requests (httpx's connection pool, not the network,
    was most of the generator's cost and its own lag)."""

    MIX = (("board", 50), ("archive", 10), ("lookup", 25), ("file", 15))

    def __init__(self, sessions: list[aiohttp.ClientSession], identities: int,
                 tracking: list[str], seed: int) -> None:
        self.sessions, self.identities, self.tracking = sessions, identities, tracking
        self.rng = random.Random(seed)
        self.kinds = [k for k, weight in self.MIX for _ in range(weight)]

    async def send(self, number: int) -> tuple[str, int | None]:
        http = self.sessions[number % len(self.sessions)]
        headers = {"X-Forwarded-For": client_address(number % self.identities),
                   "Accept": "application/json"}
        kind = self.rng.choice(self.kinds)
        try:
            if kind == "board":
                request = http.get("/public/notices", headers=headers, params={"limit": 10})
            elif kind == "archive":
                request = http.get("/public/notices/archive", headers=headers,
                                   params={"limit": 10})
            elif kind == "lookup":
                request = http.get(f"/public/complaints/{self.rng.choice(self.tracking)}",
                                   headers=headers)
            else:
                request = http.post("/public/complaints", headers=headers,
                                    json=_complaint(self.rng))
            async with request as response:
                body = await response.read()
                if kind == "file" and response.status == 201:
                    self.tracking.append(json.loads(body)["tracking_number"])
        except (aiohttp.ClientError, TimeoutError):
            return kind, None
        return kind, response.status


async def over_the_limit(http: aiohttp.ClientSession, options: LoadOptions
                         ) -> dict[str, Any]:
    """One client asking the notice board back to back, far past its limit."""
    headers = {"X-Forwarded-For": BURST_CLIENT, "Accept": "application/json"}
    statuses: Counter[str] = Counter()
    first_refused, retry_after = None, []
    for number in range(options.burst_max):
        try:
            async with http.get("/public/notices", headers=headers,
                                params={"limit": 1}) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError):
            statuses["no_answer"] += 1
            continue
        statuses[str(response.status)] += 1
        if response.status == 429:
            first_refused = number if first_refused is None else first_refused
            retry_after.append(response.headers.get("Retry-After"))
            if statuses["429"] >= options.burst_refusals:
                break
    refused = statuses.get("429", 0)
    return {"client": BURST_CLIENT, "sent": sum(statuses.values()),
            "admitted_before_first_429": first_refused,
            "refused_429": refused, "by_status": dict(sorted(statuses.items())),
            "every_429_has_retry_after": bool(retry_after) and all(
                value is not None and value.isdigit() for value in retry_after),
            "server_errors_5xx": sum(n for s, n in statuses.items()
                                     if s.isdigit() and int(s) >= 500)}


# -- the payment runs ---------------------------------------------------------------------

@dataclass(frozen=True)
class TimedRun:
    run_id: str
    seconds: float
    """From the request starting the run to its settlement with the fund."""
    start_seconds: float
    """How long disbursement took to answer the request starting it (`POST /runs`)."""


async def _timed_run(cluster: Cluster, month: int, *, start_timeout_s: float = 60.0
                     ) -> TimedRun:
    """A month's run from its start to its settlement with the fund (seconds)."""
    period = f"{YEAR}-{month:02d}"
    cluster.clock.set(datetime(YEAR, month, 5, 9, tzinfo=UTC))
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=cluster.url("disbursement"),
                                 timeout=start_timeout_s) as http:
        try:
            response = await http.post("/runs", headers=DISBURSER, json={
                "program_code": PROGRAM, "period": period, "division_code": DIVISION})
        except httpx.TimeoutException as exc:
            raise PhaseFailed(f"POST /runs for {period}: disbursement did not answer within"
                              f" {start_timeout_s:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise PhaseFailed(f"POST /runs for {period}: no answer from disbursement"
                              f" ({reason_of(exc)})") from exc
    started = time.monotonic() - began
    log.info("run %s started in %.2fs", period, started)
    if response.status_code != 201:
        raise PhaseFailed(f"POST /runs for {period}: disbursement answered"
                          f" {response.status_code}: {response.text[:300]}")
    run_id = str(response.json()["run_id"])
    deadline = began + 900
    # one session polled often: a run of a few seconds is timed to a tenth of a second
    conn = await asyncpg.connect(cluster.env.pg_dsn("disbursement"))
    try:
        while time.monotonic() < deadline:
            row = await conn.fetchrow("SELECT status, fund_settled_at FROM payment_runs"
                                      " WHERE run_id = $1", run_id)
            if row and row[0] == "completed" and row[1] is not None:
                seconds = time.monotonic() - began
                log.info("run %s settled in %.2fs", period, seconds)
                return TimedRun(run_id, seconds, started)
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise PhaseFailed(f"run {period} did not settle within 900 s")


async def post_notices(env: Environment, notices: int = 40, entries: int = 10) -> None:
    """A notice board in force over the year, with masked entries, as eligibility posts."""
    await env.fetch("oversight", """
        INSERT INTO public_notices (notice_id, program_code, policy_version, division_code,
            township_code, published_on, closes_on, notice_days, total_entries, status)
        SELECT 'load-' || n, $1, 'v1', $2, $2 || lpad(n::text, 3, '0'), $3::date,
               $4::date, 7, $5, 'posted' FROM generate_series(1, $6) AS n""",
                    PROGRAM, DIVISION, datetime(YEAR, 1, 1).date(),
                    datetime(YEAR, 12, 31).date(), entries, notices)
    await env.fetch("oversight", """
        INSERT INTO public_notice_entries (notice_id, application_id, category, masked_name,
            masked_resident_id, township_code)
        SELECT 'load-' || n, gen_random_uuid()::text, 'new_application', '张*',
               '4201**********' || lpad((n * 100 + e)::text, 4, '0'), NULL
        FROM generate_series(1, $1) AS n, generate_series(1, $2) AS e""", notices, entries)


async def _file_some(http: aiohttp.ClientSession, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    tracking = []
    for number in range(count):
        async with http.post("/public/complaints", json=_complaint(rng),
                             headers={"X-Forwarded-For": f"192.0.2.{number + 1}"}
                             ) as response:
            response.raise_for_status()
            tracking.append((await response.json())["tracking_number"])
    return tracking


# -- the phase ----------------------------------------------------------------------------

async def loaded_run(cluster: Cluster, load: LoadOptions) -> dict[str, Any]:
    """On a cluster with its roster and appropriations: baseline run, loaded run, baseline
    run; the figures and the promises. Stopped by a failure (`PhaseFailed`), it reports the
    runs timed until then."""
    await post_notices(cluster.env)
    urls = [p.url for p in cluster.instances["oversight"]]
    timeout = aiohttp.ClientTimeout(total=load.request_timeout_s)
    clients = [aiohttp.ClientSession(url, timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=256))
               for url in urls]
    timed: dict[str, TimedRun] = {}
    background: list[asyncio.Task[Any]] = []
    try:
        tracking = await _file_some(clients[0], 20, load.seed)
        timed["baseline_before"] = await _timed_run(
            cluster, 1, start_timeout_s=load.start_timeout_s)
        traffic = PublicTraffic(clients, load.clients, tracking, load.seed)
        stop = asyncio.Event()
        steady = asyncio.create_task(open_loop(
            traffic.send, rate_per_s=load.rate_per_s, stop=stop,
            min_seconds=load.min_seconds, max_seconds=load.max_seconds,
            max_in_flight=load.max_in_flight))
        background.append(steady)
        await asyncio.sleep(1)  # the load under way before the run starts

        async def burst_later() -> dict[str, Any]:
            await asyncio.sleep(2)
            return await over_the_limit(clients[0], load)
        burst = asyncio.create_task(burst_later())
        background.append(burst)
        try:
            timed["loaded"] = await _timed_run(cluster, 2,
                                               start_timeout_s=load.start_timeout_s)
        finally:
            stop.set()
        tally, limited = await steady, await burst
        timed["baseline_after"] = await _timed_run(
            cluster, 3, start_timeout_s=load.start_timeout_s)
    except Exception as exc:
        raise PhaseFailed(reason_of(exc), _partial(timed)) from exc
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for http in clients:
            await http.close()
    found = verdict(tally.summary(), limited, timed["baseline_before"].seconds,
                    timed["loaded"].seconds, timed["baseline_after"].seconds,
                    instances=len(urls), identities=load.clients)
    found["run_start_seconds"] = _partial(timed)["run_start_seconds"]
    return found


def _partial(timed: dict[str, TimedRun]) -> dict[str, Any]:
    """The runs timed so far: to settlement, and how long each took to start."""
    return {"run_seconds": {name: round(t.seconds, 2) for name, t in timed.items()},
            "run_start_seconds": {name: round(t.start_seconds, 2)
                                  for name, t in timed.items()}}


def verdict(steady: dict[str, Any], limited: dict[str, Any], before: float, loaded: float,
            after: float, *, instances: int, identities: int) -> dict[str, Any]:
    baseline = (before + after) / 2
    growth = loaded / baseline - 1
    p99 = steady["latency_admitted"]["p99_ms"]
    rate_reached = steady["achieved_rate_per_s"] >= RATE_REACHED * TARGET_RATE_PER_S
    promises = {
        "public_load_run_growth_within_20pct": growth <= TARGET_RUN_GROWTH,
        "public_load_p99_under_300ms_at_200_per_s": (
            rate_reached and p99 is not None and p99 < TARGET_P99_MS
            and steady["refused_429"] == 0),
        "public_load_429_past_the_limit": (limited["refused_429"] > 0
                                           and limited["every_429_has_retry_after"]),
        "public_load_no_5xx": (steady["server_errors_5xx"] == 0
                               and limited["server_errors_5xx"] == 0
                               and steady["no_answer"] == 0),
    }
    return {
        "targets": {"rate_per_s": TARGET_RATE_PER_S, "p99_ms_below": TARGET_P99_MS,
                    "run_growth_at_most": TARGET_RUN_GROWTH,
                    "rate_reached_at_least": RATE_REACHED * TARGET_RATE_PER_S},
        "oversight_instances": instances, "client_identities": identities,
        "run_seconds": {"baseline_before": round(before, 2), "loaded": round(loaded, 2),
                        "baseline_after": round(after, 2), "baseline": round(baseline, 2)},
        "run_growth": round(growth, 3),
        "steady": steady,
        "over_the_limit": limited,
        "promises": promises,
    }


async def run(options: Options, out: Path, extra_env: dict[str, dict[str, str]],
              load: LoadOptions) -> dict[str, Any]:
    """The load phase on a fresh environment, removed afterwards."""
    began = time.monotonic()
    env = Environment.fresh(await asyncio.to_thread(out.resolve), prefix="siquan_load")
    await asyncio.to_thread(env.provision)
    try:
        cluster = Cluster(env, out / env.name / "logs", extra_env=extra_env,
                          instances=options.instances)
        try:
            for process in cluster.all_processes():
                await asyncio.to_thread(process.start, timeout=300)
            cluster.clock.set(datetime(YEAR, 1, 2, 9, tzinfo=UTC))
            owed = await campaign.load_roster(env, options.payees)
            await campaign.appropriate(cluster, owed * MONTHS * 11 // 10)
            try:
                found = await loaded_run(cluster, load)
            except PhaseFailed as failed:
                failed.partial = {"payees": options.payees,
                                  "seconds": round(time.monotonic() - began, 1),
                                  **failed.partial}
                raise
            return {"payees": options.payees, "seconds": round(time.monotonic() - began, 1),
                    **found}
        finally:
            await asyncio.to_thread(cluster.stop)
    finally:
        await asyncio.to_thread(env.teardown)
