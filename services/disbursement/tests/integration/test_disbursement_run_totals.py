"""A run's totals added up from its chunks' tallies are the totals its payments give, on
generated runs against a real PostgreSQL: chunks recorded or not yet, payments settled,
failed, cancelled, set apart for the bank's correction (and answered by a chunk of their
own), settled ones returned later. The reference counts every payment of the run through
the `payments` view, as the totals were read before chunks kept tallies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siquan.disbursement.adapters.unit_of_work import DisbursementWork
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.domain.chunk import Outcome
from siquan.disbursement.domain.payment_run import PaymentRun, RunTotals
from siquan.disbursement.domain.roster import PayeeAccount, PlannedPayment
from siquan.shared.clock import FixedClock
from siquan.shared.outbox import Outbox

from .conftest import in_rolled_back_transaction

PROGRAM, DIVISION, PERIOD = "special_assistance", "420117", "2026-06"
RUN = "00000000-0000-4000-8000-000000000001"
NOW = datetime(2026, 6, 20, 9, tzinfo=UTC)
FATES = ("settled", "failed", "cancelled", "disputed")

# the totals as the run's payments give them, one pass over the run (the reference)
REFERENCE = """
SELECT p.status, p.chunk, count(*) AS n, sum(p.amount_fen) AS fen
  FROM payments p WHERE p.run_id = $1 GROUP BY p.status, p.chunk
"""


async def reference(conn: asyncpg.Connection) -> tuple[RunTotals, int, int]:
    values = {f"{s}_{w}": 0 for w in ("count", "fen")
              for s in ("settled", "failed", "cancelled", "pending", "returned")}
    settled, failed = set(), set()
    for r in await conn.fetch(REFERENCE, RUN):
        values[f"{r['status']}_count"] += r["n"]
        values[f"{r['status']}_fen"] += r["fen"]
        if r["status"] in ("settled", "returned"):
            settled.add(r["chunk"])
        elif r["status"] == "failed":
            failed.add(r["chunk"])
    return RunTotals(**values), len(settled), len(failed)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=12),
       chunk_size=st.integers(1, 4), fates=st.lists(st.sampled_from(FATES), max_size=16),
       recorded=st.integers(0, 8), returned=st.sets(st.integers(0, 11)))
def test_a_runs_totals_from_its_chunks_are_those_of_its_payments(
        database: str, amounts: list[int], chunk_size: int, fates: list[str], recorded: int,
        returned: set[int]) -> None:
    async def check(conn: asyncpg.Connection) -> None:
        uow = DisbursementWork(conn, Outbox("disbursement", Ed25519PrivateKey.generate()),
                               FixedClock(NOW))
        await uow.runs.add(PaymentRun(
            id=RUN, program_code=PROGRAM, period=PERIOD, division_code=DIVISION,
            policy_version="wuhan-2012", payee_count=len(amounts), total_fen=sum(amounts),
            started_by="x", started_at=NOW - timedelta(days=1)),
            skipped=(), flags=(), arrears_count=0, arrears_fen=0)
        await conn.execute("UPDATE payment_runs SET status = 'allocated', allocation_id = 'a'"
                           " WHERE run_id = $1",
                           RUN)
        await uow.payments.add(RUN, PROGRAM, [PlannedPayment(
            f"cert-{n}", f"k{n:03d}", PERIOD, fen,
            PayeeAccount("102", f"62220200{n:06d}00001"), certified_from=date(2026, 1, 1))
            for n, fen in enumerate(amounts)], chunk_size)
        assert await uow.payments.totals_with_chunks(RUN) == await reference(conn)
        fate = iter(fates * 3)
        aside: list[int] = []
        for _ in range(recorded):
            chunk = await uow.payments.claim_chunk(RUN, aside)
            if chunk is None:
                break
            outcomes: dict[str, Outcome] = {}
            disputed = set()
            for p in chunk.payments:
                status = next(fate, "settled")
                if status == "disputed":
                    disputed.add(p.payment_id)
                else:
                    outcomes[p.payment_id] = Outcome(
                        status, "" if status == "settled" else "refused",
                        f"R-{p.payment_id}" if status == "settled" else None)
            if not outcomes:  # the payer sets such a chunk aside whole, recording nothing
                aside.append(chunk.number)
                continue
            await uow.payments.record(chunk, outcomes, NOW, disputed=disputed)
            assert await uow.payments.totals_with_chunks(RUN) == await reference(conn)
        settled = await conn.fetch(
            "SELECT payment_id::text, amount_fen FROM payments WHERE run_id = $1"
            " AND status = 'settled' ORDER BY payment_id", RUN)
        backs = [BankReturn(r["payment_id"], f"R-{r['payment_id']}", r["amount_fen"],
                            "account closed", date(2026, 6, 25))
                 for n, r in enumerate(settled) if n in returned]
        if backs:
            assert len(await uow.payments.mark_returned(backs)) == len(backs)
            assert not await uow.payments.mark_returned(backs)  # returned once
        totals = await uow.payments.totals_with_chunks(RUN)
        assert totals == await reference(conn)
        assert totals[0].returned_count == len(backs)
        assert totals[0].final_count + totals[0].pending_count == len(amounts)

    in_rolled_back_transaction(database, check)
