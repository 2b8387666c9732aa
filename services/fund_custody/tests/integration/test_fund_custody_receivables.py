"""Receivables in fund custody's ledger on the real service and database: booked per fiscal
level as the run's spending was split, once however often disbursement says so; repayments
credit the available balance, a write-off gives up the rest; the database refuses a
repayment posted without its recovery."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from siquan.contracts.disbursement_v1 import (
    OverpaidPayment,
    OverpaymentRecorded,
    PaymentsSettled,
    RecoveryRecorded,
)
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import AccountKey

from .conftest import DIVISION, TREASURER, fresh_key

LEVELS = ("central", "provincial", "municipal", "county")


@pytest.fixture
async def covered(fc) -> AccountKey:
    """A fresh special account of a program and year a policy version covers."""
    def in_force(key: AccountKey) -> bool:
        try:
            load_catalogue().in_force(key.program_code, date(key.fiscal_year, 1, 1), DIVISION)
        except KeyError:
            return False
        return True
    return await fresh_key(fc, in_force)


def _split(fen: int, key: AccountKey) -> dict[str, int]:
    s = load_catalogue().in_force(key.program_code, date(key.fiscal_year, 11, 1),
                                  DIVISION).fiscal_shares
    parts = {level: fen * getattr(s, level) // 10_000 for level in LEVELS[:3]}
    return parts | {"county": fen - sum(parts.values())}


def _overpaid(key: AccountKey, run_id: str, chunk: PaymentsSettled,
              count: int) -> OverpaymentRecorded:
    payments = tuple(OverpaidPayment(
        payment_id=p.payment_id, run_id=run_id, run_period=f"{key.fiscal_year}-11",
        period=f"{key.fiscal_year}-11", item="benefit", amount_fen=p.amount_fen)
        for p in chunk.payments[:count])
    return OverpaymentRecorded(
        receivable_id=str(uuid.uuid4()), person_key=chunk.payments[0].person_key,
        certification_id=str(uuid.uuid4()), program_code=key.program_code,
        division_code=key.division_code, fiscal_year=key.fiscal_year, cause="death",
        ended_from=date(key.fiscal_year, 11, 1), payments=payments,
        total_fen=sum(p.amount_fen for p in payments), recorded_at=datetime.now(UTC))


def _recovery(key: AccountKey, receivable_id: str, kind: str, fen: int,
              outstanding: int) -> RecoveryRecorded:
    return RecoveryRecorded(
        recovery_id=str(uuid.uuid4()), receivable_id=receivable_id,
        program_code=key.program_code, division_code=key.division_code,
        fiscal_year=key.fiscal_year, kind=kind, amount_fen=fen, outstanding_fen=outstanding,
        recorded_by="disburser-420117-01",
        approved_by="disburser-420117-02" if kind == "write_off" else None,
        recorded_at=datetime.now(UTC))


async def test_a_receivable_is_booked_per_level_repaid_and_written_off(
        fc, covered: AccountKey) -> None:
    key = covered
    run_id = await fc.approved_run(key, 100_000, 63_001)
    chunk = await fc.settle(key, run_id, 0, 21_001, 21_000, 21_000)
    await fc.complete(key, run_id, 63_001, settled_fen=63_001)
    before = await fc.account(key)
    overpaid = _overpaid(key, run_id, chunk, 2)
    message_id = await fc.publish(overpaid)
    await fc.publish(overpaid, message_id=message_id)
    await fc.wait_processed(await fc.publish(overpaid))
    expected = _split(42_001, key)

    listed = (await fc.get(f"/receivables?program_code={key.program_code}"
                           f"&fiscal_year={key.fiscal_year}", TREASURER)).json()
    assert listed["total"] == 1
    (receivable,) = listed["receivables"]
    assert {r["fiscal_level"]: r["receivable_fen"] for r in receivable["levels"]} == expected
    assert (receivable["total_fen"], receivable["outstanding_fen"]) == (42_001, 42_001)
    account = await fc.account(key)
    assert account["receivable_fen"] == expected
    assert account["available_fen"] == before["available_fen"]
    assert await fc.fetchval("SELECT count(*) FROM ledger_transactions WHERE kind ="
                             " 'receivable' AND reference = $1", overpaid.receivable_id) == 1

    await fc.wait_processed(await fc.publish(_recovery(key, overpaid.receivable_id,
                                                       "repayment", 10_001, 32_000)))
    account = await fc.account(key)
    assert account["available_fen"] == before["available_fen"] + 10_001
    assert sum(account["receivable_fen"].values()) == 32_000
    assert all(0 <= account["receivable_fen"][lv] <= expected[lv] for lv in LEVELS)

    too_much = await fc.publish(_recovery(key, overpaid.receivable_id, "repayment", 32_001, 0))
    assert "outstanding" in await fc.dead_letter_reason(too_much)

    await fc.wait_processed(await fc.publish(_recovery(key, overpaid.receivable_id,
                                                       "write_off", 32_000, 0)))
    account = await fc.account(key)
    assert account["receivable_fen"] == dict.fromkeys(LEVELS, 0)
    assert account["available_fen"] == before["available_fen"] + 10_001
    report = (await fc.get(f"/balances/{key.program_code}/{key.fiscal_year}/{DIVISION}",
                           TREASURER)).json()
    assert (report["totals"]["receivable_fen"], report["totals"]["recovered_fen"],
            report["totals"]["written_off_fen"],
            report["totals"]["receivable_outstanding_fen"]) == (42_001, 10_001, 32_000, 0)
    assert await fc.fetchval(
        "SELECT sum(b.balance_fen) FROM ledger_balances b JOIN special_accounts s"
        " ON s.id = b.special_account_id WHERE s.program_code = $1 AND s.fiscal_year = $2"
        " AND s.division_code = $3", key.program_code, key.fiscal_year, DIVISION) == 0

    # The year closes with the repayment in its balance.
    closed = await fc.post(f"/statements/{key.program_code}/{key.fiscal_year}/{DIVISION}")
    assert closed.status_code == 201, closed.text
    statement = closed.json()
    assert statement["recovered_fen"] == 10_001
    assert statement["closing_fen"] == (statement["opening_fen"]
                                        + statement["appropriated_total_fen"]
                                        - statement["paid_fen"] + statement["returned_fen"]
                                        + 10_001)
    assert statement["closing_fen"] == account["available_fen"]


async def test_a_receivable_naming_a_run_of_another_account_is_dead_lettered(
        fc, covered: AccountKey) -> None:
    key = covered
    run_id = await fc.approved_run(key, 100_000, 21_000)
    chunk = await fc.settle(key, run_id, 0, 21_000)
    other = AccountKey(key.program_code, key.fiscal_year, "420102")
    wrong = _overpaid(other, run_id, chunk, 1)
    assert "did not pay" in await fc.dead_letter_reason(await fc.publish(wrong))


async def test_the_database_refuses_a_repayment_without_its_recovery(
        fc, covered: AccountKey) -> None:
    key = covered
    await fc.funded(key, 50_000)
    conn = await asyncpg.connect(fc.env.pg_dsn("fund_custody"))
    try:
        account_id = await conn.fetchval(
            "SELECT id FROM special_accounts WHERE program_code = $1 AND fiscal_year = $2"
            " AND division_code = $3", key.program_code, key.fiscal_year, DIVISION)
        with pytest.raises(asyncpg.CheckViolationError, match="without its recovery"):
            async with conn.transaction():
                transaction_id = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO ledger_transactions (id, special_account_id, kind, reference)"
                    " VALUES ($1, $2, 'repayment', 'made-up')", transaction_id, account_id)
                await conn.execute(
                    "INSERT INTO ledger_entries (transaction_id, special_account_id, account,"
                    " amount_fen) VALUES ($1, $2, 'available', 500)", transaction_id,
                    account_id)
    finally:
        await conn.close()


async def test_a_returned_overpayment_and_recoveries_after_year_end_count_once(
        fc, covered: AccountKey) -> None:
    """The bank returns one overpaid payment: the return brings it back once and settles
    its receivable. After the year closes, a repayment of the other comes into the next
    year's account, and the rest is written off in the closed year."""
    key = covered
    run_id = await fc.approved_run(key, 100_000, 42_000)
    chunk = await fc.settle(key, run_id, 0, 21_000, 21_000)
    returned_id = chunk.payments[0].payment_id
    first = _overpaid(key, run_id, chunk, 1)
    second = _overpaid(key, run_id, PaymentsSettled.model_validate(
        chunk.model_dump() | {"payments": chunk.payments[1:]}), 1)
    for overpaid in (first, second):
        await fc.wait_processed(await fc.publish(overpaid))
    before = await fc.account(key)

    await fc.wait_processed(await fc.publish(fc.returned(key, run_id, 0,
                                                         (returned_id, 21_000))))
    by_return = _recovery(key, first.receivable_id, "repayment", 21_000, 0).model_copy(
        update={"returned_payment_id": returned_id, "recorded_by": "bank-return"})
    await fc.wait_processed(await fc.publish(by_return))
    account = await fc.account(key)
    assert account["available_fen"] == before["available_fen"] + 21_000  # once
    assert account["receivable_fen"] == _split(21_000, key)  # the second's only
    await fc.complete(key, run_id, 42_000, settled_fen=42_000)
    closed = await fc.post(f"/statements/{key.program_code}/{key.fiscal_year}/{DIVISION}")
    assert closed.status_code == 201, closed.text
    assert closed.json()["recovered_fen"] == 0
    following = AccountKey(key.program_code, key.fiscal_year + 1, DIVISION)
    opening = (await fc.account(following))["available_fen"]

    await fc.wait_processed(await fc.publish(_recovery(key, second.receivable_id,
                                                       "repayment", 8_000, 13_000)))
    await fc.wait_processed(await fc.publish(_recovery(key, second.receivable_id,
                                                       "write_off", 13_000, 0)))
    year, next_year = await fc.account(key), await fc.account(following)
    assert year["receivable_fen"] == dict.fromkeys(LEVELS, 0)
    assert year["available_fen"] == 0
    assert next_year["available_fen"] == opening + 8_000
    report = (await fc.get(f"/balances/{key.program_code}/{key.fiscal_year}/{DIVISION}",
                           TREASURER)).json()
    assert (report["totals"]["receivable_fen"], report["totals"]["recovered_fen"],
            report["totals"]["written_off_fen"],
            report["totals"]["receivable_outstanding_fen"]) == (42_000, 29_000, 13_000, 0)
    for account_key in (key, following):
        assert await fc.fetchval(
            "SELECT sum(b.balance_fen) FROM ledger_balances b JOIN special_accounts s"
            " ON s.id = b.special_account_id WHERE s.program_code = $1"
            " AND s.fiscal_year = $2 AND s.division_code = $3", account_key.program_code,
            account_key.fiscal_year, DIVISION) == 0
