"""Fund custody's operator API: treasury officers record appropriations, ask for fund
forecasts and produce year-end statements; treasury officers and auditors read balances,
forecasts, statements and allocations. Authenticated; role and division enforced. Each
request is one unit of work of the runtime (read-only for the reads); a refused command
(`Refused`, which every broken fund rule also is) answers 4xx and changes nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from siquan.contracts.fund_custody_v1 import FiscalLevel
from siquan.contracts.types import DivisionCode, ProgramCode
from siquan.fund_custody.application import figures, forecasts, queries, recovery, statements
from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer, require_role
from siquan.shared.runtime import Runtime

router = APIRouter()
FiscalYear = Annotated[int, Field(ge=2000, le=2100, description="Fiscal year")]
YearInPath = Annotated[int, Path(ge=2000, le=2100, description="Fiscal year")]
ACCOUNT = "{program_code}/{fiscal_year}/{division_code}"


class RecordAppropriationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    program_code: ProgramCode
    fiscal_year: FiscalYear
    division_code: DivisionCode
    fiscal_level: FiscalLevel = Field(description="Which budget paid the money in")
    amount_fen: int = Field(gt=0, description="Amount paid in, in fen (positive)")
    document_number: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$",
        description="The budget document that paid the money in (拨款文号): recorded once "
                    "per special account, so submitting it again books nothing twice")


class LevelBalance(BaseModel):
    fiscal_level: FiscalLevel
    forecast_fen: int = Field(description="What the year's certifications are owed, this "
                                          "level's share (each certification counted in "
                                          "the periods it was payable in)")
    appropriated_fen: int = Field(description="What this level has paid in")
    spent_fen: int = Field(description="This level's share of what was paid out, net of "
                                       "returns (by the shares of each run's period)")
    outstanding_fen: int = Field(ge=0, description="forecast − appropriated, never negative")
    available_fen: int = Field(description="appropriated − spent + repaid into this "
                                           "account (a return is already net in spent, an "
                                           "offset never left; negative when this level's "
                                           "share was paid from others' money)")
    receivable_fen: int = Field(default=0, description="This level's share of money paid for "
                                                       "periods nothing was owed for (追回)")
    recovered_fen: int = Field(default=0, description="Of it, what was repaid (also by "
                                                     "the bank's return of an overpaid "
                                                     "payment) or offset")
    written_off_fen: int = Field(default=0, description="Of it, what was written off")
    receivable_outstanding_fen: int = Field(default=0,
                                            description="Of it, what is still owed back")


class BalanceTotals(BaseModel):
    forecast_fen: int
    appropriated_fen: int
    spent_fen: int
    outstanding_fen: int
    available_fen: int
    receivable_fen: int = 0
    recovered_fen: int = 0
    written_off_fen: int = 0
    receivable_outstanding_fen: int = 0


class PeriodBalance(BaseModel):
    period: str = Field(description="Payment period, e.g. 2026-06")
    certified: dict[str, int] = Field(description="Certifications in force in the period, "
                                                  "per category")
    certified_count: int
    forecast_fen: int = Field(description="What those certifications are owed for it")
    spent_fen: int = Field(description="Paid out for it, net of returns")


class WaitingRun(BaseModel):
    run_id: str
    period: str
    requested_fen: int
    shortfall_fen: int = Field(ge=0, description="What the account lacks to fund it")


class BalancesReport(BaseModel):
    program_code: str
    fiscal_year: int
    division_code: str
    frequency: str
    levels: list[LevelBalance]
    totals: BalanceTotals
    certified_in_year: int = Field(description="Certifications payable in at least one "
                                               "period of the year")
    periods: list[PeriodBalance]
    waiting_runs: list[WaitingRun]


ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside the officer's division"},
    404: {"description": "No special account for that program, year and division"},
    409: {"description": "No policy version covers the year"}}

Treasurer = Annotated[Officer, Depends(require_role("treasury_officer"))]
Reader = Annotated[Officer, Depends(require_role("treasury_officer", "auditor"))]


@router.post("/appropriations", status_code=201)
async def appropriate(body: RecordAppropriationBody, rt: Runtime, officer: Treasurer,
                      response: Response) -> dict[str, Any]:
    """201 when booked; 200 when its document was booked before (nothing changes)."""
    command = RecordAppropriation(
        AccountKey(body.program_code, body.fiscal_year, body.division_code),
        body.fiscal_level, body.amount_fen, body.document_number)
    async with rt.units() as uow:
        outcome = await record_appropriation(uow, officer, command)
    if not outcome.recorded:
        response.status_code = 200
    return {"appropriation_id": outcome.appropriation_id, "recorded": outcome.recorded,
            "available_fen": outcome.available_fen, "approved_runs": outcome.approved_runs}


@router.get(f"/accounts/{ACCOUNT}")
async def account(program_code: str, fiscal_year: YearInPath, division_code: str,
                  rt: Runtime, officer: Reader) -> dict[str, Any]:
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units.reading() as uow:
        return await queries.account_balances(uow, officer, key)


@router.get(f"/balances/{ACCOUNT}", response_model=BalancesReport, responses=ERRORS)
async def balances(program_code: str, fiscal_year: YearInPath, division_code: str,
                   rt: Runtime, officer: Reader) -> dict[str, Any]:
    """Per fiscal level: forecast, appropriated, spent, outstanding, available (fen); per
    period: what was certified in it; every waiting run with its shortfall."""
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units.reading() as uow:
        return await queries.balances_report(uow, officer, key)


@router.post(f"/forecasts/{ACCOUNT}", status_code=201)
async def forecast(program_code: str, fiscal_year: YearInPath, division_code: str,
                   rt: Runtime, officer: Treasurer, response: Response) -> dict[str, Any]:
    """Compute the forecast now: 201 with a new version, 200 when no figure changed."""
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units() as uow:
        stored, new = await forecasts.request_forecast(uow, officer, key)
    response.status_code = 201 if new else 200
    return figures.as_dict(key, stored)


@router.get(f"/forecasts/{ACCOUNT}")
async def read_forecast(program_code: str, fiscal_year: YearInPath, division_code: str,
                        rt: Runtime, officer: Reader,
                        version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units.reading() as uow:
        return await queries.forecast_of(uow, officer, key, version)


@router.post(f"/statements/{ACCOUNT}", status_code=201)
async def settle_year(program_code: str, fiscal_year: YearInPath, division_code: str,
                      rt: Runtime, officer: Treasurer, response: Response) -> dict[str, Any]:
    """Produce the year-end statement (201), or answer the one produced already (200)."""
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units() as uow:
        stored, new = await statements.produce_statement(uow, officer, key)
    response.status_code = 201 if new else 200
    return statements.as_dict(stored)


@router.get(f"/statements/{ACCOUNT}")
async def read_statement(program_code: str, fiscal_year: YearInPath, division_code: str,
                         rt: Runtime, officer: Reader) -> dict[str, Any]:
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units.reading() as uow:
        return statements.as_dict(await statements.statement_of(uow, officer, key))


@router.get("/receivables")
async def list_receivables(rt: Runtime, officer: Reader,
                           program_code: Annotated[str | None, Query(
                               pattern=r"^[a-z][a-z0-9_]{2,63}$")] = None,
                           fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                           division_code: Annotated[str | None, Query(
                               pattern=r"^\d{6}$")] = None) -> dict[str, Any]:
    """Receivables (追回) booked in the special accounts within the officer's division (403
    for a division outside it): each with its overpaid payments and, per fiscal level, what
    is owed back, recovered, written off and still outstanding."""
    async with rt.units.reading() as uow:
        found = await recovery.receivables_of(uow, officer, program_code=program_code,
                                              fiscal_year=fiscal_year,
                                              division_code=division_code)
    return {"total": len(found), "receivables": found}


@router.get("/allocations/{run_id}")
async def allocation(run_id: str, rt: Runtime, officer: Reader) -> dict[str, Any]:
    async with rt.units.reading() as uow:
        return await queries.allocation_status(uow, officer, run_id)
