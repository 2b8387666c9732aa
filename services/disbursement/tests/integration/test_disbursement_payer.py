"""The payer in-process against real databases: the window between the bank recording a
transfer and disbursement recording the result, and the re-check before the bank."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced
from siquan.contracts.types import gb11643_check_digit
from siquan.disbursement.adapters import facts, runs
from siquan.disbursement.adapters.simulated_bank import SimulatedBank
from siquan.disbursement.app import MIGRATIONS
from siquan.disbursement.application.accounts import register_payee_account
from siquan.disbursement.application.payer import Payer
from siquan.disbursement.application.ports import BankResult, BankReturn, PaymentInstruction
from siquan.disbursement.application.runs import start_run
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.shared.auth import Officer
from siquan.shared.database import create_pool, migrate
from siquan.shared.outbox import Outbox
from siquan.shared.person import person_key
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment

SECRET = "payer-tests"
PERIOD = "2031-05"
OFFICER = Officer(id="disburser-420117-01", name="test", roles=("disbursement_officer",),
                  division="420117", token_sha256="0" * 64)


class CrashAfterTheBank:
    """The real bank, but the payer 'dies' right after the bank recorded the transfers."""

    def __init__(self, bank: SimulatedBank) -> None:
        self.bank = bank

    async def open(self) -> None:
        await self.bank.open()

    async def close(self) -> None:
        await self.bank.close()

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        await self.bank.instruct(batch, instructions)
        raise ConnectionError("payer lost before recording the bank's answer")

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        return await self.bank.results(payment_ids)

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        return await self.bank.returns(after, through)


@dataclass
class Setup:
    pool: asyncpg.Pool
    outbox: Outbox
    bank: SimulatedBank

    def payer(self, bank: object | None = None) -> Payer:
        return Payer(self.pool, self.outbox, bank or self.bank,  # type: ignore[arg-type]
                     chunk_size=10, poll_seconds=0.1)

    async def certify_and_register(self, n: int) -> CertificationGranted:
        first17 = f"42011719500101{n:03d}"
        resident = first17 + gb11643_check_digit(first17)
        event = CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code="special_assistance", category="death", policy_version="wuhan-2012",
            person_key=person_key(SECRET, resident), masked_name="李*",
            masked_resident_id="4201**********0000", division_code="420117",
            effective_from=date(2020, 1, 1), reviewed_by="r", approved_by="a",
            approved_at=datetime.now(UTC))
        async with self.pool.acquire() as conn:
            await facts.add_certification(conn, event)
        await register_payee_account(self.pool, self.outbox, OFFICER, secret=SECRET,
                                     resident_id=resident, bank_code="102",
                                     account_number=f"6222020000{n:04d}1234",
                                     division_code="420117", now=datetime.now(UTC))
        return event

    async def allocated_run(self) -> PaymentRun:
        run = (await start_run(self.pool, self.outbox, OFFICER,
                               program_code="special_assistance", period=PERIOD,
                               division_code="420117", now=datetime.now(UTC))).run
        async with self.pool.acquire() as conn:
            run.allocate(allocation_id="a-1", program_code=run.program_code, period=PERIOD,
                         division_code=run.division_code, amount_fen=run.total_fen)
            await runs.save(conn, run)
        return run

    async def payment_ids(self, person: str | None = None) -> list[str]:
        rows = await self.pool.fetch("SELECT payment_id::text FROM payments"
                                     " WHERE $1::text IS NULL OR person_key = $1", person)
        return [r["payment_id"] for r in rows]

    async def statuses(self, run_id: str) -> list[tuple[str, str]]:
        rows = await self.pool.fetch("SELECT status, reason FROM payments WHERE run_id = $1"
                                     " ORDER BY status", run_id)
        return [(r["status"], r["reason"]) for r in rows]


@pytest.fixture
async def setup(env: Environment) -> AsyncIterator[Setup]:
    await migrate(env.pg_dsn("disbursement"), MIGRATIONS)
    pool = await create_pool(env.pg_dsn("disbursement"))
    bank = SimulatedBank(env.bank_dsn)
    await bank.open()
    try:
        yield Setup(pool, Outbox("disbursement",
                                 load_private_key(env.keys_dir / "disbursement.key")), bank)
    finally:
        await bank.close()
        await pool.close()


async def test_transfers_the_bank_recorded_before_a_crash_are_taken_from_the_bank(
        setup: Setup) -> None:
    granted = await setup.certify_and_register(1)
    run = await setup.allocated_run()
    with pytest.raises(ConnectionError):
        await setup.payer(CrashAfterTheBank(setup.bank)).pay_chunk(run.id)
    assert await setup.statuses(run.id) == [("pending", "")]
    # Revoked meanwhile: the re-check would cancel it, but the bank already paid it.
    async with setup.pool.acquire() as conn:
        await facts.add_revocation(conn, CertificationRevoked(
            certification_id=granted.certification_id, program_code="special_assistance",
            person_key=granted.person_key, division_code="420117",
            effective_from=date(2031, 1, 1), reason="death", revoked_by="x"))

    payer = setup.payer()
    assert await payer.pay_chunk(run.id) and await payer.complete(run.id)

    assert await setup.statuses(run.id) == [("settled", "")]
    assert [r.outcome for r in await setup.bank.results(await setup.payment_ids())] == [
        "settled"]


async def test_a_payment_whose_payee_was_held_since_the_run_started_is_cancelled(
        setup: Setup) -> None:
    held = await setup.certify_and_register(1)
    await setup.certify_and_register(2)
    run = await setup.allocated_run()
    async with setup.pool.acquire() as conn:
        await facts.place_hold(conn, HoldPlaced(hold_id=str(uuid.uuid4()),
                                                person_key=held.person_key, program_code=None,
                                                reason="complaint", placed_by="auditor"))

    payer = setup.payer()
    assert await payer.pay_chunk(run.id) and await payer.complete(run.id)

    assert await setup.statuses(run.id) == [
        ("cancelled", "payments to this person are on hold"), ("settled", "")]
    totals = await setup.pool.fetchrow("SELECT status FROM payment_runs WHERE run_id = $1",
                                       run.id)
    assert totals is not None and totals["status"] == "completed"
    assert await setup.bank.results(await setup.payment_ids(held.person_key)) == []


async def test_a_lifted_hold_no_longer_blocks_payment_even_if_the_lift_arrived_first(
        setup: Setup) -> None:
    lifted_late = await setup.certify_and_register(1)
    lifted_early = await setup.certify_and_register(2)
    holds = {p.person_key: str(uuid.uuid4()) for p in (lifted_late, lifted_early)}
    place = {key: HoldPlaced(hold_id=hold_id, person_key=key, program_code=None,
                             reason="complaint", placed_by="auditor")
             for key, hold_id in holds.items()}
    lift = {key: HoldLifted(hold_id=hold_id, person_key=key, reason="unfounded",
                            lifted_by="auditor", lifted_at=datetime.now(UTC))
            for key, hold_id in holds.items()}
    async with setup.pool.acquire() as conn:
        await facts.place_hold(conn, place[lifted_late.person_key])
        await facts.lift_hold(conn, lift[lifted_late.person_key])
        await facts.lift_hold(conn, lift[lifted_early.person_key])
        await facts.place_hold(conn, place[lifted_early.person_key])

    run = await setup.allocated_run()

    assert (run.payee_count, run.total_fen) == (2, 42_000)
