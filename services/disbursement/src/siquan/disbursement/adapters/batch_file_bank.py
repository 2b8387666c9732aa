"""The bank as a county reaches it: batch files (一卡通 batch) in a shared directory.

`<dir>/outbox/instructions-<batch>.csv` is what we ask the bank to pay; the bank answers
with `<dir>/inbox/results-<batch>.csv` and reports returns in
`<dir>/inbox/returns-<YYYY-MM-DD>.csv`. The columns are documented in the service README.
A file is written under a temporary name and renamed, and a file is read only once it has
been seen unchanged for `settle_ms` (the bank's transfer job may still be writing it).

Results are matched by payment id, never by file: a batch re-sent after a crash may hold
other payments than the first time, and the bank answers each payment id once.

A file is the bank's once it is taken: the bank renames `outbox/instructions-<batch>.csv`
into `outbox/taken/` before it pays, and answers every taken file. A file we no longer
stand behind (unanswered in time, or left by a crash before its answer) is withdrawn by
renaming it into `outbox/withdrawn/`. One rename wins: a withdrawn file is never paid,
and a payment in a taken file not answered yet is in flight, so it is neither re-checked
nor sent again (`BankUnavailable` until the answer arrives).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Literal, cast

from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
)

INSTRUCTION_COLUMNS = ["payment_id", "bank_code", "account_number", "amount_fen", "remittance"]
RESULT_COLUMNS = ["payment_id", "outcome", "bank_reference", "reason"]
RETURN_COLUMNS = ["payment_id", "bank_reference", "amount_fen", "reason", "returned_on"]


def write_csv(path: Path, columns: list[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a CSV file atomically: a temporary name, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(buffer.getvalue(), "utf-8")
    os.replace(temporary, path)


def read_csv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != columns:
            raise ValueError(f"{path.name}: columns {reader.fieldnames}, expected {columns}")
        return list(reader)


def _payment_ids(path: Path) -> set[str]:
    try:
        return {r["payment_id"] for r in read_csv(path, INSTRUCTION_COLUMNS)}
    except FileNotFoundError:  # taken or withdrawn meanwhile
        return set()


class BatchFileBank:
    def __init__(self, directory: Path, *, result_timeout_s: float = 60.0,
                 settle_ms: int = 200, poll_s: float = 0.1) -> None:
        self.outbox, self.inbox = directory / "outbox", directory / "inbox"
        self._timeout, self._settle, self._poll = result_timeout_s, settle_ms / 1000, poll_s
        self._known: dict[str, BankResult] = {}
        self._read: dict[str, tuple[float, int]] = {}
        self._unchanged: dict[str, tuple[tuple[int, int], float]] = {}

    async def open(self) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.inbox.mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        try:
            write_csv(self.outbox / f"instructions-{batch}.csv", INSTRUCTION_COLUMNS,
                      [(i.payment_id, i.bank_code, i.account_number, i.amount_fen,
                        i.remittance) for i in instructions])
        except OSError as exc:  # the exchange directory is away (unmounted, full, ...)
            raise BankUnavailable(f"cannot write batch {batch}: {exc}") from exc
        wanted = {i.payment_id for i in instructions}
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            self._refresh([self.inbox / f"results-{batch}.csv"])
            if wanted <= self._known.keys():
                return [self._known[p] for p in wanted]
            await asyncio.sleep(self._poll)
        self._withdraw(self.outbox / f"instructions-{batch}.csv")
        raise BankUnavailable(f"no results file answered batch {batch} within {self._timeout}s;"
                              " withdrawn")

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        """What the bank answered for these payments. Files of ours that hold the others and
        that the bank has not taken are withdrawn; one it took and has not answered raises
        `BankUnavailable` (those payments are in flight)."""
        self._refresh(sorted(self.inbox.glob("results-*.csv")))
        unanswered = {p for p in payment_ids if p not in self._known}
        if unanswered:
            for path in sorted(self.outbox.glob("instructions-*.csv")):
                if unanswered & _payment_ids(path):
                    self._withdraw(path)
            for path in sorted((self.outbox / "taken").glob("instructions-*.csv")):
                answer = self.inbox / f"results-{path.stem.removeprefix('instructions-')}.csv"
                if answer.name not in self._read and unanswered & _payment_ids(path):
                    raise BankUnavailable(f"the bank took {path.name} and has not answered it")
        return [self._known[p] for p in payment_ids if p in self._known]

    def _withdraw(self, path: Path) -> None:
        """Take back a file the bank has not taken; `BankUnavailable` when it has."""
        withdrawn = self.outbox / "withdrawn"
        withdrawn.mkdir(exist_ok=True)
        try:
            os.replace(path, withdrawn / path.name)
        except FileNotFoundError:
            raise BankUnavailable(f"the bank took {path.name} and has not answered it"
                                  ) from None

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        found = []
        for path in sorted(self.inbox.glob("returns-*.csv")):
            day = date.fromisoformat(path.stem.removeprefix("returns-"))
            if after < day <= through and self._settled(path):
                found += [BankReturn(r["payment_id"], r["bank_reference"], int(r["amount_fen"]),
                                     r["reason"], date.fromisoformat(r["returned_on"]))
                          for r in read_csv(path, RETURN_COLUMNS)]
        return found

    def _refresh(self, paths: Iterable[Path]) -> None:
        for path in paths:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            seen = (stat.st_mtime, stat.st_size)
            if self._read.get(path.name) == seen or not self._settled(path):
                continue
            for row in read_csv(path, RESULT_COLUMNS):
                outcome = cast(Literal["settled", "failed"], row["outcome"])
                if outcome not in ("settled", "failed") or (
                        (outcome == "settled") != bool(row["bank_reference"])):
                    raise ValueError(f"{path.name}: {outcome!r} with reference "
                                     f"{row['bank_reference']!r} for {row['payment_id']}")
                self._known[row["payment_id"]] = BankResult(
                    row["payment_id"], outcome, row["bank_reference"] or None, row["reason"])
            self._read[path.name] = seen

    def _settled(self, path: Path) -> bool:
        """Seen unchanged (same modification time and size) for `settle_ms`: the writer is
        done with it. Measured on this process's monotonic clock from when the file was
        first seen so, never against the service's clock (a test may move that)."""
        stat = path.stat()
        seen, now = (stat.st_mtime_ns, stat.st_size), time.monotonic()
        first = self._unchanged.get(path.name)
        if first is None or first[0] != seen:
            self._unchanged[path.name] = (seen, now)
            return self._settle <= 0
        return now - first[1] >= self._settle
