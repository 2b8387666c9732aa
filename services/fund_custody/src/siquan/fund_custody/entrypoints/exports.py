"""Fund custody's documents and the monthly report over HTTP. A document is its own
resource, named by its format: `GET /statements/{program}/{year}/{division}.xlsx` and
`.pdf` (the year-end statement of `GET /statements/…`), `GET /reports/monthly/{program}/
{month}/{division}` (JSON) and `.xlsx`. This router is included before the JSON one, whose
`{division_code}` would otherwise take the extension."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from siquan.fund_custody.application import documents, reports, statements
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer, require_role
from siquan.shared.documents import NO_FONT, PDF, XLSX, file_response, file_responses
from siquan.shared.documents.pdf import render
from siquan.shared.runtime import Runtime

router = APIRouter(tags=["documents"])
Reader = Annotated[Officer, Depends(require_role("treasury_officer", "auditor"))]
Program = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{2,63}$")]
Year = Annotated[int, Path(ge=2000, le=2100, description="Fiscal year")]
Division = Annotated[str, Path(pattern=r"^[0-9]{6}$",
                               description="County, city (…00) or province (…0000)")]
Month = Annotated[str, Path(pattern=r"^2[01][0-9]{2}-(0[1-9]|1[0-2])$",
                            description="The month reported, YYYY-MM")]
STATEMENT = "/statements/{program_code}/{fiscal_year}/{division_code}"
REPORT = "/reports/monthly/{program_code}/{month}/{division_code}"
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside the officer's division"},
    404: {"description": "No special account (or no statement) for it"}}


class Span(BaseModel):
    forecast_fen: int = Field(description="Owed for the periods that start in the span")
    appropriated_fen: int = Field(description="Booked into the account in the span")
    spent_fen: int = Field(description="Paid for those periods, net of returns")
    outstanding_fen: int = Field(ge=0, description="forecast − appropriated, never "
                                                   "negative, per county account")


class LevelFigures(BaseModel):
    fiscal_level: str
    month: Span
    year_to_date: Span


class Totals(BaseModel):
    month: Span
    year_to_date: Span


class ReportPart(BaseModel):
    division_code: str = Field(description="A county (a county's or city's report) or a "
                                           "city (a province's)")
    accounts: int
    levels: list[LevelFigures]
    totals: Totals


class MonthlyReport(BaseModel):
    program_code: str
    month: str
    fiscal_year: int
    division_code: str
    report_level: str = Field(description="county, city or province")
    accounts: int = Field(description="Special accounts summed")
    levels: list[LevelFigures]
    totals: Totals
    parts: list[ReportPart]


async def _statement(rt: Runtime, officer: Officer, program_code: str, fiscal_year: int,
                     division_code: str) -> dict[str, Any]:
    key = AccountKey(program_code, fiscal_year, division_code)
    async with rt.units.reading() as uow:
        return statements.as_dict(await statements.statement_of(uow, officer, key))


@router.get(f"{STATEMENT}.xlsx", response_class=Response,
            responses={**file_responses(XLSX, "The year-end statement as a spreadsheet"),
                       **ERRORS})
async def statement_xlsx(program_code: Program, fiscal_year: Year, division_code: Division,
                         rt: Runtime, officer: Reader) -> Response:
    found = await _statement(rt, officer, program_code, fiscal_year, division_code)
    return file_response(documents.statement_xlsx(found, rt.clock.zone), XLSX,
                         f"statement-{program_code}-{fiscal_year}-{division_code}")


@router.get(f"{STATEMENT}.pdf", response_class=Response,
            responses={**file_responses(PDF, "The year-end statement, printable (A4)"),
                       **ERRORS, **NO_FONT})
async def statement_pdf(program_code: Program, fiscal_year: Year, division_code: Division,
                        rt: Runtime, officer: Reader, request: Request) -> Response:
    found = await _statement(rt, officer, program_code, fiscal_year, division_code)
    printed = documents.statement_pdf(found, rt.clock.zone)
    content = await asyncio.to_thread(render, printed,
                                      request.app.state.runtime.settings.pdf_font,
                                      footer=f"结算编号 {found['statement_id']}")
    return file_response(content, PDF,
                         f"statement-{program_code}-{fiscal_year}-{division_code}")


async def _report(rt: Runtime, officer: Officer, program_code: str, month: str,
                  division_code: str) -> dict[str, Any]:
    async with rt.units.reading() as uow:
        return await reports.monthly_report(uow, officer, program_code, month, division_code)


@router.get(f"{REPORT}.xlsx", response_class=Response,
            responses={**file_responses(XLSX, "The monthly report as a spreadsheet"),
                       **ERRORS})
async def monthly_report_xlsx(program_code: Program, month: Month, division_code: Division,
                              rt: Runtime, officer: Reader) -> Response:
    report = await _report(rt, officer, program_code, month, division_code)
    return file_response(documents.report_xlsx(report, rt.clock.zone), XLSX,
                         f"monthly-{program_code}-{month}-{division_code}")


@router.get(REPORT, response_model=MonthlyReport, responses=ERRORS)
async def monthly_report(program_code: Program, month: Month, division_code: Division,
                         rt: Runtime, officer: Reader) -> dict[str, Any]:
    """The month's report upward (月报): per fiscal level, for the month and the year to
    date, forecast, appropriated, spent and outstanding (fen). A county's covers its
    account; a city's (…00) or province's (…0000) sums the accounts under its code, one
    part per county (a city's) or per city (a province's)."""
    return await _report(rt, officer, program_code, month, division_code)
