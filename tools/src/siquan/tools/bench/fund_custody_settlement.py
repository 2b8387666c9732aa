"""How long fund custody takes to settle one chunk of a province's payment run.

A province's monthly run is ~1,000,000 payments reported in ~200 `payments.settled.v1`
chunks of ~5,000. On a throwaway database (fund custody's migrations, created and dropped
here) this funds a special account, approves a run, then for each chunk measures

- `parse_ms`: the chunk's JSON body read into its contract (what the consumer does before
  any handler runs),
- `handle_ms`: fund custody's handler in a unit of work of its own, commit included
  (and how many statements the handler sends: the same for 5 payments or 5,000),

and finally the run's completion. `baseline_ms` is the same machine's cost of a unit of
work that inserts one row and commits, so `handle_ms / baseline_ms` compares across
machines.

    python -m siquan.tools.bench.fund_custody_settlement [--chunks 20] [--payments 5000]

Reads `SIQUAN_PG_DSN` (an administrator's DSN; default the local server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    PaymentRunCompleted,
    PaymentsSettled,
)
from siquan.fund_custody.adapters.unit_of_work import FundCustodyWork
from siquan.fund_custody.app import MIGRATIONS
from siquan.fund_custody.application.allocations import allocate_to_run
from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.application.settlement import pay_settled_chunk, settle_run
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.clock import SystemClock
from siquan.shared.database import create_pool, migrate
from siquan.shared.outbox import Outbox
from siquan.shared.unit_of_work import UnitsOfWork

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
KEY = AccountKey("special_assistance", 2026, "420117")
PER_PAYMENT_FEN = 21_000
TREASURER = Officer(id="treasury-420117-01", name="bench", roles=("treasury_officer",),
                    division="420117", token_sha256="0" * 64)


@asynccontextmanager
async def throwaway_database(admin_dsn: str) -> AsyncIterator[str]:
    """A database of its own (`siquan_t_bench_fc_…`), dropped afterwards; its DSN."""
    name = f"siquan_t_bench_fc_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_dsn.rsplit("/", 1)[0] + "/" + name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def chunk_body(run_id: str, chunk: int, payments: int) -> bytes:
    """A settled chunk as disbursement sends it (no real person behind the keys)."""
    return json.dumps({
        "run_id": run_id, "program_code": KEY.program_code, "period": "2026-11",
        "division_code": KEY.division_code, "chunk": chunk,
        "payments": [{"payment_id": f"{run_id}:{chunk}:{i}", "person_key": f"{i:064x}",
                      "certification_id": f"c-{chunk}-{i}", "item": "benefit",
                      "amount_fen": PER_PAYMENT_FEN, "bank_reference": f"B{chunk}-{i}"}
                     for i in range(payments)]}).encode()


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def measure(*, chunks: int = 20, payments: int = 5_000,
                  admin_dsn: str = ADMIN_DSN) -> dict[str, Any]:
    """Settle `chunks` chunks of `payments` payments; the figures, in milliseconds."""
    async with throwaway_database(admin_dsn) as dsn:
        await migrate(dsn, MIGRATIONS)
        pool = await create_pool(dsn, max_size=2)
        try:
            clock = SystemClock()
            units = UnitsOfWork(lambda: pool, Outbox("fund_custody",
                                                     Ed25519PrivateKey.generate(),
                                                     clock=clock), clock, FundCustodyWork)
            return await _settle_a_run(units, pool, chunks, payments)
        finally:
            await pool.close()


async def _settle_a_run(units: UnitsOfWork[FundCustodyWork], pool: asyncpg.Pool,
                        chunks: int, payments: int) -> dict[str, Any]:
    total = chunks * payments * PER_PAYMENT_FEN
    run_id = str(uuid.uuid4())
    async with units() as uow:
        await record_appropriation(uow, TREASURER, RecordAppropriation(KEY, "central", total))
    async with units() as uow:
        await allocate_to_run(AllocationRequested(
            run_id=run_id, program_code=KEY.program_code, fiscal_year=KEY.fiscal_year,
            period="2026-11", division_code=KEY.division_code,
            payee_count=chunks * payments, total_fen=total), uow)
    baseline = [await timed(partial(_one_row, pool)) for _ in range(20)]
    parse: list[float] = []
    handle: list[float] = []
    statements: list[int] = []
    for n in range(chunks):
        body = chunk_body(run_id, n, payments)
        started = time.perf_counter()
        event = PaymentsSettled.model_validate_json(body)
        parse.append((time.perf_counter() - started) * 1000)
        handle.append(await timed(partial(_in_unit, units, pay_settled_chunk, event,
                                          statements)))
    completion = await timed(partial(_in_unit, units, settle_run, PaymentRunCompleted(
        run_id=run_id, program_code=KEY.program_code, period="2026-11",
        division_code=KEY.division_code, payee_count=chunks * payments, total_fen=total,
        settled_count=chunks * payments, settled_fen=total, failed_count=0, failed_fen=0,
        settled_chunks=chunks, failed_chunks=0)))
    return {"benchmark": "fund_custody_settlement", "chunks": chunks,
            "payments_per_chunk": payments, "baseline_ms": _summary(baseline),
            "parse_ms": _summary(parse), "handle_ms": _summary(handle),
            "handler_statements_per_chunk": max(statements),
            "completion_ms": round(completion, 2),
            "handle_over_baseline": round(statistics.median(handle)
                                          / statistics.median(baseline), 1)}


async def _in_unit(units: UnitsOfWork[FundCustodyWork],
                   handler: Callable[[Any, FundCustodyWork], Awaitable[None]],
                   event: Any, statements: list[int] | None = None) -> None:
    """Handle one event in a unit of work; count the statements it sent if asked."""
    queries: list[str] = []

    def count(query: Any) -> None:
        queries.append(query.query)

    async with units() as uow:
        uow.conn.add_query_logger(count)
        try:
            await handler(event, uow)
        finally:
            uow.conn.remove_query_logger(count)
    if statements is not None:
        statements.append(len(queries))


async def _one_row(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():  # the raw baseline, on purpose
        await conn.execute("INSERT INTO inbox (consumer, message_id, message_type)"
                           " VALUES ('bench', $1, 'bench')", uuid.uuid4())


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "max": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--payments", type=int, default=5_000)
    args = parser.parse_args()
    result = asyncio.run(measure(chunks=args.chunks, payments=args.payments,
                                 admin_dsn=os.environ.get("SIQUAN_PG_DSN", ADMIN_DSN)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
