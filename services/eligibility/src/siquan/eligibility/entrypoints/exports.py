"""Eligibility's documents over HTTP. A document is its own resource, named by the format
it is in: `GET /certifications.xlsx` (the roster, a page at a time, as the JSON roster
`GET /certifications` pages it) and `GET /notices/{notice_id}.pdf` (the public notice, to
print and post). This router is included before the JSON ones, whose `{…}` path
parameters would otherwise take the extension as part of an id."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from siquan.eligibility.application import exports
from siquan.eligibility.entrypoints.schemas import Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.documents import NO_FONT, PDF, XLSX, file_response, file_responses
from siquan.shared.documents.pdf import render
from siquan.shared.http_guard import MAX_PAGE, Limit, Offset
from siquan.shared.purpose import Purpose

router = APIRouter(tags=["documents"])
Reader = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver",
                                                 "auditor"))]
NoticeReader = Annotated[Officer, Depends(require_role(
    "clerk", "township_reviewer", "county_approver", "auditor"))]


@router.get("/certifications.xlsx", response_class=Response,
            responses=file_responses(XLSX, "The roster page as a spreadsheet"))
async def roster_xlsx(units: Units, officer: Reader, purpose: Purpose,
                      program_code: str | None = None, status: str | None = None,
                      limit: Limit = MAX_PAGE, offset: Offset = 0) -> Response:
    """The certifications within the officer's division, oldest approval first, with each
    holder's masked name and ID: a read of each record listed, recorded with its
    purpose (oversight sees it)."""
    async with units() as uow:
        content = await exports.roster(uow, officer, purpose, program_code, status,
                                       limit=limit, offset=offset)
    return file_response(content, XLSX, f"roster-{officer.division}-{offset + 1}")


@router.get("/notices/{notice_id}.pdf", response_class=Response,
            responses={**file_responses(PDF, "The public notice, printable (A4)"),
                       **NO_FONT})
async def notice_pdf(notice_id: str, units: Units, officer: NoticeReader, request: Request
                     ) -> Response:
    """The public notice (张榜公示) to post: masked names and IDs, township, category,
    the policy's amount, the notice's days."""
    async with units.reading() as uow:
        printed = await exports.notice(uow, officer, notice_id)
    settings = request.app.state.runtime.settings
    content = await asyncio.to_thread(render, printed, settings.pdf_font,
                                      footer=f"公示编号 {notice_id}")
    return file_response(content, PDF, f"notice-{notice_id}")
