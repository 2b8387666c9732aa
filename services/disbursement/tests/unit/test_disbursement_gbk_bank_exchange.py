"""The batch-file bank in the GBK format: the bank refuses an edited instruction file and
pays none of it; a result is applied only when its payment id, amount and account are the
instruction's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from siquan.disbursement.adapters.batch_file_bank import BatchFileBank, GbkFormat
from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
    PaymentsDisputed,
)
from siquan.shared.testing.waiting import eventually
from siquan.tools.bank_counterpart import BatchFileCounterpart

KEY = "a-key-shared-with-the-county-bank"


class CountingBank:
    """Stands in for the simulated bank: settles whatever it is told to pay."""

    def __init__(self) -> None:
        self.paid: list[PaymentInstruction] = []

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        self.paid += instructions
        return [BankResult(i.payment_id, "settled", f"REF{n}", "")
                for n, i in enumerate(instructions)]

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        return []


def instruction(name: str = "欧阳娜娜", amount_fen: int = 21_000) -> PaymentInstruction:
    payment_id = str(uuid.uuid4())
    return PaymentInstruction(payment_id, "ABC", "622202000000010001", amount_fen,
                              f"城乡低保 2031-05 {payment_id}", name)


@pytest.fixture
async def ours(tmp_path: Path) -> BatchFileBank:
    bank = BatchFileBank(tmp_path, result_timeout_s=0.3, settle_ms=0, poll_s=0.02,
                         file_format=GbkFormat(KEY))
    await bank.open()
    return bank


def counterpart(tmp_path: Path, bank: CountingBank) -> BatchFileCounterpart:
    return BatchFileCounterpart(tmp_path, bank,  # type: ignore[arg-type]
                                file_format=GbkFormat(KEY))


async def test_the_bank_pays_a_signed_file_and_its_results_are_applied(
        ours: BatchFileBank, tmp_path: Path) -> None:
    bank, sent = CountingBank(), [instruction("欧阳娜娜"), instruction("朱镕基", 36_550)]
    answering = asyncio.create_task(_answer_once(counterpart(tmp_path, bank)))

    results = await ours.instruct("run-0", sent)
    await answering

    assert sorted(r.payment_id for r in results) == sorted(i.payment_id for i in sent)
    assert [(i.account_name, i.amount_fen) for i in bank.paid] == [("欧阳娜娜", 21_000),
                                                                   ("朱镕基", 36_550)]
    assert (tmp_path / "outbox" / "taken" / "instructions-run-0.dat").exists()


async def test_the_bank_refuses_an_edited_file_and_pays_none_of_it(
        ours: BatchFileBank, tmp_path: Path) -> None:
    bank, sent = CountingBank(), instruction(amount_fen=21_000)
    ours.format.write_instructions(ours.outbox / "instructions-run-1.dat", "run-1", [sent])
    path = ours.outbox / "instructions-run-1.dat"
    path.write_bytes(path.read_bytes().replace(b"000000000021000", b"000000000091000"))
    other = counterpart(tmp_path, bank)

    assert await other.answer_waiting() == 0

    assert bank.paid == [] and other.refused == ["instructions-run-1.dat"]
    assert (ours.outbox / "refused" / "instructions-run-1.dat").exists()
    assert not list(ours.inbox.glob("results-*"))


async def test_a_result_for_another_amount_or_account_is_not_applied(
        ours: BatchFileBank, tmp_path: Path) -> None:
    right, wrong_amount, wrong_account = instruction(), instruction(), instruction()
    taken = ours.outbox / "taken"
    ours.format.write_instructions(taken / "instructions-run-2.dat", "run-2",
                                   [right, wrong_amount, wrong_account])
    answered = [right, wrong_amount._replace(amount_fen=99_000),
                wrong_account._replace(account_number="622202000000099999")]
    ours.format.write_results(ours.inbox / "results-run-2.dat", "run-2",
                              [(BankResult(i.payment_id, "settled", "REF", ""), i)
                               for i in answered])

    with pytest.raises(BankUnavailable, match="otherwise than instructed"):
        await ours.results([i.payment_id for i in (right, wrong_amount, wrong_account)])
    results = await ours.results([right.payment_id])

    assert [r.payment_id for r in results] == [right.payment_id]
    mismatches = ours.take_mismatches()
    assert sorted((m.payment_id, m.kind) for m in mismatches) == sorted(
        [(wrong_amount.payment_id, "amount_differs"),
         (wrong_account.payment_id, "account_differs")])
    amount = next(m for m in mismatches if m.kind == "amount_differs")
    assert (amount.expected_amount_fen, amount.stated_amount_fen) == (21_000, 99_000)
    assert ours.take_mismatches() == []


class MisstatingOnce(GbkFormat):
    """A bank's results that state another amount for one payment until corrected."""

    def __init__(self, key: str, misstated: str) -> None:
        super().__init__(key)
        self.misstated: str | None = misstated

    def write_results(self, path: Path, batch: str,
                      answered: Sequence[tuple[BankResult, PaymentInstruction]]) -> None:
        super().write_results(path, batch, [
            (r, i._replace(amount_fen=i.amount_fen + 100) if i.payment_id == self.misstated
             else i) for r, i in answered])


async def test_a_misstated_payment_waits_for_the_corrected_results_and_is_never_sent_again(
        ours: BatchFileBank, tmp_path: Path) -> None:
    misstated, answered = instruction(), instruction("朱镕基", 36_550)
    bank = CountingBank()
    other = BatchFileCounterpart(tmp_path, bank,  # type: ignore[arg-type]
                                 file_format=MisstatingOnce(KEY, misstated.payment_id))
    answering = asyncio.create_task(_answer_once(other))

    with pytest.raises(PaymentsDisputed, match="otherwise than instructed") as sent:
        await ours.instruct("run-4", [misstated, answered])
    await answering
    assert not (ours.outbox / "withdrawn").exists()  # answered, not withdrawn as unanswered
    with pytest.raises(PaymentsDisputed, match="wait for its corrected results") as asked:
        await ours.results([misstated.payment_id, answered.payment_id])
    for disputed in (sent.value, asked.value):  # the other payment's answer comes along
        assert disputed.held == {misstated.payment_id}
        assert [(r.payment_id, r.outcome) for r in disputed.answered] == [
            (answered.payment_id, "settled")]
    with pytest.raises(BankUnavailable, match="not sent again"):
        await ours.instruct("run-5", [misstated])  # a payer that would send it again
    assert not (ours.outbox / "instructions-run-5.dat").exists()
    assert [m.payment_id for m in ours.take_mismatches()] == [misstated.payment_id]

    other.format.misstated = None  # type: ignore[attr-defined]
    await other.answer_again("run-4")
    results = await ours.results([misstated.payment_id, answered.payment_id])

    assert sorted(r.payment_id for r in results) == sorted(
        [misstated.payment_id, answered.payment_id])
    assert [i.payment_id for i in bank.paid].count(misstated.payment_id) == 2  # asked twice
    assert ours.take_mismatches() == []


async def test_an_edited_results_file_is_refused_as_a_whole(
        ours: BatchFileBank, tmp_path: Path) -> None:
    sent = instruction()
    ours.format.write_instructions(ours.outbox / "taken" / "instructions-run-3.dat",
                                   "run-3", [sent])
    path = ours.inbox / "results-run-3.dat"
    ours.format.write_results(path, "run-3", [(BankResult(sent.payment_id, "failed", None,
                                                          "frozen"), sent)])
    content = bytearray(path.read_bytes())
    outcome = content.index(b"\r\n") + 2 + 82  # the detail's outcome (docs/BANK_FILES.md)
    assert content[outcome:outcome + 1] == b"F"
    content[outcome:outcome + 1] = b"S"  # failed made settled
    path.write_bytes(bytes(content))

    with pytest.raises(ValueError, match="digest"):
        await ours.results([sent.payment_id])


async def _answer_once(other: BatchFileCounterpart) -> None:
    await eventually(other.answer_waiting, timeout=5)
