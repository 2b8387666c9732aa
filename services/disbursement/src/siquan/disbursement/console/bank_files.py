"""The bank files of a payment run on its page, when the county reaches its bank by batch
files (`SIQUAN_BANK_ADAPTER=batch_file`, docs/BANK_FILES.md): the officer downloads each
instruction file to carry it to the bank, and uploads the bank's result file.

- Downloading a file the bank has not taken yet hands it to the bank: it is moved into
  `outbox/taken/` as the bank's own transfer job would, so it is never withdrawn while the
  bank holds it (its payments are in flight until answered). A withdrawn file is not
  handed out: its payments are sent again in a new batch.
- An uploaded result file is read as the payer reads it — against what the batch
  instructed (for GBK files, the digest and control totals first, then each line's id,
  amount and account) — and each line's outcome is shown: paid, failed with the bank's
  reason, or not applied and why. The file is then put in `inbox/results-<batch>` where
  the payer takes it: the payments settle or fail there, once. A batch answered already
  is refused (409), unless the bank answered payments of it otherwise than instructed and
  they are still pending: its corrected results file (更正回盘) then replaces the first,
  and the payer reads it again (docs/BANK_FILES.md)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from siquan.disbursement.adapters.batch_file_bank import (
    BankFileFormat,
    CsvFormat,
    GbkFormat,
)
from siquan.disbursement.application import queries
from siquan.disbursement.console.reasons import translated as in_language
from siquan.shared.accounts.role_pages import RolePages
from siquan.shared.accounts.store import Session
from siquan.shared.errors import InvalidRequest, NotFound, Refused

_BATCH = re.compile(r"^[0-9a-f-]{36}-[A-Za-z0-9_-]{1,27}$")
MAX_RESULT_BYTES = 20_000_000


def _(message: str) -> str:
    return message


STATES = {"outbox": _("Waiting to be taken to the bank"), "taken": _("With the bank"),
          "withdrawn": _("Withdrawn (sent again in another batch)"),
          "answered": _("Answered by the bank")}
LINE_OUTCOMES = {"settled": _("Paid"), "failed": _("Failed"),
                 "not_in_batch": _("Not applied: not a payment of this batch"),
                 "amount_differs": _("Not applied: the amount differs from the instruction"),
                 "account_differs": _("Not applied: the account differs from the instruction"),
                 "amount_and_account_differ": _("Not applied: the amount and the account "
                                                "differ from the instruction")}
NO_BATCH = _("No such bank file of this run.")
WITHDRAWN = _("This file was withdrawn: its payments are sent again in another batch.")
ANSWERED = _("The bank's results for this batch were received already.")
CHOOSE = _("Choose the batch and the bank's result file.")
UNREADABLE = _("The result file cannot be used: %(reason)s")


class BankDirectory:
    """The exchange directory of the batch-file bank, as the console sees it."""

    def __init__(self, directory: Path, file_format: BankFileFormat) -> None:
        self.outbox, self.inbox, self.format = directory / "outbox", directory / "inbox", \
            file_format

    def name(self, batch: str) -> str:
        return f"instructions-{batch}{self.format.suffix}"

    def answer(self, batch: str) -> Path:
        return self.inbox / f"results-{batch}{self.format.suffix}"

    def batches(self, run_id: str) -> list[dict[str, str]]:
        """The run's instruction files: batch, where it is and its state."""
        found: dict[str, dict[str, str]] = {}
        prefix = f"instructions-{run_id}-"
        for place, folder in (("withdrawn", self.outbox / "withdrawn"),
                              ("outbox", self.outbox), ("taken", self.outbox / "taken")):
            for path in sorted(folder.glob(f"{prefix}*{self.format.suffix}")):
                batch = path.name.removeprefix("instructions-").removesuffix(
                    self.format.suffix)
                state = "answered" if self.answer(batch).exists() else place
                found[batch] = {"batch": batch, "place": place, "state": state}
        return sorted(found.values(), key=lambda b: b["batch"])

    def hand_over(self, run_id: str, batch: str) -> bytes:
        """The file's content; a file still in the outbox is moved to `taken/` first."""
        if not batch.startswith(f"{run_id}-") or not _BATCH.match(batch):
            raise NotFound(NO_BATCH)
        name = self.name(batch)
        taken = self.outbox / "taken"
        taken.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self.outbox / name, taken / name)
        except FileNotFoundError:
            pass  # taken already, or withdrawn
        try:
            return (taken / name).read_bytes()
        except FileNotFoundError:
            if (self.outbox / "withdrawn" / name).exists():
                raise Refused(WITHDRAWN) from None
            raise NotFound(NO_BATCH) from None

    def receive(self, run_id: str, batch: str, content: bytes, *, correcting: bool = False
                ) -> list[dict[str, Any]]:
        """Each line's outcome against the batch's instructions; the file is then the
        payer's. `correcting`: the batch has payments in dispute, and this file is the
        bank's corrected results, in place of its first answer."""
        if not batch.startswith(f"{run_id}-") or not _BATCH.match(batch):
            raise NotFound(NO_BATCH)
        name = self.name(batch)
        path = next((p for p in (self.outbox / "taken" / name, self.outbox / name)
                     if p.exists()), None)
        if path is None:
            raise NotFound(NO_BATCH)
        answer = self.answer(batch)
        if answer.exists() and not correcting:
            raise Refused(ANSWERED)
        instructed = {i.payment_id: i for i in self.format.read_instructions(path)}
        self.inbox.mkdir(parents=True, exist_ok=True)
        upload = self.inbox / f".upload-{uuid.uuid4().hex}{self.format.suffix}"
        upload.write_bytes(content)
        try:
            results, mismatches = self.format.read_results(upload, instructed)
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            upload.unlink(missing_ok=True)
            raise InvalidRequest(_reason(exc)) from None
        lines = [{"payment_id": r.payment_id,
                  "outcome": r.outcome if r.payment_id in instructed else "not_in_batch",
                  "bank_reference": r.bank_reference or "", "reason": r.reason}
                 for r in results]
        lines += [{"payment_id": m.payment_id, "outcome": m.kind,
                   "bank_reference": m.bank_reference, "reason": ""} for m in mismatches]
        try:
            if correcting:
                os.replace(upload, answer)
            else:
                os.link(upload, answer)  # never over a result file that arrived meanwhile
        except FileExistsError:
            raise Refused(ANSWERED) from None
        finally:
            upload.unlink(missing_ok=True)
        return lines


def _reason(exc: Exception) -> str:
    """Why a result file is refused, without any account or amount of it."""
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, KeyError):
        return f"a line lacks the column {exc}"
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith((".upload-", "results-")) else text


def directory(settings: Any) -> BankDirectory | None:
    """The exchange directory when the bank is reached by batch files, else None."""
    if settings.bank_adapter != "batch_file":
        return None
    file_format: BankFileFormat = (GbkFormat(settings.bank_file_key)
                                   if settings.bank_file_format == "gbk" else CsvFormat())
    return BankDirectory(Path(settings.bank_dir), file_format)


def install(router: APIRouter, pages: RolePages, base: str,
            run_page: Any) -> None:
    """The download and upload routes of the run page (`run_page(request, session,
    run_id, problem=, status=, bank_lines=)` renders it)."""

    def translated(request: Request, refusal: Refused) -> str:
        text = str(refusal)
        if text in (NO_BATCH, WITHDRAWN, ANSWERED):
            return pages.gettext(request, text)
        return pages.gettext(request, UNREADABLE) % {"reason": text}

    async def allowed(request: Request, session: Session, run_id: str
                      ) -> BankDirectory | Response:
        found = directory(request.app.state.runtime.settings)
        try:
            async with request.app.state.runtime.units.reading() as uow:
                await queries.show_run(uow, session.officer.officer(), run_id)
        except Refused as refusal:
            return pages.refused(request, session, in_language(
                str(refusal), lambda text: pages.gettext(request, text)), refusal.status)
        if found is None:
            return pages.refused(request, session, pages.gettext(request, NO_BATCH), 404)
        return found

    @router.get("/runs/{run_id}/bank-files/{batch}")
    async def instruction_file(request: Request, run_id: str, batch: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        found = await allowed(request, session, run_id)
        if isinstance(found, Response):
            return found
        try:
            content = found.hand_over(run_id, batch)
        except Refused as refusal:
            return await run_page(request, session, run_id,
                                  problem=translated(request, refusal),
                                  status=refusal.status)
        name = found.name(batch)
        return Response(content, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="{quote(name)}"',
            "Cache-Control": "no-store"})

    @router.post("/runs/{run_id}/bank-results")
    async def result_file(request: Request, run_id: str) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        found = await allowed(request, session, run_id)
        if isinstance(found, Response):
            return found
        batch = str(form.get("batch", "")).strip()
        upload = form.get("file")
        if not batch or not isinstance(upload, UploadFile) or not upload.filename:
            return await run_page(request, session, run_id, status=422,
                                  problem=pages.gettext(request, CHOOSE))
        content = await upload.read(MAX_RESULT_BYTES + 1)
        try:
            if len(content) > MAX_RESULT_BYTES:
                raise InvalidRequest("the file is larger than 20 MB")
            async with request.app.state.runtime.units.reading() as uow:
                disputed = await uow.payments.disputed(run_id)
            lines = found.receive(run_id, batch, content,
                                  correcting=batch in disputed.batches)
        except Refused as refusal:
            return await run_page(request, session, run_id,
                                  problem=translated(request, refusal),
                                  status=refusal.status)
        return await run_page(request, session, run_id, bank_lines=lines, answered=batch)


def context(request: Request, pages: RolePages, run_id: str) -> dict[str, Any]:
    """What the run page shows of the bank files (nothing with the simulated bank)."""
    found = directory(request.app.state.runtime.settings)
    if found is None:
        return {"bank_files": None}
    return {"bank_files": found.batches(run_id),
            "bank_states": {k: pages.gettext(request, v) for k, v in STATES.items()},
            "line_outcomes": {k: pages.gettext(request, v)
                              for k, v in LINE_OUTCOMES.items()}}
