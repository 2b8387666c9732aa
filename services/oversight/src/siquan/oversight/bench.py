"""Oversight's ingestion benchmark: how fast events enter the chained audit log with every
rule run on them, and how far oversight trails a province's payment run.

Oversight runs as its own process on a fresh environment (vhost, database, keys). The
benchmark then
1. publishes `--events` certification grants (signed as eligibility) and measures the
   sustained rate from the first publish to the last entry logged;
2. seeds oversight with the run's certifications (as if their grants had been logged
   earlier: one COPY, not timed), then publishes a run of `--payments` payments as
   disbursement and fund custody would: run.started, allocation.requested,
   allocation.approved, `payments.settled.v1` chunks of `--chunk` payments, run.completed
   and settlement.completed, each signed with its producer's key, with publisher confirms
   awaited in windows (aio-pika); it measures the payments/s and the lag from the last
   publish to the last entry logged.
It prints JSON, with oversight's peak RSS and whether any finding was raised (a clean run
must raise none). Bounded by `--timeout` per phase.

    uv run python -m siquan.oversight.bench [--payments 1000000] [--chunk 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.policy import load_catalogue
from siquan.contracts.topology import exchange_of
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import free_port, peak_rss_mib

PROGRAM, PERIOD, DIVISION, CATEGORY = "special_assistance", "2026-11", "420117", "death"
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def _key(kind: str, n: int) -> str:
    return hashlib.sha256(f"{kind}:{n}".encode()).hexdigest()


def _cert_id(n: int) -> str:
    return str(uuid.UUID(_key("cert", n)[:32]))


class Publisher:
    """Signs events as their producers and publishes them with confirms in windows."""

    def __init__(self, env: Environment, window: int) -> None:
        self._env, self._window = env, window
        self._outboxes: dict[str, Outbox] = {}
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self._pending: list[asyncio.Future[Any]] = []
        self._connections: list[aio_pika.abc.AbstractRobustConnection] = []

    async def _exchange(self, producer: str) -> aio_pika.abc.AbstractExchange:
        if producer not in self._exchanges:
            connection = await aio_pika.connect_robust(self._env.amqp_url(producer))
            self._connections.append(connection)
            channel = await connection.channel(publisher_confirms=True)
            self._exchanges[producer] = await channel.get_exchange(exchange_of(producer),
                                                                   ensure=False)
            self._outboxes[producer] = Outbox(producer, load_private_key(
                self._env.keys_dir / f"{producer}.key"))
        return self._exchanges[producer]

    async def publish(self, event: Event, correlation_id: str) -> None:
        exchange = await self._exchange(event.producer)
        message_id = new_message_id()
        headers, body = self._outboxes[event.producer].envelope(
            event, message_id=message_id, correlation_id=correlation_id, causation_id=None)
        self._pending.append(asyncio.ensure_future(exchange.publish(aio_pika.Message(
            body, headers=dict(headers), message_id=message_id, type=event.routing_key,
            content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.routing_key)))
        if len(self._pending) >= self._window:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)

    async def close(self) -> None:
        await self.flush()
        for connection in self._connections:
            await connection.close()


def _grant(n: int, kind: str) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category=CATEGORY, policy_version="bench",
        person_key=_key(kind, n), masked_name="王*", masked_resident_id="4201**********0011",
        division_code=DIVISION, effective_from=date(2026, 1, 1),
        reviewed_by="reviewer-420117-01", approved_by="approver-420117-01", approved_at=NOW)


def _chunks(run: dict[str, str], payments: int, size: int, amount: int
            ) -> Iterator[disbursement.PaymentsSettled]:
    for chunk, start in enumerate(range(0, payments, size)):
        yield disbursement.PaymentsSettled(chunk=chunk, payments=tuple(
            disbursement.SettledPayment(
                payment_id=str(uuid.uuid4()), person_key=_key("person", n),
                certification_id=_cert_id(n), item="benefit", amount_fen=amount,
                bank_reference=f"B{n:09d}") for n in range(start, min(start + size, payments))),
            **run)


def _run_events(payments: int, size: int, amount: int) -> Iterable[Event]:
    run = {"run_id": str(uuid.uuid4()), "program_code": PROGRAM, "period": PERIOD,
           "division_code": DIVISION}
    total = payments * amount
    yield disbursement.PaymentRunStarted(payee_count=payments, total_fen=total, skipped=(),
                                         started_by="disburser-420117-01", **run)
    yield disbursement.AllocationRequested(fiscal_year=2026, payee_count=payments,
                                           total_fen=total, **run)
    yield fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=total,
                                          available_fen=0, **run)
    yield from _chunks(run, payments, size, amount)
    yield disbursement.PaymentRunCompleted(payee_count=payments, total_fen=total,
                                           settled_count=payments, settled_fen=total,
                                           failed_count=0, failed_fen=0, **run)
    yield fund_custody.SettlementCompleted(reserved_fen=total, paid_fen=total, released_fen=0,
                                           available_fen=0, **run)


async def _seed_certifications(conn: asyncpg.Connection, payments: int) -> None:
    """The run's certifications, as if their grants had been logged before the run."""
    rows = ((_cert_id(n), None, _key("person", n), PROGRAM, CATEGORY, DIVISION,
             date(2026, 1, 1), "reviewer-420117-01", "approver-420117-01", NOW,
             uuid.uuid4()) for n in range(payments))
    await conn.copy_records_to_table(
        "watched_certifications", records=rows,
        columns=["certification_id", "application_id", "person_key", "program_code",
                 "category", "division_code", "effective_from", "reviewed_by", "approved_by",
                 "approved_at", "message_id"])
    await conn.execute("ANALYZE watched_certifications")


async def _logged(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT seq FROM audit_chain_head"))


async def _until_logged(conn: asyncpg.Connection, target: int, timeout: float) -> float:
    """When the chain head reached `target` (monotonic seconds)."""
    deadline = time.monotonic() + timeout
    while await _logged(conn) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await _logged(conn)} of {target} entries logged")
        await asyncio.sleep(0.05)
    return time.monotonic()


@contextmanager
def _oversight(env: Environment, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    variables = {**os.environ, **env.service_env("oversight", port=port),
                 "SIQUAN_CHECKPOINT_SECONDS": "3600",
                 "SIQUAN_RECONCILIATION_GRACE_SECONDS": "86400"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "siquan.oversight"], env=variables,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oversight did not start; see {log}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@asynccontextmanager
async def _database(env: Environment) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        yield conn
    finally:
        await conn.close()


async def _events_phase(env: Environment, conn: asyncpg.Connection, events: int,
                        window: int, timeout: float) -> dict[str, Any]:
    publisher, start_seq = Publisher(env, window), await _logged(conn)
    started = time.monotonic()
    for n in range(events):
        await publisher.publish(_grant(n, "grant"), "bench-events")
    await publisher.close()
    published = time.monotonic()
    done = await _until_logged(conn, start_seq + events, timeout)
    return {"events": events, "publish_s": round(published - started, 3),
            "events_per_s": round(events / (done - started), 1),
            "lag_after_last_publish_s": round(done - published, 3)}


async def _run_phase(env: Environment, conn: asyncpg.Connection, payments: int, size: int,
                     window: int, timeout: float) -> dict[str, Any]:
    amount = load_catalogue().amount_for(PROGRAM, CATEGORY, PERIOD, DIVISION)
    await _seed_certifications(conn, payments)
    publisher, start_seq = Publisher(env, window), await _logged(conn)
    started, messages = time.monotonic(), 0
    for event in _run_events(payments, size, amount):  # built as published, like a payer
        await publisher.publish(event, "bench-run")
        messages += 1
    await publisher.close()
    published = time.monotonic()
    done = await _until_logged(conn, start_seq + messages, timeout)
    stored = await conn.fetchval("SELECT count(*) FROM settled_payments")
    return {"payments": payments, "chunk": size, "messages": messages,
            "publish_s": round(published - started, 3),
            "payments_per_s": round(payments / (done - started), 1),
            "messages_per_s": round(messages / (done - started), 1),
            "lag_after_last_publish_s": round(done - published, 3),
            "settled_payments_stored": int(stored)}


async def _measure(env: Environment, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    async with _database(env) as conn:
        ingest = await _events_phase(env, conn, args.events, args.window, args.timeout)
        run = await _run_phase(env, conn, args.payments, args.chunk, args.chunk_window,
                               args.timeout)
        findings = await conn.fetch("SELECT rule, count(*) AS n FROM findings GROUP BY rule")
    return {"benchmark": "oversight_ingestion", "sustained": ingest, "payment_run": run,
            "findings": {row["rule"]: row["n"] for row in findings},
            "oversight_peak_rss_mib": peak_rss_mib(pid)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=1000,
                        help="publisher confirms outstanding for small events")
    parser.add_argument("--chunk-window", type=int, default=20,
                        help="publisher confirms outstanding for payment chunks")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per phase")
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    env = Environment.fresh(args.out.resolve(), prefix="siquan_obench")
    env.provision()
    try:
        with _oversight(env, args.out / env.name / "oversight.log") as process:
            result = asyncio.run(_measure(env, process.pid, args))
    finally:
        env.teardown()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
