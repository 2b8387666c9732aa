"""Who owns an instruction file: one rename decides. A file we withdraw is never the bank's
to pay; a payment in a file the bank took and has not answered is in flight."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from siquan.disbursement.adapters.batch_file_bank import (
    INSTRUCTION_COLUMNS,
    RESULT_COLUMNS,
    BatchFileBank,
    write_csv,
)
from siquan.disbursement.application.ports import BankUnavailable, PaymentInstruction


def instruction() -> PaymentInstruction:
    payment_id = str(uuid.uuid4())
    return PaymentInstruction(payment_id, "ABC", "622202000000010001", 21_000,
                              f"siquan benefit 2031-05 {payment_id}")


def left_behind(place: Path, batch: str, *payments: PaymentInstruction) -> Path:
    path = place / f"instructions-{batch}.csv"
    write_csv(path, INSTRUCTION_COLUMNS, [(p.payment_id, p.bank_code, p.account_number,
                                           p.amount_fen, p.remittance) for p in payments])
    return path


@pytest.fixture
async def bank(tmp_path: Path) -> BatchFileBank:
    opened = BatchFileBank(tmp_path, result_timeout_s=0.2, settle_ms=0, poll_s=0.02)
    await opened.open()
    return opened


async def test_a_batch_not_answered_in_time_is_withdrawn(bank: BatchFileBank) -> None:
    with pytest.raises(BankUnavailable, match="withdrawn"):
        await bank.instruct("run-0", [instruction()])
    assert list(bank.outbox.glob("instructions-*.csv")) == []
    assert [p.name for p in (bank.outbox / "withdrawn").iterdir()] == ["instructions-run-0.csv"]


async def test_a_file_left_by_a_crash_is_withdrawn_before_its_payments_are_rechecked(
        bank: BatchFileBank) -> None:
    mine, other = instruction(), instruction()
    left = left_behind(bank.outbox, "run-3", mine)
    untouched = left_behind(bank.outbox, "run-4", other)
    assert await bank.results([mine.payment_id]) == []
    assert not left.exists() and (bank.outbox / "withdrawn" / left.name).exists()
    assert untouched.exists()  # another payer's batch, not ours to withdraw


async def test_a_payment_in_a_taken_unanswered_file_is_in_flight(bank: BatchFileBank) -> None:
    taken = bank.outbox / "taken"
    taken.mkdir()
    flying = instruction()
    left_behind(taken, "run-5", flying)
    with pytest.raises(BankUnavailable, match="has not answered"):
        await bank.results([flying.payment_id])
    write_csv(bank.inbox / "results-run-5.csv", RESULT_COLUMNS,
              [(flying.payment_id, "settled", "B000001", "")])
    answered = await bank.results([flying.payment_id])
    assert [(r.payment_id, r.outcome) for r in answered] == [(flying.payment_id, "settled")]
