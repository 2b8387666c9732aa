"""The bank's side of the batch-file exchange, for tests and the demo: picks up instruction
files, pays them through the simulated bank (its own database, idempotent by payment id),
answers with result files and reports returns in daily return files.

    python -m siquan.tools.bank_counterpart --dir DIR --bank-dsn DSN

An instruction file is taken (moved to `outbox/taken/`) before it is paid, unless the
payer withdrew it first; a taken batch the simulated bank does not answer (a simulated
timeout) is answered on a later pass. In the GBK format (`--format gbk --key KEY`) a file
whose digest or control totals do not hold is refused as a whole before anything in it is
paid: it is moved to `outbox/refused/` and never answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

from siquan.disbursement.adapters.batch_file_bank import (
    RETURN_COLUMNS,
    BankFileFormat,
    CsvFormat,
    GbkFormat,
    write_csv,
)
from siquan.disbursement.adapters.simulated_bank import BankBehaviour, SimulatedBank
from siquan.disbursement.application.ports import (
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
)
from siquan.shared.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class BatchFileCounterpart:
    def __init__(self, directory: Path, bank: SimulatedBank, *,
                 clock: Clock | None = None, return_lookback_days: int = 60,
                 file_format: BankFileFormat | None = None) -> None:
        self.outbox, self.inbox = directory / "outbox", directory / "inbox"
        self.format = file_format or CsvFormat()
        self.refused: list[str] = []
        self.bank, self._clock = bank, clock or SystemClock()
        self._lookback = timedelta(days=return_lookback_days)
        self.answered = 0
        self._returns_written: dict[date, list[tuple[str, str, int, str, str]]] = {}
        self._answering, self._wake = asyncio.Event(), asyncio.Event()
        self._answering.set()

    @property
    def answering(self) -> bool:
        return self._answering.is_set()

    def hold(self) -> None:
        """Stop answering (files keep arriving and wait), as a bank's batch window closes."""
        self._answering.clear()

    def release(self) -> None:
        """Answer again, at once."""
        self._answering.set()
        self._wake.set()

    def waiting(self) -> list[Path]:
        """Instruction files to answer: new ones, and taken ones not answered yet."""
        taken, sfx = self.outbox / "taken", self.format.suffix
        unanswered = [p for p in sorted(taken.glob(f"instructions-*{sfx}"))
                      if not (self.inbox / _results_name(p)).exists()]
        return unanswered + sorted(self.outbox.glob(f"instructions-*{sfx}"))

    async def answer(self, path: Path) -> bool:
        """Take an instruction file (unless withdrawn first), pay it and answer it; False
        when it was withdrawn or the bank timed out (a taken file is answered later)."""
        taken = self.outbox / "taken"
        if path.parent != taken:
            taken.mkdir(exist_ok=True)
            try:
                os.replace(path, taken / path.name)
            except FileNotFoundError:  # withdrawn by the payer: not ours to pay
                return False
            path = taken / path.name
        try:
            instructions = self.format.read_instructions(path)
        except ValueError as exc:  # edited, or signed with another key: pay none of it
            log.error("refused %s: %s", path.name, exc)
            refused = self.outbox / "refused"
            refused.mkdir(exist_ok=True)
            os.replace(path, refused / path.name)
            self.refused.append(path.name)
            return False
        try:
            await self._pay_and_answer(path, instructions)
        except BankUnavailable:
            return False
        self.answered += 1
        return True

    async def answer_again(self, batch: str) -> None:
        """Write a taken batch's results file again (a corrected results file, 更正回盘,
        after a line of it was misstated): the bank answers each payment id with the result
        it recorded and pays nothing anew."""
        path = self.outbox / "taken" / f"instructions-{batch}{self.format.suffix}"
        await self._pay_and_answer(path, self.format.read_instructions(path))

    async def _pay_and_answer(self, path: Path, instructions: list[PaymentInstruction]
                              ) -> None:
        batch = path.stem.removeprefix("instructions-")
        results = await self.bank.instruct(batch, instructions)
        sent = {i.payment_id: i for i in instructions}
        self.format.write_results(self.inbox / _results_name(path), batch,
                                  [(r, sent[r.payment_id]) for r in results])

    async def answer_waiting(self) -> int:
        answered = 0
        for path in self.waiting():
            answered += await self.answer(path)
        return answered

    async def report_returns(self) -> int:
        """Write one file per day with every return of that day (rewritten as it grows)."""
        today = self._clock.today()
        by_day: dict[date, list[BankReturn]] = defaultdict(list)
        for returned in await self.bank.returns(today - self._lookback, today):
            by_day[returned.returned_on].append(returned)
        for day, returns in by_day.items():
            rows = [(r.payment_id, r.bank_reference, r.amount_fen, r.reason,
                     r.returned_on.isoformat()) for r in returns]
            if self._returns_written.get(day) != rows:  # an unchanged file keeps its mtime,
                write_csv(self.inbox / f"returns-{day.isoformat()}.csv", RETURN_COLUMNS,
                          rows)  # so the reader sees it settle
                self._returns_written[day] = rows
        return sum(len(r) for r in by_day.values())

    async def serve(self, poll_s: float = 0.1) -> None:
        """Pick up files every `poll_s` (or at once when released) until cancelled."""
        while True:
            self._wake.clear()
            if self._answering.is_set():
                await self.answer_waiting()
                await self.report_returns()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_s)


@contextlib.asynccontextmanager
async def answering_bank(directory: Path, bank_dsn: str, *,
                         file_format: BankFileFormat | None = None, clock: Clock | None = None,
                         poll_s: float = 0.05) -> AsyncIterator[BatchFileCounterpart]:
    """The bank's side of the files in `directory` while the block runs, for a test whose
    disbursement pays through them: the simulated bank on `bank_dsn` opened, and a
    counterpart in `file_format` (CSV when not given; `GbkFormat(key)` for GBK files)
    picking files up every `poll_s`; afterwards it stops and the bank is closed."""
    bank = SimulatedBank(bank_dsn, clock=clock)
    await bank.open()
    counterpart = BatchFileCounterpart(directory, bank, clock=clock, file_format=file_format)
    task = asyncio.create_task(counterpart.serve(poll_s=poll_s))
    try:
        yield counterpart
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bank.close()


def _results_name(instructions: Path) -> str:
    return f"results-{instructions.stem.removeprefix('instructions-')}{instructions.suffix}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--bank-dsn", required=True)
    parser.add_argument("--return-rate", type=float, default=0.0)
    parser.add_argument("--format", choices=("csv", "gbk"), default="csv")
    parser.add_argument("--key", default="", help="the key shared with disbursement (gbk)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)

    async def serve() -> None:
        bank = SimulatedBank(args.bank_dsn, BankBehaviour(return_rate=args.return_rate))
        await bank.open()
        try:
            file_format = GbkFormat(args.key) if args.format == "gbk" else CsvFormat()
            await BatchFileCounterpart(args.dir, bank, file_format=file_format).serve()
        finally:
            await bank.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
