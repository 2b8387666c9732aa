"""A fault campaign over a county year of payment runs: the four services as processes
(several instances of each), a roster loaded in bulk, twelve monthly runs one after the
other, and faults injected all along from a seeded plan (`plan.Plan`):

- SIGKILL of an instance from outside, and its restart armed with one of its crash points
  (`siquan.shared.crash_points`), where it then dies by itself and is restarted again;
- this environment's broker connections of one service closed by the server
  (`rabbitmqctl close_connection`, only connections of this environment's vhost and users);
- this environment's database sessions of one service ended (`pg_terminate_backend`);
- the simulated bank not answering a batch it recorded, answering twice, answering late;
- on the campaign's own servers only (`servers`, `--own-servers`): the RabbitMQ node
  stopped and started again, PostgreSQL stopped fast or immediate (`pg_ctl -m fast` /
  `-m immediate`) and started again, PostgreSQL held at `max_connections` and the broker at
  its open-file limit (connections opened until refused, then one service's own ended so
  that it must reconnect into the limit), each held until every instance it meets reports
  it (`/health/ready`, the `siquan_dependency_up` gauge at 0) and bounded in time.

Then it waits for everything to settle and counts: payments expected / paid / lost / paid
twice (from disbursement's records and the bank's own), fund custody's ledger against the
bank, oversight's audit log against every message the payment side published, the chain
verified, the findings raised on this clean data, and how long the system took to recover
after each fault (the faulted instance serving again and the pipeline moving again).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import shlex
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiormq
import asyncpg
import httpx

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.contracts.topology import SERVICES, dead_letter_queue_of
from siquan.shared import crash_points
from siquan.shared.provision import role_of
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.bench.eligibility_100k import survey
from siquan.tools.bench.payment_run_load import bulk_load
from siquan.tools.chaos.plan import (
    BANK_KIND,
    BROKER_CLOSE,
    BROKER_EXHAUSTED,
    BROKER_RESTART,
    KILL,
    PG_EXHAUSTED,
    PG_RESTART_MODE,
    PG_TERMINATE,
    SERVER_KINDS,
    Arm,
    Fault,
    Plan,
    service_of,
)
from siquan.tools.chaos.servers import OwnServers
from siquan.tools.desk import Desk, Refusal

log = logging.getLogger("siquan.chaos")
PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2027
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
TREASURER = {"Authorization": "Bearer dev-treasury-420117-01"}
AUDITOR = {"Authorization": "Bearer dev-auditor-420117-01"}
CRASHED = "sigkill_at_crash_point"


LARGE_RUN_PAYEES = 100_000
"""The last run of `make chaos`'s year: a large county's month."""


@dataclass(frozen=True)
class Options:
    seed: int
    payees: int = 10_000
    months: int = 12
    faults: int = 60
    instances: int = 2
    chunk: int = 500
    bank_latency_ms: int = 100
    """The simulated bank's time per batch: a run long enough for faults to meet it."""
    mean_pause_s: float = 2.0
    timeout_s: float = 1_500.0
    """Bound of the whole campaign's waits."""
    own_servers: bool = False
    """Run on a RabbitMQ node and a PostgreSQL cluster of the campaign's own, and fault
    them too (restarts, exhaustion)."""
    broker_file_limit: int = 512
    """`ulimit -n` of the own RabbitMQ node: its open-file limit reached quickly."""
    outage_s: float = 20.0
    """Longest a server fault is held waiting for every instance to report it."""
    survey_size: int = 50
    """Applications in each township survey (`Campaign.office`)."""
    survey_every_s: float = 20.0
    """Pause between two township surveys (`Campaign.office`)."""
    complaint_every_s: float = 1.0
    """Pause between two complaints filed on the public surface (`Campaign.office`)."""
    large_run_payees: int = 0
    """The year's last run pays this many: the roster grows by the difference, certified
    from the last month, so that one run of a large county's size meets the faults too
    (`make chaos`: `LARGE_RUN_PAYEES`; no larger than `payees`: every month pays
    `payees`)."""

    def roster_growth(self) -> int:
        """Payees certified from the last month on, beyond `payees`."""
        return max(0, self.large_run_payees - self.payees) if self.months else 0


@dataclass
class Record:
    kind: str
    target: str
    at: float
    point: str | None = None
    landed: bool = True
    baseline: int | None = None
    recovered_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, start: float) -> dict[str, Any]:
        found = {"kind": self.kind, "target": self.target, "at_s": round(self.at - start, 2),
                 "recovered_s": self.recovered_s, **self.detail}
        if self.point:
            found["point"] = self.point
        return found


class Campaign:
    def __init__(self, cluster: Cluster, plan: Plan, options: Options,
                 servers: OwnServers | None = None) -> None:
        self.cluster, self.env, self.plan, self.options = cluster, cluster.env, plan, options
        self.servers = servers
        self.servers_up = asyncio.Event()
        """Cleared while a server fault is held: restarts of instances wait for its end."""
        self.servers_up.set()
        self.processes: dict[str, ServiceProcess] = {
            p.name: p for p in cluster.all_processes()}
        self.armed: dict[str, Arm | None] = dict.fromkeys(self.processes)
        self.busy: set[str] = set()
        self.starting: set[str] = set()
        """Instances inside their start (migrations, first connections): a server fault
        gives them a moment first."""
        self.records: list[Record] = []
        self.unexpected_exits: list[str] = []
        self.runs: list[str] = []
        self.workload_done = False
        self.office_work: Counter[str] = Counter()
        self.arming = True
        self._tasks: set[asyncio.Task[None]] = set()
        self.start = time.monotonic()

    # -- the workload ---------------------------------------------------------------------

    async def workload(self) -> None:
        """The county's year: each month's run started once the previous one settled."""
        for month in range(1, self.options.months + 1):
            period = f"{YEAR}-{month:02d}"
            # the month's surveyed applications decided before the clock moves on
            await self._until(self._decided, "surveyed applications decided")
            # every service's clock on the run's day, as the county pays in the month
            self.cluster.clock.set(datetime(YEAR, month, 5, 9, tzinfo=UTC))
            run_id = await self._start_run(period)
            self.runs.append(run_id)
            await self._until(lambda run_id=run_id: self._settled(run_id),
                              f"run {period} settled")
            log.info("run %s (%s) settled at %.0fs", period, run_id, self._now())
        self.workload_done = True

    async def office(self) -> None:
        """Eligibility's and the public's part of the year, beside the runs and for as long
        as faults are injected, so that every instance of every service has work its crash
        points lie in: a township's survey imported and reviewed by its community every
        `survey_every_s` (eligibility writes and relays the applications' events), and a
        complaint filed on oversight's public surface every `complaint_every_s` (each
        reaches eligibility, which reads every complaint for objections to its notices).
        The community turns the surveyed applications down, so nobody becomes payable and
        nothing is left undecided (the months the clock moves on would rightly make an
        undecided one late): the payment promises and the findings on clean data are
        unchanged. A request a fault refused is counted, not repeated; work waits while no
        instance of its service is up (`office_work` in the result)."""
        people = ResidentFactory(DIVISION, birth_year=1958)
        surveys, next_survey = 0, time.monotonic()
        while not self.workload_done or self.arming:
            if await self._waiting():  # a survey whose answer a fault lost, or its review
                await self._office_call("community_review", "eligibility", self._turn_down)
            elif time.monotonic() >= next_survey:
                township = f"{DIVISION}{surveys % 20 + 1:03d}"
                if await self._office_call("survey", "eligibility", functools.partial(
                        self._survey, township=township, people=people)):
                    surveys += 1
                    next_survey = time.monotonic() + self.options.survey_every_s
            await self._office_call("complaint", "oversight", self._complaint)
            await asyncio.sleep(self.options.complaint_every_s)

    async def _office_call(self, kind: str, service: str,
                           work: Callable[[str], Awaitable[None]]) -> bool:
        """The work on an instance of the service that is up (none up: not tried)."""
        serving = self._serving(service)
        if not serving:
            return False
        try:
            await work(serving[0].url)
        except (httpx.HTTPError, Refusal, asyncpg.PostgresError, asyncpg.InterfaceError,
                OSError, TimeoutError) as exc:  # refused, or a fault met it
            self.office_work[f"{kind}_refused"] += 1
            log.info("office: %s refused: %s", kind, str(exc)[:300] or type(exc).__name__)
            return False
        self.office_work[f"{kind}_done"] += 1
        return True

    async def _survey(self, url: str, township: str, people: ResidentFactory) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            report = await Desk(http).import_survey(
                f"{township}.csv", survey(self.options.survey_size, township, people))
        self.office_work["applications"] += len(report["application_ids"])
        # the community turns them down on the loop's next pass (`_waiting`): a fault that
        # meets the review then does not count the survey, which was imported, as refused

    async def _waiting(self) -> dict[str, list[str]]:
        """Surveyed applications waiting for their community review, by township."""
        waiting: dict[str, list[str]] = {}
        for row in await self._query("eligibility", "SELECT township_code, id::text FROM"
                                     " applications WHERE status = 'submitted'"):
            waiting.setdefault(row[0], []).append(row[1])
        return waiting

    async def _turn_down(self, url: str) -> None:
        """Each township's community review turns down its applications still waiting (an
        application left undecided while the campaign's clock moves on a month would
        rightly be found late, and a certified one would join the runs)."""
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            for township, ids in (await self._waiting()).items():
                await Desk(http).community_review([], division=township, failed=dict.fromkeys(
                    ids, "故障演练 fault drill: not resident in the village"))

    async def _decided(self) -> bool:
        return not await self._waiting()

    async def sweep(self) -> None:
        """After the faults: every surveyed application still waiting turned down."""
        await self._turn_down(self._serving("eligibility")[0].url)

    async def _complaint(self, url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            response = await http.post("/public/complaints", json={
                "category": "not_paid_in_full", "division_code": DIVISION,
                "anonymous": True, "description": "故障演练 fault drill: not paid in full"})
            response.raise_for_status()

    async def _start_run(self, period: str) -> str:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            existing = await self._query("disbursement", "SELECT run_id::text FROM"
                                         " payment_runs WHERE period = $1 AND retry_of IS NULL",
                                         period)
            if existing:
                return str(existing[0][0])
            for process in self._serving("disbursement"):
                try:
                    async with httpx.AsyncClient(base_url=process.url, timeout=60) as http:
                        response = await http.post("/runs", headers=DISBURSER, json={
                            "program_code": PROGRAM, "period": period,
                            "division_code": DIVISION})
                except httpx.HTTPError:
                    continue
                if response.status_code < 300:
                    return str(response.json()["run_id"])
                if response.status_code < 500 and response.status_code != 409:
                    raise RuntimeError(f"run {period} refused: {response.text}")
            await asyncio.sleep(1)
        raise RuntimeError(f"run {period} could not be started")

    async def _settled(self, run_id: str) -> bool:
        rows = await self._query("disbursement", "SELECT status, fund_settled_at FROM"
                                 " payment_runs WHERE run_id = $1", run_id)
        return bool(rows) and rows[0][0] == "completed" and rows[0][1] is not None

    # -- faults ---------------------------------------------------------------------------

    async def inject(self) -> None:
        """Faults from the plan until as many as asked for landed (while the year is paid,
        and after it if they outnumber it)."""
        for fault in self.plan.faults():
            if self.landed() >= self.options.faults and self._every_server_fault():
                break
            await asyncio.sleep(fault.pause_s)
            if fault.kind in BANK_KIND and self.workload_done:
                continue  # no batch left to take it
            await self._inject(fault)
        self.arming = False

    def _every_server_fault(self) -> bool:
        """Each kind of server fault landed once (on the campaign's own servers)."""
        if self.servers is None:
            return True
        return set(SERVER_KINDS) <= {r.kind for r in self.records if r.landed}

    def landed(self) -> int:
        return sum(1 for r in self.records if r.landed)

    async def _inject(self, fault: Fault) -> None:
        if fault.kind in SERVER_KINDS:
            if self.servers is not None:
                await self._server_fault(fault)
            return
        if fault.kind == KILL:
            if fault.target in self.busy:
                return
            self.busy.add(fault.target)
            record = Record(KILL, fault.target, time.monotonic())
            await asyncio.to_thread(self.processes[fault.target].kill)
            self._record(record)
            self._spawn(self._restart(fault.target))
        elif fault.kind == BROKER_CLOSE:
            closed = await asyncio.to_thread(self._close_connections, fault.target)
            self._record(Record(BROKER_CLOSE, fault.target, time.monotonic(),
                                landed=closed > 0, detail={"connections": closed}))
        elif fault.kind == PG_TERMINATE:
            ended = await self._terminate(fault.target)
            self._record(Record(PG_TERMINATE, fault.target, time.monotonic(),
                                landed=ended > 0, detail={"sessions": ended}))
        else:
            fault_id = await self._bank_fault(BANK_KIND[fault.kind], fault.delay_ms)
            detail = {"delay_ms": fault.delay_ms} if fault.delay_ms else {}
            self._record(Record(fault.kind, "bank", time.monotonic(), landed=False,
                                detail={"fault_id": fault_id, **detail}))

    def _record(self, record: Record) -> None:
        self.records.append(record)
        log.info("fault %d at %.1fs: %s %s %s", len(self.records), self._now(),
                 record.kind, record.target, record.point or "")

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _restart(self, name: str) -> None:
        """Start the instance again, armed with its next crash point while arming; an
        instance that dies at that point while starting is recorded and started again."""
        process = self.processes[name]
        try:
            while True:
                arm = self.plan.next_arm(name) if self.arming else None
                self.armed[name] = arm
                if arm is None:
                    process.env.pop(crash_points.VARIABLE, None)
                else:
                    process.env[crash_points.VARIABLE] = f"{arm.point}:{arm.nth}"
                await self.servers_up.wait()  # a service starts only on servers that answer
                self.starting.add(name)
                try:
                    await asyncio.to_thread(process.start, timeout=300)
                    return
                except RuntimeError:
                    if arm is None or process.returncode != -9:
                        raise
                    self._record(Record(CRASHED, name, time.monotonic(), point=arm.point))
                finally:
                    self.starting.discard(name)
        finally:
            self.busy.discard(name)

    async def watch(self) -> None:
        """Notice instances that died at their crash point (or otherwise) and restart
        them; settle each fault's recovery time."""
        while not (self.workload_done and not self.arming and not self.busy
                   and all(r.recovered_s is not None or not r.landed for r in self.records)):
            for name, process in self.processes.items():
                if name in self.busy or process.running:
                    continue
                self.busy.add(name)
                arm = self.armed[name]
                if arm is not None and process.returncode == -9:
                    self._record(Record(CRASHED, name, time.monotonic(), point=arm.point))
                else:
                    self.unexpected_exits.append(f"{name} exited {process.returncode}")
                    log.error("%s exited unexpectedly:\n%s", name, process.log_tail())
                self._spawn(self._restart(name))
            await self._settle_recoveries()
            await asyncio.sleep(0.25)

    async def _settle_recoveries(self) -> None:
        waiting = [r for r in self.records if r.recovered_s is None
                   and (r.landed or "fault_id" in r.detail)]
        if not waiting:
            return
        progress = await self._progress()
        now = time.monotonic()
        for record in waiting:
            if not record.landed:
                if "fault_id" not in record.detail:
                    continue  # nothing to close or end: not a fault
                record.landed = await self._bank_fault_taken(record)
                if not record.landed:
                    continue
                record.at = now
            if record.baseline is None:
                record.baseline = progress
                continue
            target = record.target if record.target in self.processes else None
            serving = target is None or (target not in self.busy
                                         and self.processes[target].running)
            if serving and record.kind in SERVER_KINDS:
                serving = await self._all_ready()  # every instance back on the server
            moved = progress is not None and progress > record.baseline
            if serving and (moved or self.workload_done):
                record.recovered_s = round(now - record.at, 2)

    async def _progress(self) -> int | None:
        """A number that grows while the pipeline moves: messages published by the payment
        side and entries oversight appended."""
        total = 0
        for service, sql in (("disbursement", "SELECT coalesce(max(id), 0) FROM outbox"),
                             ("fund_custody", "SELECT coalesce(max(id), 0) FROM outbox"),
                             ("oversight", "SELECT seq FROM audit_chain_head")):
            rows = await self._query(service, sql)
            if not rows:
                return None  # a database not answering: no figure
            total += int(rows[0][0])
        return total

    def _close_connections(self, service: str) -> int:
        """Close this environment's broker connections of one service (its own user on its
        own vhost: no other environment's)."""
        user = f"{self.env.user_prefix}{service}"
        listed = _ctl(self.env, "list_connections", "-p", self.env.name, "pid", "user", "vhost",
                      "--quiet", "--no-table-headers")
        closed = 0
        for line in listed.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1] == user and parts[2] == self.env.name:
                _ctl(self.env, "close_connection", parts[0], "fault campaign")
                closed += 1
        return closed

    async def _terminate(self, service: str) -> int:
        database = role_of(service, self.env.name)
        conn = await asyncpg.connect(self.env.admin_pg_dsn)
        try:
            ended = await conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM"
                " pg_stat_activity WHERE datname = $1 AND usename = $1"
                " AND pid <> pg_backend_pid()", database)
        finally:
            await conn.close()
        return int(ended)

    async def _bank_fault(self, kind: str, delay_ms: int) -> int:
        conn = await asyncpg.connect(self.env.bank_dsn)
        try:
            return int(await conn.fetchval("INSERT INTO bank_faults (kind, delay_ms)"
                                           " VALUES ($1, $2) RETURNING id", kind, delay_ms))
        finally:
            await conn.close()

    async def _bank_fault_taken(self, record: Record) -> bool:
        rows = await self._query("banksim", "SELECT taken_at IS NOT NULL FROM bank_faults"
                                 " WHERE id = $1", record.detail["fault_id"])
        return bool(rows and rows[0][0])

    # -- faults of the campaign's own servers ---------------------------------------------

    async def _server_fault(self, fault: Fault) -> None:
        """Restart or exhaust a server, held until every instance it meets reports it (or
        `outage_s`); the recovery is timed from when the server answers again. Instances
        starting are given a moment first (they wait for a database away, bounded), and
        restarts wait for its end."""
        assert self.servers is not None
        await self._quiet(20)
        self.servers_up.clear()
        began = time.monotonic()
        detail: dict[str, Any] = {}
        try:
            if fault.kind == BROKER_RESTART:
                await self._held_down("broker", self._serving_all(),
                                      self.servers.broker.cluster.stop_node,
                                      self.servers.broker.cluster.start,
                                      self.servers.broker.node, detail=detail)
            elif fault.kind in PG_RESTART_MODE:
                postgres = self.servers.postgres
                mode = PG_RESTART_MODE[fault.kind]
                await self._held_down("database", self._serving_all(),
                                      lambda: postgres.pg_ctl("stop", "-m", mode),
                                      lambda: postgres.pg_ctl("start"), detail=detail)
            elif fault.kind == PG_EXHAUSTED:
                await self._postgres_exhausted(fault.target, detail)
            elif fault.kind == BROKER_EXHAUSTED:
                await self._broker_exhausted(fault.target, detail)
        finally:
            self.servers_up.set()
        cleared = time.monotonic()
        detail["outage_s"] = round(cleared - began, 2)
        self._record(Record(fault.kind, fault.target, cleared, detail=detail))

    def _serving_all(self) -> list[ServiceProcess]:
        return [p for n, p in self.processes.items() if n not in self.busy and p.running]

    async def _quiet(self, within_s: float) -> None:
        async def none_starting() -> bool:
            return not self.starting
        with contextlib.suppress(AssertionError):
            await eventually(none_starting, timeout=within_s, interval=0.1,
                             what="instances started")

    async def _held_down(self, dependency: str, meets: list[ServiceProcess], stop: Any,
                         start: Any, *args: Any, detail: dict[str, Any]) -> None:
        await asyncio.to_thread(stop, *args)
        try:
            detail.update(await self._reported(dependency, meets))
        finally:
            await asyncio.to_thread(start, *args)

    async def _reported(self, dependency: str, meets: list[ServiceProcess],
                        hold: Any = None) -> dict[str, Any]:
        """Wait (bounded) until every instance it meets says the dependency is down, in its
        readiness and in `siquan_dependency_up`; who did. `hold`, when given, is awaited at
        each round: it keeps an exhausted server exhausted (a slot freed by the ended
        sessions taken back before the instance reconnects into it)."""
        ready: set[str] = set()
        gauge: set[str] = set()
        line = f'siquan_dependency_up{{dependency="{dependency}"'
        pids = {p.name: p.pid for p in meets}

        def alive() -> list[ServiceProcess]:
            # an instance that died meanwhile (at its armed crash point: a fault of its own,
            # recorded and restarted by `watch`) is no longer one the fault meets, unless it
            # said so before
            return [p for p in meets if p.name in ready & gauge
                    or (p.running and p.pid == pids[p.name])]
        deadline = time.monotonic() + self.options.outage_s
        async with httpx.AsyncClient(timeout=3) as http:
            while time.monotonic() < deadline and not (
                    {p.name for p in alive()} <= ready & gauge):
                if hold is not None:
                    await hold()
                for process in alive():
                    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                        answer = await http.get(f"{process.url}/health/ready")
                        state = str(answer.json()["checks"][dependency])
                        if answer.status_code == 503 and not state.startswith("ok"):
                            ready.add(process.name)
                        metrics = (await http.get(f"{process.url}/metrics")).text
                        if any(m.startswith(line) and m.rstrip().endswith(" 0.0")
                               for m in metrics.splitlines()):
                            gauge.add(process.name)
                await asyncio.sleep(0.25)
        met = {p.name for p in alive()}
        return {"met": len(met), "reported_not_ready": len(ready & met),
                "reported_by_gauge": len(gauge & met), "gone": len(meets) - len(met)}

    async def _postgres_exhausted(self, service: str, detail: dict[str, Any]) -> None:
        """Connections of a role of the campaign's opened until the server refuses one
        (`too many clients`), then the service's sessions ended and the slots they free
        taken at once (and again while held, whenever the service got one back): it meets
        the limit."""
        assert self.servers is not None
        admin_dsn = self.servers.postgres.dsn
        # the superuser's session (a reserved slot) ends the service's sessions while full
        admin = await asyncpg.connect(admin_dsn)
        held: list[asyncpg.Connection] = []
        database = role_of(service, self.env.name)
        try:
            await admin.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE"
                                " rolname = 'chaos_hog') THEN CREATE ROLE chaos_hog LOGIN;"
                                " END IF; END $$")
            hog_dsn = admin_dsn.replace("postgres@", "chaos_hog@", 1)
            refused = ""

            async def fill() -> None:
                nonlocal refused
                while len(held) < self.servers.postgres.max_connections:  # type: ignore
                    try:
                        held.append(await asyncpg.connect(hog_dsn, timeout=10))
                    except (asyncpg.TooManyConnectionsError, OSError, TimeoutError) as exc:
                        refused = type(exc).__name__
                        return

            async def take_back() -> int:
                ended = int(await admin.fetchval(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM"
                    " pg_stat_activity WHERE datname = $1 AND usename = $1"
                    " AND pid <> pg_backend_pid()", database))
                if ended:
                    await fill()
                return ended

            await fill()
            sessions = await take_back()

            async def hold() -> None:
                nonlocal sessions
                sessions += await take_back()
            meets = [p for p in self._serving_all() if service_of(p.name) == service]
            reported = await self._reported("database", meets, hold)
            detail.update(held=len(held), refused=refused, sessions=sessions, **reported)
        finally:
            await asyncio.gather(*(c.close(timeout=5) for c in held),
                                 return_exceptions=True)
            await admin.close(timeout=5)

    async def _broker_exhausted(self, service: str, detail: dict[str, Any]) -> None:
        """AMQP connections opened until a handshake is no longer answered (the node at its
        open-file limit), then the service's connections reset: it meets the limit.

        The files its connections free must not come back to it: a few more connections
        are already waiting in the node's accept queue when they are reset, so the node
        accepts them first and the service's reconnection waits behind them (and it is
        done again while held, whenever the service got back in). The reset is done from
        the service's side (`ss -K` on its sockets) because `rabbitmqctl` would itself need
        a file of the node."""
        assert self.servers is not None
        url = self.servers.broker.url
        port = self.servers.broker.node.amqp_port
        held: list[aiormq.abc.AbstractConnection] = []

        async def one(within_s: float = 5) -> aiormq.abc.AbstractConnection | None:
            try:
                return await asyncio.wait_for(aiormq.connect(url), within_s)
            except Exception:  # refused or unanswered: the limit
                return None
        limit = self.servers.broker.open_file_limit

        async def fill() -> None:
            while len(held) < limit:
                opened = await asyncio.gather(*(one() for _ in range(25)))
                held.extend(c for c in opened if c is not None)
                if any(c is None for c in opened):
                    return

        meets = [p for p in self._serving_all() if service_of(p.name) == service]
        pids = {p.pid for p in meets if p.pid is not None}
        waiting: list[asyncio.Task[aiormq.abc.AbstractConnection | None]] = []

        async def take_back() -> int:
            await fill()
            waiting.extend(asyncio.create_task(one(self.options.outage_s + 10))
                           for _ in range(10))
            await asyncio.sleep(0.5)  # queued at the node before the reset
            return await asyncio.to_thread(_reset_sockets, pids, port)

        async def back_in() -> bool:
            """An instance it meets connected again (its readiness says the broker is ok)."""
            async with httpx.AsyncClient(timeout=3) as http:
                for process in meets:
                    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                        answer = await http.get(f"{process.url}/health/ready")
                        if str(answer.json()["checks"]["broker"]).startswith("ok"):
                            return True
            return False
        try:
            connections = await take_back()

            async def hold() -> None:
                nonlocal connections
                if await back_in():
                    connections += await take_back()
            reported = await self._reported("broker", meets, hold)
            for task in waiting:
                task.cancel()
            for outcome in await asyncio.gather(*waiting, return_exceptions=True):
                if isinstance(outcome, aiormq.abc.AbstractConnection):
                    held.append(outcome)
            detail.update(held=len(held), connections=connections, **reported)
        finally:
            for task in waiting:
                task.cancel()
            await asyncio.gather(*(asyncio.wait_for(c.close(), 5) for c in held),
                                 return_exceptions=True)

    async def _all_ready(self) -> bool:
        async with httpx.AsyncClient(timeout=3) as http:
            for process in self._serving_all():
                try:
                    if (await http.get(f"{process.url}/health/ready")).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
        return True

    async def disarm(self) -> None:
        """Restart every instance still armed, unarmed (not a fault: the campaign is
        over)."""
        await self._until(self._nothing_busy, "restarts finished")
        for name, arm in self.armed.items():
            if arm is not None and name not in self.busy:
                self.busy.add(name)
                await asyncio.to_thread(self.processes[name].kill)
                self.plan.arms[name].insert(0, arm)
                await self._restart(name)

    async def close(self) -> None:
        """Wait for restarts under way (the cluster stops every instance afterwards)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _nothing_busy(self) -> bool:
        return not self.busy

    # -- helpers --------------------------------------------------------------------------

    def _serving(self, service: str) -> list[ServiceProcess]:
        return [p for n, p in self.processes.items()
                if service_of(n) == service and n not in self.busy and p.running]

    def _now(self) -> float:
        return time.monotonic() - self.start

    async def _query(self, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        """A query that a fault may interrupt: empty on a connection error."""
        try:
            return await self.env.fetch(database, sql, *args)
        except Exception:  # a session ended under it, a server refusing: try again later
            return []

    async def _until(self, probe: Any, what: str) -> None:
        deadline = time.monotonic() + self.options.timeout_s
        while time.monotonic() < deadline:
            if await probe():
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{what}: not within {self.options.timeout_s}s")


def _reset_sockets(pids: set[int], port: int) -> int:
    """Reset (`ss -K`) the established TCP connections of these processes to a port on
    loopback; how many."""
    listed = subprocess.run(["ss", "-tnpH", "state", "established", "dport", "=", f":{port}"],
                            capture_output=True, text=True, timeout=10, check=False).stdout
    ports = []
    for line in listed.splitlines():
        fields = line.split()
        owners = {int(m) for m in re.findall(r"pid=(\d+)", line)}
        if len(fields) >= 3 and owners & pids:
            ports.append(fields[2].rsplit(":", 1)[1])
    if ports:
        condition = " or ".join(f"sport = :{p}" for p in ports)
        subprocess.run(["ss", "-K", "-tn", "dst", "127.0.0.1", f"( {condition} )"],
                       capture_output=True, text=True, timeout=10, check=False)
    return len(ports)


def _ctl(env: Environment, *args: str) -> str:
    """`rabbitmqctl` of the environment's broker (the campaign's own node's, or the
    machine's), bounded in time; its output, empty when it failed."""
    base = env.rabbitmqctl or os.environ.get("SIQUAN_RABBITMQCTL", "rabbitmqctl")
    done = subprocess.run(["timeout", "30", *shlex.split(base), *args], capture_output=True,
                          text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


async def appropriate(cluster: Cluster, owed_fen: int) -> None:
    policy = load_catalogue().in_force(PROGRAM, period_start(f"{YEAR}-01"), DIVISION)
    levels = policy.fiscal_shares.model_dump()
    paid = 0
    async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=60) as http:
        for index, (level, share) in enumerate(levels.items()):
            amount = owed_fen - paid if index == len(levels) - 1 else owed_fen * share // 10_000
            paid += amount
            response = await http.post("/appropriations", headers=TREASURER, json={
                "program_code": PROGRAM, "fiscal_year": YEAR, "division_code": DIVISION,
                "fiscal_level": level, "amount_fen": amount})
            response.raise_for_status()


async def load_roster(env: Environment, payees: int, *, first: int = 0,
                      effective_from: date = date(2020, 1, 1)) -> int:
    """The roster in bulk (persons `first` on, certified from `effective_from`); what a
    month of it is owed (a month of 2026: the year's runs are appropriated with a tenth to
    spare)."""
    conn = await asyncpg.connect(env.pg_dsn("disbursement"))
    oversight = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        owed = await bulk_load(conn, payees, program=PROGRAM, division=DIVISION,
                               oversight=oversight, first=first,
                               effective_from=effective_from)
        # clean data: none of the accounts the simulated bank refuses, freezes or returns
        # (numbers ending 0000, 0044, 0088), so that every finding would be a fault's
        await conn.execute(
            "UPDATE payee_accounts SET account_number = '6229'"
            " || substr(account_number, 5, length(account_number) - 5) || '9'"
            " WHERE right(account_number, 4) IN ('0000', '0044', '0088')")
        return owed
    finally:
        await conn.close()
        await oversight.close()


# -- the verdict --------------------------------------------------------------------------

async def _drained(env: Environment) -> bool:
    for service in SERVICES:
        rows = await env.fetch(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        if rows[0][0]:
            return False
    return True


async def _published_ids(env: Environment) -> list[str]:
    ids: list[str] = []
    for service in ("disbursement", "fund_custody", "eligibility"):
        rows = await env.fetch(service, "SELECT message_id::text FROM outbox")
        ids += [r[0] for r in rows]
    return ids


async def _present(env: Environment, ids: list[str]) -> int:
    rows = await env.fetch("oversight", "SELECT count(DISTINCT message_id) FROM audit_entries"
                           " WHERE message_id = ANY($1::uuid[])", ids)
    return int(rows[0][0])


async def audit_counts(env: Environment, wait_s: float) -> dict[str, Any]:
    """Oversight's log against every message the payment side published, once the outboxes
    are drained and oversight has caught up (bounded by `wait_s`)."""
    deadline = time.monotonic() + wait_s
    with contextlib.suppress(AssertionError):
        await eventually(lambda: _drained(env), timeout=wait_s, interval=1,
                         what="every outbox drained")
    ids = await _published_ids(env)

    async def caught_up() -> bool:
        return await _present(env, ids) == len(ids)
    with contextlib.suppress(AssertionError):
        await eventually(caught_up, timeout=max(deadline - time.monotonic(), 1), interval=2,
                         what="oversight caught up")
    present = await _present(env, ids)
    return {"expected": len(ids), "present": present, "missing": len(ids) - present}


async def payment_counts(env: Environment, runs: list[str]) -> dict[str, Any]:
    payments = await env.fetch("disbursement", "SELECT payment_id::text, status FROM payments"
                               " WHERE run_id = ANY($1::uuid[])", runs)
    transfers = await env.fetch("banksim", "SELECT payment_id::text, account_number,"
                                " remittance, outcome, amount_fen FROM transfers")
    at_bank = {t["payment_id"]: t for t in transfers}
    status = Counter(p["status"] for p in payments)
    by_status = {p["payment_id"]: p["status"] for p in payments}
    settled_at_bank = {i for i, t in at_bank.items() if t["outcome"] == "settled"}
    recorded_settled = {i for i, s in by_status.items() if s == "settled"}
    # money out at the bank that disbursement does not know as paid, or the reverse, or
    # a payment never finished: each a payment lost to the books or to the payee
    lost = (len(settled_at_bank - recorded_settled) + len(recorded_settled - settled_at_bank)
            + status.get("pending", 0))
    per_payee_month = Counter((t["account_number"], " ".join(t["remittance"].split()[:3]))
                              for t in transfers if t["outcome"] == "settled")
    return {"expected": len(payments), "paid": len(settled_at_bank & set(by_status)),
            "failed_at_bank": status.get("failed", 0),
            "cancelled": status.get("cancelled", 0), "lost": lost,
            "paid_twice": sum(1 for n in per_payee_month.values() if n > 1),
            "settled_fen_at_bank": sum(int(t["amount_fen"]) for i, t in at_bank.items()
                                       if i in settled_at_bank)}


async def ledger(cluster: Cluster, settled_fen: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=60) as http:
        account = (await http.get(f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}",
                                  headers=TREASURER)).json()
    balanced = (account["reserved_fen"] == 0 and account["paid_out_fen"] == settled_fen
                and account["available_fen"]
                == account["appropriated_total_fen"] - account["paid_out_fen"])
    return {"balanced": balanced, "paid_out_fen": account["paid_out_fen"],
            "reserved_fen": account["reserved_fen"], "bank_settled_fen": settled_fen}


async def chain(cluster: Cluster) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=cluster.url("oversight"), timeout=600) as http:
        verdict: dict[str, Any] = (await http.get("/audit/verify", headers=AUDITOR)).json()
    return verdict


async def findings(env: Environment) -> list[dict[str, Any]]:
    # one finding's reason and evidence with each count: what to look at when it is not 0
    rows = await env.fetch("oversight", "SELECT category, rule, count(*) AS n,"
                           " min(reason) AS reason, (array_agg(evidence))[1] AS evidence"
                           " FROM findings GROUP BY category, rule")
    return [dict(r) for r in rows]


def dead_letters(env: Environment) -> dict[str, int]:
    listed = _ctl(env, "list_queues", "-p", env.name, "name", "messages", "--quiet",
                  "--no-table-headers")
    queues = {dead_letter_queue_of(s): s for s in SERVICES}
    found = {}
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0] in queues:
            found[queues[parts[0]]] = int(parts[1])
    return found


def recovery(records: list[Record]) -> dict[str, Any]:
    times = [r.recovered_s for r in records if r.recovered_s is not None]
    return {"max_s": max(times, default=None),
            "median_s": round(statistics.median(times), 2) if times else None,
            "unrecovered": sum(1 for r in records if r.landed and r.recovered_s is None)}


def recovery_by_kind(records: list[Record]) -> dict[str, dict[str, Any]]:
    """`recovery` of each kind of fault."""
    kinds = sorted({r.kind for r in records})
    return {kind: {"injected": sum(1 for r in records if r.kind == kind),
                   **recovery([r for r in records if r.kind == kind])} for kind in kinds}
