"""Recoveries booked by their kind: a repayment credits the account once; the bank's
return of an overpaid payment and an offset settle the receivable without crediting it
again; a repayment after the receivable's year closed comes into the first open later
year while the closed year's receivable is settled; a write-off after year-end too."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.disbursement_v1 import (
    OverpaidPayment,
    PaymentsSettled,
    RecoveryRecorded,
)
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.fund_custody.application.queries import balances_report
from siquan.fund_custody.application.recovery import book_recovery, recognise_receivable
from siquan.fund_custody.application.returns import take_back_returned_chunk
from siquan.fund_custody.application.statements import produce_statement
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.special_account import AccountKey

from .conftest import KEY, officer

AT = datetime(2026, 11, 25, 9, tzinfo=UTC)


def overpayment(chunk: PaymentsSettled, key: AccountKey = KEY) -> OverpaymentRecordedV2:
    payment = chunk.payments[0]
    return OverpaymentRecordedV2(
        receivable_id=str(uuid.uuid4()), person_key=payment.person_key,
        certification_id=payment.certification_id, program_code=key.program_code,
        division_code=key.division_code, fiscal_year=key.fiscal_year, cause="death",
        ended_from=date(key.fiscal_year, 11, 1),
        payments=(OverpaidPayment(payment_id=payment.payment_id, run_id=chunk.run_id,
                                  run_period=chunk.period, period=chunk.period,
                                  item="benefit", amount_fen=payment.amount_fen),),
        total_fen=payment.amount_fen, recorded_at=AT)


def recovery(found: OverpaymentRecordedV2, kind: str, amount_fen: int, outstanding_fen: int,
             **extra: Any) -> RecoveryRecorded:
    return RecoveryRecorded(
        recovery_id=str(uuid.uuid4()), receivable_id=found.receivable_id,
        program_code=found.program_code, division_code=found.division_code,
        fiscal_year=found.fiscal_year, kind=kind, amount_fen=amount_fen,
        outstanding_fen=outstanding_fen, recorded_by="disburser-420117-01",
        recorded_at=AT, **extra)


async def _overpaid(uow: Any, given: Any, key: AccountKey = KEY
                    ) -> tuple[PaymentsSettled, OverpaymentRecordedV2]:
    run_id = await given.approved_run(100_000, 42_000, key)
    chunk = await given.paid(run_id, 0, 21_000, 21_000, key=key)
    found = overpayment(chunk, key)
    await given.done(recognise_receivable(found, uow))
    return chunk, found


async def test_a_repayment_credits_the_account_and_its_levels(uow: Any, given: Any) -> None:
    _, found = await _overpaid(uow, given)
    await uow.run(book_recovery(recovery(found, "repayment", 6_000, 15_000), uow))
    account = await uow.accounts.find(KEY)
    assert account.books.available_fen == 58_000 + 6_000
    assert sum(account.books.receivable_fen().values()) == 15_000
    report = await balances_report(uow, officer(), KEY)
    assert report["totals"]["available_fen"] == 100_000 - 42_000 + 6_000


async def test_a_returned_overpaid_payment_is_credited_once(uow: Any, given: Any) -> None:
    chunk, found = await _overpaid(uow, given)
    returned = given.returned(chunk.run_id, 0, (chunk.payments[0].payment_id, 21_000))
    await given.done(take_back_returned_chunk(returned, uow))
    await uow.run(book_recovery(recovery(
        found, "repayment", 21_000, 0,
        returned_payment_id=chunk.payments[0].payment_id), uow))
    account = await uow.accounts.find(KEY)
    assert account.books.available_fen == 58_000 + 21_000  # the return, not twice
    assert account.books.receivable_fen() == dict.fromkeys(FISCAL_LEVELS, 0)
    assert account.books.recovered_fen == 0  # nothing was repaid into the account
    assert account.books.is_balanced()
    kept = await uow.receivables.get(found.receivable_id)
    assert (sum(kept.recovered.values()), kept.outstanding_fen) == (21_000, 0)
    report = await balances_report(uow, officer(), KEY)  # spent net of the return, once
    assert report["totals"]["available_fen"] == 100_000 - 21_000


async def test_an_offset_settles_the_receivable_without_crediting_it(uow: Any, given: Any) -> None:
    _, found = await _overpaid(uow, given)
    await uow.run(book_recovery(recovery(found, "offset", 21_000, 0), uow))
    account = await uow.accounts.find(KEY)
    assert account.books.available_fen == 58_000
    assert account.books.receivable_fen() == dict.fromkeys(FISCAL_LEVELS, 0)
    assert account.books.is_balanced()


async def test_a_repayment_after_year_end_comes_into_the_open_year(uow: Any, given: Any) -> None:
    year = AccountKey(KEY.program_code, 2025, KEY.division_code)
    chunk, found = await _overpaid(uow, given, year)
    await given.settled_run(chunk.run_id, 42_000, 42_000, key=year)
    await given.done(produce_statement(uow, officer(), year))
    following = AccountKey(KEY.program_code, 2026, KEY.division_code)
    opening = (await uow.accounts.find(following)).books.available_fen
    await uow.run(book_recovery(recovery(found, "repayment", 15_000, 6_000), uow))
    closed, open_year = await uow.accounts.find(year), await uow.accounts.find(following)
    assert sum(closed.books.receivable_fen().values()) == 6_000
    assert closed.books.available_fen == 0 and closed.books.is_balanced()
    assert open_year.books.available_fen == opening + 15_000
    assert open_year.books.recovered_fen == 15_000 and open_year.books.is_balanced()
    assert (await balances_report(uow, officer(), following))["totals"]["available_fen"] == (
        15_000)

    await uow.run(book_recovery(recovery(found, "write_off", 6_000, 0,
                                         approved_by="disburser-420117-02"), uow))
    closed = await uow.accounts.find(year)
    assert closed.books.receivable_fen() == dict.fromkeys(FISCAL_LEVELS, 0)
