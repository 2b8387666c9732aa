"""The bank as a county reaches it: batch files (一卡通 batch) in a shared directory.

`<dir>/outbox/instructions-<batch>.csv` is what we ask the bank to pay; the bank answers
with `<dir>/inbox/results-<batch>.csv` and reports returns in
`<dir>/inbox/returns-<YYYY-MM-DD>.csv`. The columns are documented in the service README.
A file is written under a temporary name and renamed, and a file is read only once it has
been seen unchanged for `settle_ms` (the bank's transfer job may still be writing it).

Results are matched by payment id, never by file: a batch re-sent after a crash may hold
other payments than the first time, and the bank answers each payment id once.

Two formats (`bank_file_format`): CSV (`.csv`, the columns above) and the fixed-width GBK
代发 file county banks take (`.dat`, `adapters/gbk_batch_file.py`, docs/BANK_FILES.md),
whose instruction files carry control totals and a keyed digest the bank verifies before
paying, and whose results repeat each payment's account and amount: a result is applied
only when its payment id, amount and account match what was instructed; one that differs
is kept in `mismatches` (and logged), never recorded, so the payment stays unanswered.
Return files are CSV in both.

A payment the bank answered otherwise than instructed is in dispute: the bank did something
with it, so it is never instructed again, and it is not settled or failed on a line that
is not its instruction. `instruct` and `results` raise `PaymentsDisputed` for it, with the
results of the other payments asked about (the payer records those and leaves the disputed
ones waiting, like ones in flight) until the bank answers it again as instructed: a
corrected results file (更正回盘) rewritten under the batch's name is read again, and its
line settles the dispute.

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
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Literal, NamedTuple, Protocol, cast

from siquan.disbursement.adapters import gbk_batch_file as gbk
from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
    PaymentsDisputed,
)

log = logging.getLogger(__name__)

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


class ResultMismatch(NamedTuple):
    """A result line that is not the instruction it answers: not applied."""

    batch: str
    payment_id: str
    kind: Literal["not_in_batch", "amount_differs", "account_differs",
                  "amount_and_account_differ"]
    expected_amount_fen: int | None
    stated_amount_fen: int
    expected_account: str | None
    stated_account: str
    outcome: str
    bank_reference: str

    @property
    def disputes_a_payment(self) -> bool:
        """A line naming a payment of the batch with another amount or account: the payment
        waits for the bank's corrected line. A line naming no payment of the batch disputes
        none (it is reported, and nothing waits on it)."""
        return self.kind != "not_in_batch"


class BankFileFormat(Protocol):
    """How instruction and result files are written and read (both sides use it)."""

    suffix: str

    def write_instructions(self, path: Path, batch: str,
                           instructions: Sequence[PaymentInstruction]) -> None: ...

    def read_instructions(self, path: Path) -> list[PaymentInstruction]:
        """The file's instructions; `ValueError` (`EditedFile`) when it cannot be trusted."""

    def write_results(self, path: Path, batch: str,
                      answered: Sequence[tuple[BankResult, PaymentInstruction]]) -> None: ...

    def read_results(self, path: Path, instructed: Mapping[str, PaymentInstruction]
                     ) -> tuple[list[BankResult], list[ResultMismatch]]:
        """The results that answer `instructed`, and the lines that do not."""


def _checked_result(payment_id: str, outcome: str, reference: str, reason: str,
                    source: str) -> BankResult:
    if outcome not in ("settled", "failed") or ((outcome == "settled") != bool(reference)):
        raise ValueError(f"{source}: {outcome!r} with reference {reference!r} for "
                         f"{payment_id}")
    return BankResult(payment_id, cast(Literal["settled", "failed"], outcome),
                      reference or None, reason)


class CsvFormat:
    """The CSV files: results name the payment id only (the columns are fixed)."""

    suffix = ".csv"

    def write_instructions(self, path: Path, batch: str,
                           instructions: Sequence[PaymentInstruction]) -> None:
        write_csv(path, INSTRUCTION_COLUMNS, [(i.payment_id, i.bank_code, i.account_number,
                                               i.amount_fen, i.remittance)
                                              for i in instructions])

    def read_instructions(self, path: Path) -> list[PaymentInstruction]:
        return [PaymentInstruction(r["payment_id"], r["bank_code"], r["account_number"],
                                   int(r["amount_fen"]), r["remittance"])
                for r in read_csv(path, INSTRUCTION_COLUMNS)]

    def write_results(self, path: Path, batch: str,
                      answered: Sequence[tuple[BankResult, PaymentInstruction]]) -> None:
        write_csv(path, RESULT_COLUMNS, [(r.payment_id, r.outcome, r.bank_reference or "",
                                          r.reason) for r, _ in answered])

    def read_results(self, path: Path, instructed: Mapping[str, PaymentInstruction]
                     ) -> tuple[list[BankResult], list[ResultMismatch]]:
        return [_checked_result(r["payment_id"], r["outcome"], r["bank_reference"],
                                r["reason"], path.name)
                for r in read_csv(path, RESULT_COLUMNS)], []


_OUTCOME_CODES = {"settled": "S", "failed": "F"}
_OUTCOMES = {code: outcome for outcome, code in _OUTCOME_CODES.items()}


class GbkFormat:
    """The fixed-width GBK 代发 files, signed with the key shared with the bank."""

    suffix = ".dat"

    def __init__(self, key: str) -> None:
        self._key = key.encode("utf-8")

    def write_instructions(self, path: Path, batch: str,
                           instructions: Sequence[PaymentInstruction]) -> None:
        _write_bytes(path, gbk.write_file("PAY", batch, [
            {"payment_id": i.payment_id, "bank_code": i.bank_code,
             "account_number": i.account_number, "name": i.account_name,
             "amount_fen": i.amount_fen, "remittance": i.remittance}
            for i in instructions], self._key))

    def read_instructions(self, path: Path) -> list[PaymentInstruction]:
        found = gbk.read_file(path.read_bytes(), self._key, kind="PAY")
        return [PaymentInstruction(d["payment_id"], d["bank_code"], d["account_number"],
                                   int(d["amount_fen"]), d["remittance"], d["name"])
                for d in found.details]

    def write_results(self, path: Path, batch: str,
                      answered: Sequence[tuple[BankResult, PaymentInstruction]]) -> None:
        _write_bytes(path, gbk.write_file("RES", batch, [
            {"payment_id": r.payment_id, "account_number": i.account_number,
             "amount_fen": i.amount_fen, "outcome": _OUTCOME_CODES[r.outcome],
             "bank_reference": r.bank_reference or "", "reason": r.reason}
            for r, i in answered], self._key))

    def read_results(self, path: Path, instructed: Mapping[str, PaymentInstruction]
                     ) -> tuple[list[BankResult], list[ResultMismatch]]:
        found = gbk.read_file(path.read_bytes(), self._key, kind="RES")
        results, mismatches = [], []
        for d in found.details:
            sent = instructed.get(d["payment_id"])
            stated_amount = int(d["amount_fen"])
            kind = _mismatch(sent, d["account_number"], stated_amount)
            if kind is not None:
                mismatches.append(ResultMismatch(
                    found.batch, d["payment_id"], kind, sent.amount_fen if sent else None,
                    stated_amount, sent.account_number if sent else None,
                    d["account_number"], _OUTCOMES.get(d["outcome"], d["outcome"]),
                    d["bank_reference"]))
                continue
            results.append(_checked_result(d["payment_id"], _OUTCOMES.get(d["outcome"], "?"),
                                           d["bank_reference"], d["reason"], path.name))
        return results, mismatches


def _mismatch(sent: PaymentInstruction | None, account: str, amount_fen: int
              ) -> Literal["not_in_batch", "amount_differs", "account_differs",
                           "amount_and_account_differ"] | None:
    if sent is None:
        return "not_in_batch"
    amount_ok, account_ok = sent.amount_fen == amount_fen, sent.account_number == account
    if not (amount_ok or account_ok):
        return "amount_and_account_differ"
    if not amount_ok:
        return "amount_differs"
    return None if account_ok else "account_differs"


def _write_bytes(path: Path, content: bytes) -> None:
    """Write a file atomically: a temporary name, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


class BatchFileBank:
    def __init__(self, directory: Path, *, result_timeout_s: float = 60.0,
                 settle_ms: int = 200, poll_s: float = 0.1,
                 file_format: BankFileFormat | None = None) -> None:
        self.outbox, self.inbox = directory / "outbox", directory / "inbox"
        self.format = file_format or CsvFormat()
        self.mismatches: list[ResultMismatch] = []
        self._disputed: dict[str, ResultMismatch] = {}
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
        sfx = self.format.suffix
        disputed = sorted(i.payment_id for i in instructions if i.payment_id in self._disputed)
        if disputed:  # never sent again
            raise BankUnavailable(f"the bank answered {len(disputed)} payments otherwise than "
                                  f"instructed (batch {self._disputed[disputed[0]].batch} "
                                  "first); not sent again")
        try:
            self.format.write_instructions(self.outbox / f"instructions-{batch}{sfx}", batch,
                                           instructions)
        except OSError as exc:  # the exchange directory is away (unmounted, full, ...)
            raise BankUnavailable(f"cannot write batch {batch}: {exc}") from exc
        wanted = {i.payment_id for i in instructions}
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            self._refresh([self.inbox / f"results-{batch}{sfx}"])
            if wanted <= self._known.keys() | self._disputed.keys():
                self._not_disputed(wanted)
                return [self._known[p] for p in wanted]
            await asyncio.sleep(self._poll)
        self._withdraw(self.outbox / f"instructions-{batch}{sfx}")
        raise BankUnavailable(f"no results file answered batch {batch} within {self._timeout}s;"
                              " withdrawn")

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        """What the bank answered for these payments. Files of ours that hold the others and
        that the bank has not taken are withdrawn; one it took and has not answered raises
        `BankUnavailable` (those payments are in flight), and so does a payment it answered
        otherwise than instructed (`PaymentsDisputed`: in dispute until it answers it
        again)."""
        sfx = self.format.suffix
        self._refresh(sorted(self.inbox.glob(f"results-*{sfx}")))
        unanswered = {p for p in payment_ids if p not in self._known}
        if unanswered:
            for path in sorted(self.outbox.glob(f"instructions-*{sfx}")):
                if unanswered & self._payment_ids(path):
                    self._withdraw(path)
            for path in sorted((self.outbox / "taken").glob(f"instructions-*{sfx}")):
                answer = self.inbox / f"results-{path.stem.removeprefix('instructions-')}{sfx}"
                if answer.name not in self._read and unanswered & self._payment_ids(path):
                    raise BankUnavailable(f"the bank took {path.name} and has not answered it")
            self._not_disputed(payment_ids, unanswered)
        return [self._known[p] for p in payment_ids if p in self._known]

    def _not_disputed(self, asked: Iterable[str], unanswered: Iterable[str] | None = None
                      ) -> None:
        """`PaymentsDisputed` when the bank answered any of the payments `asked` about (that
        it has not answered as instructed) otherwise than instructed, with its results for
        the others."""
        asked = list(asked)
        disputed = sorted(p for p in (asked if unanswered is None else unanswered)
                          if p in self._disputed)
        if disputed:
            held = set(disputed)
            raise PaymentsDisputed(
                f"the bank answered {len(disputed)} payments otherwise than instructed "
                f"(batch {self._disputed[disputed[0]].batch} first); they wait for its "
                "corrected results", held,
                [self._known[p] for p in asked if p in self._known and p not in held])

    def take_mismatches(self) -> list[ResultMismatch]:
        """The result lines not applied since last asked (the payer reports them)."""
        taken, self.mismatches = self.mismatches, []
        return taken

    def _payment_ids(self, path: Path) -> set[str]:
        return {i.payment_id for i in self._instructed(path)}

    def _instructed(self, path: Path) -> list[PaymentInstruction]:
        try:
            return self.format.read_instructions(path)
        except FileNotFoundError:  # taken or withdrawn meanwhile
            return []

    def _batch_instructions(self, batch: str) -> dict[str, PaymentInstruction]:
        """What we instructed in `batch`, wherever its file is now."""
        name = f"instructions-{batch}{self.format.suffix}"
        for place in (self.outbox / "taken", self.outbox, self.outbox / "withdrawn"):
            found = self._instructed(place / name)
            if found:
                return {i.payment_id: i for i in found}
        return {}

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
            batch = path.stem.removeprefix("results-")
            results, mismatches = self.format.read_results(
                path, self._batch_instructions(batch))
            for mismatch in mismatches:
                log.error("batch %s: the result for payment %s differs from its instruction "
                          "(%s); not applied", mismatch.batch, mismatch.payment_id, mismatch.kind)
            self.mismatches += mismatches
            self._disputed.update((m.payment_id, m) for m in mismatches
                                  if m.disputes_a_payment)
            for result in results:  # answered as instructed: a dispute is settled
                self._disputed.pop(result.payment_id, None)
            self._known.update((r.payment_id, r) for r in results)
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
