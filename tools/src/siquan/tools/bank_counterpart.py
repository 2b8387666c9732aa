"""The bank's side of the batch-file exchange, for tests and the demo: picks up instruction
files, pays them through the simulated bank (its own database, idempotent by payment id),
answers with result files and reports returns in daily return files.

    python -m siquan.tools.bank_counterpart --dir DIR --bank-dsn DSN

An instruction file is taken (moved to `outbox/taken/`) before it is paid, unless the
payer withdrew it first; a taken batch the simulated bank does not answer (a simulated
timeout) is answered on a later pass.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from siquan.disbursement.adapters.batch_file_bank import (
    INSTRUCTION_COLUMNS,
    RESULT_COLUMNS,
    RETURN_COLUMNS,
    read_csv,
    write_csv,
)
from siquan.disbursement.adapters.simulated_bank import BankBehaviour, SimulatedBank
from siquan.disbursement.application.ports import (
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
)
from siquan.shared.clock import Clock, SystemClock


class BatchFileCounterpart:
    def __init__(self, directory: Path, bank: SimulatedBank, *,
                 clock: Clock | None = None, return_lookback_days: int = 60) -> None:
        self.outbox, self.inbox = directory / "outbox", directory / "inbox"
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
        taken = self.outbox / "taken"
        unanswered = [p for p in sorted(taken.glob("instructions-*.csv"))
                      if not (self.inbox / _results_name(p)).exists()]
        return unanswered + sorted(self.outbox.glob("instructions-*.csv"))

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
        instructions = [PaymentInstruction(r["payment_id"], r["bank_code"], r["account_number"],
                                           int(r["amount_fen"]), r["remittance"])
                        for r in read_csv(path, INSTRUCTION_COLUMNS)]
        try:
            results = await self.bank.instruct(path.stem.removeprefix("instructions-"),
                                               instructions)
        except BankUnavailable:
            return False
        write_csv(self.inbox / _results_name(path), RESULT_COLUMNS,
                  [(r.payment_id, r.outcome, r.bank_reference or "", r.reason)
                   for r in results])
        self.answered += 1
        return True

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


def _results_name(instructions: Path) -> str:
    return f"results-{instructions.stem.removeprefix('instructions-')}.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--bank-dsn", required=True)
    parser.add_argument("--return-rate", type=float, default=0.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)

    async def serve() -> None:
        bank = SimulatedBank(args.bank_dsn, BankBehaviour(return_rate=args.return_rate))
        await bank.open()
        try:
            await BatchFileCounterpart(args.dir, bank).serve()
        finally:
            await bank.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
