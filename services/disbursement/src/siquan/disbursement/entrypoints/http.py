"""Disbursement's operator API: disbursement officers register payee accounts, start payment
runs and retry a run's failed and returned payments; auditors may look at runs. Every call
is authenticated; roles and division scope are enforced; each runs in one unit of work.
A resident ID becomes a person key here and goes no further. Account numbers are answered
masked."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

from siquan.contracts.types import (
    DivisionCode,
    Period,
    ProgramCode,
    ResidentId,
    mask_resident_id,
)
from siquan.disbursement.adapters import gbk_batch_file as gbk
from siquan.disbursement.application import (
    accounts,
    queries,
    recovery,
    retries,
    runs,
    statements,
)
from siquan.disbursement.domain.errors import InvalidRequest, Refused
from siquan.disbursement.domain.payment_run import RunStatus
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.sharing import EvidenceKind, PayeeAgent
from siquan.disbursement.domain.statement import StatementLine
from siquan.disbursement.settings import DisbursementSettings
from siquan.shared.auth import Officer, require_role
from siquan.shared.http_guard import Limit, Offset
from siquan.shared.person import account_fingerprint, person_key
from siquan.shared.runtime import Runtime, ServiceRuntime

router = APIRouter()


class PayeeAgentBody(BaseModel):
    """Who collects for the beneficiary (代领人) and on what evidence. The account named
    with it is the agent's own, under the agent's name (`account_name`)."""

    resident_id: ResidentId = Field(description="The agent's resident ID (never answered)")
    evidence_kind: EvidenceKind = Field(description="What the agency rests on: a power of "
                                                    "attorney (委托书) or a guardianship (监护)")
    evidence_reference: str = Field(min_length=1, max_length=64,
                                    description="The document's reference (e.g. its number)",
                                    examples=["(2026)委字第12号"])

    @field_validator("evidence_reference")
    @classmethod
    def _plain(cls, reference: str) -> str:
        if reference != reference.strip() or not reference.isprintable():
            raise ValueError("the evidence reference may not begin or end with spaces or "
                             "hold a control character")
        return reference

    def agent(self, secret: str) -> PayeeAgent:
        return PayeeAgent(person_key(secret, self.resident_id),
                          mask_resident_id(self.resident_id), self.evidence_kind,
                          self.evidence_reference)


class RegisterPayeeAccount(BaseModel):
    """The division is not asked: it is the one of the certification disbursement holds
    for the person (a `division_code` sent by an older client is ignored)."""

    resident_id: ResidentId
    bank_code: str = Field(pattern=r"^[A-Z0-9]{3,12}$",
                           description="Bank identifier (CNAPS bank code or short name)",
                           examples=["102", "ICBC"])
    account_number: str = Field(pattern=r"^[0-9]{12,30}$",
                                description="Account or card number: 12 to 30 digits",
                                examples=["6222021234567890123"])
    account_name: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="The account holder's name (户名) as the bank holds it. Written into "
                    "the fixed-width GBK 代发 file (required where disbursement writes "
                    "one), never published; a name GBK cannot encode is refused (422)",
        examples=["朱镕基"])

    @field_validator("account_name")
    @classmethod
    def _writable_in_gbk(cls, name: str | None) -> str | None:
        if name is None:
            return None
        if name != name.strip() or not name.isprintable():
            raise ValueError("the account holder's name may not begin or end with spaces "
                             "or hold a control character")
        refusal = gbk.gbk_refusal(name)
        if refusal is not None:
            raise ValueError(refusal)
        return name

    def account(self, settings: object) -> PayeeAccount:
        """The account named, refused (422) without a holder's name where the bank's
        file needs one."""
        assert isinstance(settings, DisbursementSettings)
        if self.account_name is None and settings.bank_adapter == "batch_file" \
                and settings.bank_file_format == "gbk":
            raise InvalidRequest("account_name is required: the bank's 代发 file names the "
                                 "account holder")
        return PayeeAccount(self.bank_code, self.account_number, self.account_name or "")


    def fingerprint(self, secret: str) -> str:
        return account_fingerprint(secret, self.bank_code, self.account_number)


class RegisterPayeeAccountBody(RegisterPayeeAccount):
    agent: PayeeAgentBody | None = Field(
        default=None, description="A payee agent who collects for the beneficiary: the "
                                  "account is then the agent's")


class ConfirmPayeeAccount(RegisterPayeeAccount):
    """The checker re-enters the changed account from the request it confirms."""


class EndAgencyBody(BaseModel):
    resident_id: ResidentId = Field(description="The beneficiary's resident ID")


class StartPaymentRun(BaseModel):
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode


Disburser = Annotated[Officer, Depends(require_role("disbursement_officer"))]


@router.post("/payee-accounts", status_code=201)
async def register_payee_account(body: RegisterPayeeAccountBody, rt: Runtime,
                                 officer: Disburser, response: Response) -> dict[str, Any]:
    """Register a beneficiary's account, or change it; with `agent`, the account of a payee
    agent who collects for the beneficiary. The officer's scope must cover the division of
    the certification held for the person (403 otherwise; 404 when none is held). A change
    is paid only after a second officer confirms it (`POST /payee-accounts/confirmations`):
    `awaiting_confirmation` says so; so is an account that already receives for another
    payee outside the household and any recorded agency (`held_reason` says why)."""
    secret = rt.settings.person_key_secret
    command = accounts.RegisterPayeeAccount(
        officer, person_key(secret, body.resident_id), body.account(rt.settings),
        body.fingerprint(secret), None if body.agent is None else body.agent.agent(secret))
    async with rt.units() as uow:
        registration = await accounts.register_payee_account(command, uow)
    if not registration.changed:
        response.status_code = 200
    return _registration(registration)


def _registration(registration: accounts.Registration) -> dict[str, Any]:
    return {"person_key": registration.person_key,
            "masked_account": registration.masked_account,
            "changed": registration.changed,
            "replaces_previous": registration.replaces_previous,
            "awaiting_confirmation": registration.awaiting_confirmation,
            "division_code": registration.division_code,
            "collected_by_agent": registration.collected_by_agent,
            "held_reason": registration.held_reason}


@router.post("/payee-accounts/agency-endings", status_code=201)
async def end_agency(body: EndAgencyBody, rt: Runtime, officer: Disburser) -> dict[str, Any]:
    """End the payee agency: the beneficiary's own latest account becomes current again,
    paid once a second officer confirms the change. 404 when no agent collects for the
    person, 409 when the beneficiary has no account of their own."""
    command = accounts.EndAgency(officer,
                                 person_key(rt.settings.person_key_secret, body.resident_id))
    async with rt.units() as uow:
        return _registration(await accounts.end_agency(command, uow))


@router.get("/duplicates")
async def list_duplicates(rt: Runtime, officer: Annotated[Officer, Depends(
        require_role("disbursement_officer", "auditor"))]) -> dict[str, Any]:
    """Accounts that receive for payees no household and no recorded agency links, within
    the officer's scope: the account masked and by its keyed fingerprint, the payees by
    person key."""
    async with rt.units.reading() as uow:
        found = await accounts.duplicates(uow, officer)
    return {"duplicates": found, "total": len(found)}


@router.post("/payee-accounts/confirmations", status_code=201)
async def confirm_payee_account(body: ConfirmPayeeAccount, rt: Runtime, officer: Disburser
                                ) -> dict[str, Any]:
    """Confirm, as the second disbursement officer, a change of account another officer
    registered (the same account re-entered). 403 for the officer who made the change or
    out of scope, 404 when no change awaits confirmation, 409 when the account differs."""
    command = accounts.ConfirmPayeeAccount(
        officer, person_key(rt.settings.person_key_secret, body.resident_id),
        body.account(rt.settings))
    async with rt.units() as uow:
        confirmed = await accounts.confirm_payee_account(command, uow)
    return {"person_key": confirmed.person_key, "masked_account": confirmed.masked_account,
            "registered_by": confirmed.registered_by, "confirmed_by": confirmed.confirmed_by,
            "division_code": confirmed.division_code}


@router.post("/runs", status_code=201)
async def start_run(body: StartPaymentRun, rt: Runtime, officer: Disburser) -> dict[str, Any]:
    command = runs.StartPaymentRun(officer, body.program_code, body.period,
                                   body.division_code, _rules(rt))
    async with rt.units() as uow:
        started = await runs.start_run(command, uow)
    return _started(started)


@router.post("/runs/{run_id}/retries", status_code=201)
async def retry_run(run_id: str, rt: Runtime, officer: Disburser) -> dict[str, Any]:
    """Pay again, as a retry run, the run's failed and returned payments whose account has
    been corrected since; the others are listed as skipped with the reason."""
    rules = _rules(rt)
    command = retries.RetryRun(officer, run_id, rules.account_change_flag_days,
                               rules.chunk_size)
    async with rt.units() as uow:
        started = await retries.retry_run(command, uow)
    return _started(started)


@router.post("/runs/{run_id}/statements", status_code=201)
async def import_statement(run_id: str, rt: Runtime, officer: Disburser,
                           file: Annotated[UploadFile, File()], response: Response
                           ) -> dict[str, Any]:
    """Import the bank's statement for the run (a GBK statement file, docs/BANK_FILES.md)
    and reconcile it line by line with the run's settled payments on payment id, amount
    and account. 422 for a file whose digest or control totals do not hold (an edited
    file) or that is not a statement; 409 when no bank file key is configured. Each
    difference is stored and published (`bank_statement.difference.v1`); the same file
    again answers the first import (200) and publishes nothing."""
    settings = rt.settings
    assert isinstance(settings, DisbursementSettings)
    if not settings.bank_key_usable:
        raise Refused("bank statements cannot be verified: SIQUAN_BANK_FILE_KEY is not set")
    content = await file.read()
    statement = _statement(content, settings.bank_file_key)
    command = statements.ImportStatement(
        officer, run_id, statement.batch, hashlib.sha256(content).hexdigest(),
        [StatementLine(n, d["payment_id"], d["account_number"], int(d["amount_fen"]),
                       d["bank_reference"]) for n, d in enumerate(statement.details, 1)],
        statement.total_fen)
    async with rt.units() as uow:
        imported = await statements.import_statement(command, uow)
    if imported.already_imported:
        response.status_code = 200
    return {"statement_id": imported.statement_id, "run_id": imported.run_id,
            "batch": imported.batch, "sha256": imported.sha256,
            "control_totals": {"line_count": imported.line_count,
                               "total_fen": imported.total_fen},
            "matched": imported.matched, "already_imported": imported.already_imported,
            "imported_by": imported.imported_by,
            "imported_at": imported.imported_at.isoformat(),
            "differences": [asdict(d) for d in imported.differences]}


def _statement(content: bytes, key: str) -> gbk.BankFile:
    """The statement once the file can be trusted (422 otherwise; the reason names no
    account or amount)."""
    try:
        return gbk.read_file(content, key.encode("utf-8"), kind="STM")
    except gbk.EditedFile as exc:
        raise InvalidRequest(f"statement refused: {exc}") from None
    except gbk.MalformedFile as exc:
        raise InvalidRequest(f"statement refused: not a GBK statement file ({exc})") from None


def _rules(rt: ServiceRuntime[Any]) -> runs.RunRules:
    settings = rt.settings
    assert isinstance(settings, DisbursementSettings)
    return runs.RunRules(arrears_max_periods=settings.arrears_max_periods,
                         account_change_flag_days=settings.account_change_flag_days,
                         chunk_size=settings.payment_chunk_size)


def _started(started: runs.StartedRun) -> dict[str, Any]:
    run = started.run
    return {"run_id": run.id, "kind": run.kind, "retry_of": run.retry_of,
            "status": run.status, "policy_version": run.policy_version,
            "control_totals": {"payee_count": run.payee_count, "total_fen": run.total_fen},
            "arrears": {"count": started.arrears_count, "amount_fen": started.arrears_fen},
            "skipped": [{"person_key": s.person_key, "certification_id": s.certification_id,
                         "reason": s.reason} for s in started.skipped],
            "flags": [{"person_key": f.person_key, "certification_id": f.certification_id,
                       "reason": f.reason, "registered_at": f.registered_at.isoformat()}
                      for f in started.flags]}


@router.get("/certifications")
async def count_certifications(rt: Runtime, officer: Annotated[Officer, Depends(
        require_role("disbursement_officer", "auditor"))],
                               program_code: Annotated[str, Query(pattern=r"^[a-z_]{3,64}$")],
                               division_code: Annotated[str, Query(pattern=r"^\d{6}$")],
                               ) -> dict[str, Any]:
    """How many certifications of a program this service holds in force today."""
    async with rt.units.reading() as uow:
        active = await queries.count_active(uow, officer, program_code, division_code)
    return {"program_code": program_code, "division_code": division_code, "active": active}


Reader = Annotated[Officer, Depends(require_role("disbursement_officer", "auditor"))]


@router.get("/runs")
async def list_runs(rt: Runtime, officer: Reader,
                    program_code: Annotated[str | None, Query(
                        pattern=r"^[a-z][a-z0-9_]{2,63}$")] = None,
                    period: Annotated[str | None, Query(
                        pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-S[12]|-O\d{1,4})?$")] = None,
                    status: RunStatus | None = None,
                    division_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
                    limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Payment runs within the officer's division (or the division asked for, which the
    officer's scope must cover: 403 otherwise), latest first, filtered by program, period
    and status, a page at a time: each with its control totals, its payments counted by
    outcome (paid, returned, failed, cancelled, pending; skipped payees) and the amounts in
    fen. `total` is how many runs match."""
    async with rt.units.reading() as uow:
        return await queries.search_runs(uow, officer, program_code=program_code,
                                         period=period, status=status,
                                         division_code=division_code, limit=limit,
                                         offset=offset)


@router.get("/runs/{run_id}")
async def show_run(run_id: str, rt: Runtime, officer: Annotated[Officer, Depends(
        require_role("disbursement_officer", "auditor"))]) -> dict[str, Any]:
    async with rt.units.reading() as uow:
        return await queries.show_run(uow, officer, run_id)


class RecordRepaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: int = Field(gt=0, description="Amount paid back into the special account, "
                                              "in fen; at most what is outstanding")
    reference: str = Field(default="", max_length=64,
                           description="The bank's or the office's reference of the "
                                       "repayment")


class ProposeWriteOffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500,
                        description="Why what is outstanding cannot be recovered")


ReceivableStatus = Literal["open", "partly_repaid", "repaid", "offset", "written_off"]


@router.get("/receivables")
async def list_receivables(rt: Runtime, officer: Reader,
                           program_code: Annotated[str | None, Query(
                               pattern=r"^[a-z][a-z0-9_]{2,63}$")] = None,
                           status: ReceivableStatus | None = None) -> dict[str, Any]:
    """Receivables (追回) within the officer's division: money settled for periods after
    a certification ended, with what was repaid, offset and written off, what is
    outstanding and the status (open, partly_repaid, repaid, offset, written_off)."""
    async with rt.units.reading() as uow:
        found = await recovery.list_receivables(uow, officer, program_code=program_code,
                                                status=status, person_key=None)
    return {"total": len(found), "receivables": found}


@router.get("/receivables/{receivable_id}")
async def show_receivable(receivable_id: str, rt: Runtime, officer: Reader) -> dict[str, Any]:
    """One receivable with its overpaid payments (payment id, run, period, fen)."""
    async with rt.units.reading() as uow:
        return await recovery.show_receivable(uow, officer, receivable_id)


@router.post("/receivables/{receivable_id}/repayments", status_code=201)
async def record_repayment(receivable_id: str, body: RecordRepaymentBody, rt: Runtime,
                           officer: Disburser) -> dict[str, Any]:
    """Record money paid back (full or partial): 404 for no such receivable, 409 when it
    exceeds what is outstanding or nothing is."""
    async with rt.units() as uow:
        return await recovery.record_repayment(recovery.RecordRepayment(
            officer, receivable_id, body.amount_fen, body.reference), uow)


@router.post("/receivables/{receivable_id}/write-offs", status_code=201)
async def propose_write_off(receivable_id: str, body: ProposeWriteOffBody, rt: Runtime,
                            officer: Disburser) -> dict[str, Any]:
    """Propose writing off what is outstanding; a second officer approves it."""
    async with rt.units() as uow:
        return await recovery.propose_write_off(recovery.ProposeWriteOff(
            officer, receivable_id, body.reason), uow)


@router.post("/receivables/{receivable_id}/write-offs/{proposal_id}/approval")
async def approve_write_off(receivable_id: str, proposal_id: str, rt: Runtime,
                            officer: Disburser) -> dict[str, Any]:
    """A second officer approves a proposed write-off: 403 when the proposer tries
    (maker-checker), 409 when the receivable changed since it was proposed."""
    async with rt.units() as uow:
        return await recovery.approve_write_off(recovery.ApproveWriteOff(
            officer, receivable_id, proposal_id), uow)
