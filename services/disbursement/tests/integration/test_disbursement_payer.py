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
from siquan.contracts.fund_custody_v1 import SettlementCompleted
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced
from siquan.contracts.types import gb11643_check_digit
from siquan.disbursement.adapters.simulated_bank import SimulatedBank
from siquan.disbursement.adapters.unit_of_work import DisbursementWork
from siquan.disbursement.app import MIGRATIONS
from siquan.disbursement.application import allocations, facts
from siquan.disbursement.application.accounts import (
    RegisterPayeeAccount,
    register_payee_account,
)
from siquan.disbursement.application.payer import complete_run, pay_chunk
from siquan.disbursement.application.ports import (
    Bank,
    BankResult,
    BankReturn,
    PaymentInstruction,
)
from siquan.disbursement.application.runs import StartPaymentRun, start_run
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer
from siquan.shared.clock import FixedClock, SystemClock
from siquan.shared.database import create_pool, migrate
from siquan.shared.outbox import Outbox
from siquan.shared.person import person_key
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment
from siquan.shared.unit_of_work import UnitsOfWork

SECRET = "payer-tests"
PERIOD = "2031-05"
OFFICER = Officer(id="disburser-420117-01", name="test", roles=("disbursement_officer",),
                  division="420117", token_sha256="0" * 64)


class BankBetween:
    """The real bank, reached through a test's hands."""

    def __init__(self, bank: SimulatedBank) -> None:
        self.bank = bank

    async def open(self) -> None:
        await self.bank.open()

    async def close(self) -> None:
        await self.bank.close()

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        return await self.bank.instruct(batch, instructions)

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        return await self.bank.results(payment_ids)

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        return await self.bank.returns(after, through)


class CrashAfterTheBank(BankBetween):
    """The real bank, but the payer 'dies' right after the bank recorded the transfers."""

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        await self.bank.instruct(batch, instructions)
        raise ConnectionError("payer lost before recording the bank's answer")


class NamesInstructed(BankBetween):
    """The real bank, noting the holder's name each instruction gives."""

    def __init__(self, bank: SimulatedBank) -> None:
        super().__init__(bank)
        self.names: dict[str, str] = {}

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        self.names.update((i.payment_id, i.account_name) for i in instructions)
        return await self.bank.instruct(batch, instructions)


@dataclass
class Setup:
    pool: asyncpg.Pool
    units: UnitsOfWork[DisbursementWork]
    bank: SimulatedBank
    outbox: Outbox

    async def pay_chunk(self, run_id: str, bank: Bank | None = None) -> bool:
        async with self.units(correlation_id=run_id) as uow:
            return await pay_chunk(uow, bank or self.bank, run_id)

    async def complete(self, run_id: str) -> bool:
        async with self.units(correlation_id=run_id) as uow:
            return await complete_run(uow, run_id)

    async def certify_and_register(self, n: int, name: str = "") -> CertificationGranted:
        first17 = f"42011719500101{n:03d}"
        key = person_key(SECRET, first17 + gb11643_check_digit(first17))
        event = CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code="special_assistance", category="death", policy_version="wuhan-2012",
            person_key=key, masked_name="李*",
            masked_resident_id="4201**********0000", division_code="420117",
            effective_from=date(2020, 1, 1), reviewed_by="r", approved_by="a",
            approved_at=datetime.now(UTC))
        async with self.units() as uow:
            await facts.keep_certification(event, uow)
            await register_payee_account(RegisterPayeeAccount(
                OFFICER, key, PayeeAccount("102", f"6222020000{n:04d}1234", name)), uow)
        return event

    async def allocated_run(self) -> PaymentRun:
        async with self.units() as uow:
            run = (await start_run(StartPaymentRun(OFFICER, "special_assistance", PERIOD,
                                                   "420117"), uow)).run
            run.allocate(allocation_id="a-1", program_code=run.program_code, period=PERIOD,
                         division_code=run.division_code, amount_fen=run.total_fen)
            await uow.runs.save(run)
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
    outbox = Outbox("disbursement", load_private_key(env.keys_dir / "disbursement.key"))
    try:
        yield Setup(pool, UnitsOfWork(lambda: pool, outbox, SystemClock(), DisbursementWork),
                    bank, outbox)
    finally:
        await bank.close()
        await pool.close()


async def test_transfers_the_bank_recorded_before_a_crash_are_taken_from_the_bank(
        setup: Setup) -> None:
    granted = await setup.certify_and_register(1)
    run = await setup.allocated_run()
    with pytest.raises(ConnectionError):
        await setup.pay_chunk(run.id, CrashAfterTheBank(setup.bank))
    assert await setup.statuses(run.id) == [("pending", "")]
    # Revoked meanwhile: the re-check would cancel it, but the bank already paid it.
    async with setup.units() as uow:
        await facts.end_revoked_certification(CertificationRevoked(
            certification_id=granted.certification_id, program_code="special_assistance",
            person_key=granted.person_key, division_code="420117",
            effective_from=date(2031, 1, 1), reason="death", revoked_by="x"), uow)

    assert await setup.pay_chunk(run.id) and await setup.complete(run.id)

    assert await setup.statuses(run.id) == [("settled", "")]
    assert [r.outcome for r in await setup.bank.results(await setup.payment_ids())] == [
        "settled"]


async def test_a_payment_whose_payee_was_held_since_the_run_started_is_cancelled(
        setup: Setup) -> None:
    held = await setup.certify_and_register(1)
    await setup.certify_and_register(2)
    run = await setup.allocated_run()
    async with setup.units() as uow:
        await facts.place_hold(HoldPlaced(hold_id=str(uuid.uuid4()),
                                          person_key=held.person_key, program_code=None,
                                          reason="complaint", placed_by="auditor"), uow)

    assert await setup.pay_chunk(run.id) and await setup.complete(run.id)

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
    async with setup.units() as uow:
        await facts.place_hold(place[lifted_late.person_key], uow)
        await facts.lift_hold(lift[lifted_late.person_key], uow)
        await facts.lift_hold(lift[lifted_early.person_key], uow)
        await facts.place_hold(place[lifted_early.person_key], uow)

    run = await setup.allocated_run()

    assert (run.payee_count, run.total_fen) == (2, 42_000)


async def test_a_chunks_results_and_the_funds_settlement_are_recorded_at_the_services_time(
        setup: Setup) -> None:
    """The payer's and the settlement's record times are the service's clock (a deployment's
    is the system's; a drill's or a test's may be set), not the database server's."""
    await setup.certify_and_register(2)
    run = await setup.allocated_run()
    at = datetime(2031, 6, 3, 2, 30, tzinfo=UTC)
    units = UnitsOfWork(lambda: setup.pool, setup.outbox, FixedClock(at), DisbursementWork)
    async with units(correlation_id=run.id) as uow:
        assert await pay_chunk(uow, setup.bank, run.id)
    async with units() as uow:
        await allocations.record_settlement(SettlementCompleted(
            run_id=run.id, program_code=run.program_code, period=PERIOD,
            division_code=run.division_code, reserved_fen=run.total_fen,
            paid_fen=run.total_fen, released_fen=0, available_fen=0), uow)
    finished = await setup.pool.fetch(
        "SELECT r.finished_at FROM payment_results r JOIN payments p USING (payment_id)"
        " WHERE p.run_id = $1", run.id)
    assert [r["finished_at"] for r in finished] == [at]
    assert await setup.pool.fetchval("SELECT done_at FROM payment_chunks WHERE run_id = $1",
                                     run.id) == at
    assert await setup.pool.fetchval("SELECT fund_settled_at FROM payment_runs"
                                     " WHERE run_id = $1", run.id) == at


async def test_the_bank_is_given_the_holders_name_the_order_was_written_with(
        setup: Setup) -> None:
    """A payment order names the holder as its account was registered when it was
    written: a corrected name registered since, still waiting for the checker, does not
    reach the bank (the next run pays under it once confirmed)."""
    named = await setup.certify_and_register(1, "朱镕基")
    await setup.certify_and_register(2)
    run = await setup.allocated_run()
    async with setup.units() as uow:
        corrected = await register_payee_account(RegisterPayeeAccount(
            OFFICER, named.person_key, PayeeAccount("102", "622202000000011234",
                                                    "阿卜杜热合曼·买买提")), uow)
    assert corrected.awaiting_confirmation
    bank = NamesInstructed(setup.bank)

    assert await setup.pay_chunk(run.id, bank) and await setup.complete(run.id)

    assert sorted(bank.names.values()) == ["", "朱镕基"]
    assert await setup.statuses(run.id) == [("settled", ""), ("settled", "")]
