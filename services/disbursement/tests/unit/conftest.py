"""Disbursement's handlers on the in-memory twins: a store, units of work on it, a bank, a
clock that stands still, and the peers' events as they would arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.fund_custody_v1 import AllocationApproved
from siquan.disbursement.adapters.memory import FakeDisbursementWork, FakeUnits
from siquan.disbursement.adapters.memory_bank import MemoryBank
from siquan.disbursement.adapters.memory_store import MemoryStore
from siquan.disbursement.application import accounts, allocations, facts, runs
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer
from siquan.shared.clock import FixedClock

PROGRAM, DIVISION, PERIOD = "special_assistance", "420117", "2026-05"
OFFICER = Officer(id="disburser-420117-01", name="test", roles=("disbursement_officer",),
                  division="420117", token_sha256="0" * 64)
CHECKER = Officer(id="disburser-420117-02", name="test", roles=("disbursement_officer",),
                  division="420117", token_sha256="1" * 64)


def person(n: int) -> str:
    return f"{n:064x}"


def account_of(n: int) -> str:
    return f"62220200{n:011d}"


def granted(n: int, category: str = "death", *, starts: date = date(2026, 1, 1),
            certification_id: str | None = None) -> CertificationGranted:
    return CertificationGranted(
        certification_id=certification_id or f"cert-{n}", application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category=category, policy_version="wuhan-2012",
        person_key=person(n), masked_name="张**", masked_resident_id="4201**********0001",
        division_code=DIVISION, effective_from=starts, reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime(2025, 12, 1, tzinfo=UTC))


def approval(run: PaymentRun, *, amount_fen: int | None = None,
             allocation_id: str = "alloc-1") -> AllocationApproved:
    return AllocationApproved(
        allocation_id=allocation_id, run_id=run.id, program_code=run.program_code,
        period=run.period, division_code=run.division_code,
        amount_fen=run.total_fen if amount_fen is None else amount_fen,
        available_fen=10_000_000)


class UnitWorld:
    """What the unit tests arrange with: the peers' facts, accounts, runs (test modules
    reach the helpers through it)."""

    officer, checker, program, division, period = OFFICER, CHECKER, PROGRAM, DIVISION, PERIOD
    person = staticmethod(person)
    account_of = staticmethod(account_of)
    granted = staticmethod(granted)
    approval = staticmethod(approval)

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 6, 3, 9, tzinfo=UTC))
        self.store = MemoryStore()
        self.units = FakeUnits(self.store, self.clock)
        self.bank = MemoryBank()

    def work(self) -> FakeDisbursementWork:
        """A unit on the store itself (for one handler call; `committed` after `finish`)."""
        return FakeDisbursementWork(self.store, self.clock)

    @staticmethod
    async def finish(uow: FakeDisbursementWork) -> None:
        await uow._finish()

    async def grant(self, n: int, category: str = "death", *,
                    starts: date = date(2026, 1, 1)) -> CertificationGranted:
        event = granted(n, category, starts=starts)
        async with self.units() as uow:
            await facts.keep_certification(event, uow)
        return event

    async def register(self, n: int, account: str | None = None, *, confirm: bool = True
                       ) -> None:
        """Register person n's account; a change is confirmed by the second officer."""
        chosen = PayeeAccount("102", account or account_of(n))
        async with self.units() as uow:
            registration = await accounts.register_payee_account(
                accounts.RegisterPayeeAccount(OFFICER, person(n), chosen), uow)
        if confirm and registration.awaiting_confirmation:
            await self.confirm(n, chosen.account_number)

    async def confirm(self, n: int, account: str, officer: Officer = CHECKER
                      ) -> accounts.Confirmation:
        async with self.units() as uow:
            return await accounts.confirm_payee_account(accounts.ConfirmPayeeAccount(
                officer, person(n), PayeeAccount("102", account)), uow)

    async def payees(self, count: int) -> None:
        for n in range(1, count + 1):
            await self.grant(n)
            await self.register(n)

    async def start(self, period: str = PERIOD, *, chunk_size: int = 5_000
                    ) -> runs.StartedRun:
        async with self.units() as uow:
            return await runs.start_run(runs.StartPaymentRun(
                OFFICER, PROGRAM, period, DIVISION, runs.RunRules(chunk_size=chunk_size)), uow)

    async def allocate(self, run: PaymentRun) -> None:
        async with self.units() as uow:
            await allocations.release_run(approval(run), uow)

    async def run(self, run_id: str) -> PaymentRun:
        return self.store.runs[run_id].run

    def published(self, kind: type[Any]) -> list[Any]:
        return [e for u in self.units.units for e in u.published(kind)]

    def statuses(self, run_id: str) -> dict[str, str]:
        return {p.person_key: p.status for p in self.store.run_payments(run_id)}


@pytest.fixture
def world() -> UnitWorld:
    return UnitWorld()
