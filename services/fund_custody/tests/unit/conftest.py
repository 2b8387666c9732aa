"""Fixtures for the handlers' unit tests: a fund custody unit of work in memory on a fixed
clock, officers, and `given` — the events and states the tests start from, built through
the handlers themselves so a test's starting point is one the service can reach."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    FailedPayment,
    PaymentRunCompleted,
    PaymentsFailed,
    PaymentsReturned,
    PaymentsSettled,
    ReturnedPayment,
    SettledPayment,
)
from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.fund_custody.adapters.memory import FakeFundCustodyWork
from siquan.fund_custody.application.allocations import allocate_to_run
from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.application.settlement import pay_settled_chunk, settle_run
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.clock import FixedClock

DIVISION = "420117"
KEY = AccountKey("special_assistance", 2026, DIVISION)
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def officer(roles: tuple[str, ...] = ("treasury_officer",), division: str = DIVISION,
            officer_id: str = "treasury-420117-01") -> Officer:
    return Officer(id=officer_id, name="测试", roles=roles, division=division,
                   token_sha256="0" * 64)


class Given:
    """Events as disbursement and eligibility send them, and states reached through the
    handlers (each committed as its own unit of work, its events cleared)."""

    def __init__(self, uow: FakeFundCustodyWork) -> None:
        self.uow = uow

    async def done(self, work: Any) -> Any:
        """Run work as a committed unit; what it published is forgotten."""
        result = await self.uow.run(work)
        self.uow.pending.clear()
        return result

    async def funded(self, amount_fen: int, key: AccountKey = KEY,
                     level: str = "central") -> None:
        await self.done(record_appropriation(self.uow, officer(), RecordAppropriation(
            key, level, amount_fen)))  # type: ignore[arg-type]

    def request(self, total_fen: int, key: AccountKey = KEY,
                run_id: str | None = None) -> AllocationRequested:
        return AllocationRequested(
            run_id=run_id or str(uuid.uuid4()), program_code=key.program_code,
            fiscal_year=key.fiscal_year, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, payee_count=max(total_fen // 21_000, 1),
            total_fen=total_fen)

    async def requested(self, total_fen: int, key: AccountKey = KEY) -> str:
        request = self.request(total_fen, key)
        await self.done(allocate_to_run(request, self.uow))
        return request.run_id

    async def approved_run(self, funded_fen: int, total_fen: int,
                           key: AccountKey = KEY) -> str:
        await self.funded(funded_fen, key)
        return await self.requested(total_fen, key)

    def settled(self, run_id: str, chunk: int, *amounts: int,
                key: AccountKey = KEY) -> PaymentsSettled:
        return PaymentsSettled(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, chunk=chunk,
            payments=tuple(SettledPayment(payment_id=str(uuid.uuid4()), person_key=person(),
                                          certification_id=str(uuid.uuid4()), item="benefit",
                                          amount_fen=a, bank_reference=f"B{i}")
                           for i, a in enumerate(amounts)))

    async def paid(self, run_id: str, chunk: int, *amounts: int,
                   key: AccountKey = KEY) -> PaymentsSettled:
        event = self.settled(run_id, chunk, *amounts, key=key)
        await self.done(pay_settled_chunk(event, self.uow))
        return event

    def failed(self, run_id: str, chunk: int, *amounts: int) -> PaymentsFailed:
        return PaymentsFailed(
            run_id=run_id, program_code=KEY.program_code, period="2026-11",
            division_code=DIVISION, chunk=chunk,
            payments=tuple(FailedPayment(payment_id=str(uuid.uuid4()), person_key=person(),
                                         amount_fen=a, reason="account closed")
                           for a in amounts))

    def completed(self, run_id: str, total_fen: int, settled_fen: int, *,
                  settled_chunks: int | None = None, failed_chunks: int | None = None,
                  key: AccountKey = KEY) -> PaymentRunCompleted:
        return PaymentRunCompleted(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, payee_count=10, total_fen=total_fen,
            settled_count=7, settled_fen=settled_fen, failed_count=3,
            failed_fen=total_fen - settled_fen, settled_chunks=settled_chunks,
            failed_chunks=failed_chunks)

    async def settled_run(self, run_id: str, total_fen: int, settled_fen: int,
                          key: AccountKey = KEY) -> None:
        await self.done(settle_run(self.completed(run_id, total_fen, settled_fen, key=key),
                                   self.uow))

    def returned(self, run_id: str, chunk: int, *payments: tuple[str, int],
                 key: AccountKey = KEY) -> PaymentsReturned:
        return PaymentsReturned(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, chunk=chunk,
            payments=tuple(ReturnedPayment(payment_id=payment_id, person_key=person(),
                                           amount_fen=amount, reason="account closed",
                                           returned_on=date(key.fiscal_year, 12, 3))
                           for payment_id, amount in payments))

    @staticmethod
    def granted(category: str, key: AccountKey = KEY) -> CertificationGranted:
        return CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code=key.program_code, category=category, policy_version="test",
            person_key=person(), masked_name="张**", masked_resident_id="4201**********1234",
            division_code=key.division_code, effective_from=date(key.fiscal_year, 1, 1),
            reviewed_by="reviewer-420117-01", approved_by="approver-420117-01",
            approved_at=NOW)

    @staticmethod
    def revoked(grant: CertificationGranted) -> CertificationRevoked:
        return CertificationRevoked(
            certification_id=grant.certification_id, program_code=grant.program_code,
            person_key=grant.person_key, division_code=grant.division_code,
            effective_from=date(2026, 7, 1), reason="death", revoked_by="approver-420117-01")

    async def balances(self, key: AccountKey = KEY) -> tuple[int, int, int]:
        """(available, reserved, paid out) of an account."""
        account = await self.uow.accounts.find(key)
        assert account is not None
        books = account.books
        return books.available_fen, books.reserved_fen, books.paid_out_fen


def person() -> str:
    return uuid.uuid4().hex * 2


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def uow(clock: FixedClock) -> FakeFundCustodyWork:
    return FakeFundCustodyWork(clock)


@pytest.fixture
def given(uow: FakeFundCustodyWork) -> Given:
    return Given(uow)
