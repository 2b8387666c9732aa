"""Disbursement's documents over HTTP: `GET /runs/{run_id}.xlsx`, the run of
`GET /runs/{run_id}` as a spreadsheet (its payments a page at a time), and
`GET /runs/{run_id}/statements/{statement_id}.xlsx`, a bank statement's
reconciliation. A document is its
own resource, named by its format; this router is included before the JSON one, whose
`{run_id}` would otherwise take the extension."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from siquan.disbursement.application import exports
from siquan.shared.auth import Officer, require_role
from siquan.shared.documents import XLSX, file_response, file_responses
from siquan.shared.http_guard import MAX_PAGE, Limit, Offset
from siquan.shared.runtime import Runtime

router = APIRouter(tags=["documents"])
Reader = Annotated[Officer, Depends(require_role("disbursement_officer", "auditor"))]


@router.get("/runs/{run_id}.xlsx", response_class=Response,
            responses={**file_responses(XLSX, "The run as a spreadsheet"),
                       403: {"description": "Outside the officer's division"},
                       404: {"description": "No such run"}})
async def run_xlsx(run_id: str, rt: Runtime, officer: Reader, limit: Limit = MAX_PAGE,
                   offset: Offset = 0) -> Response:
    """Sheet 1: the run's control totals and its payments per status (count, fen);
    sheet 2: its payments from `offset`, at most `limit` of them, account numbers masked."""
    async with rt.units.reading() as uow:
        content = await exports.run_xlsx(uow, officer, run_id, limit=limit, offset=offset)
    return file_response(content, XLSX, f"run-{run_id}-{offset + 1}")


@router.get("/runs/{run_id}/statements/{statement_id}.xlsx", response_class=Response,
            responses={**file_responses(XLSX, "The statement's reconciliation"),
                       403: {"description": "Outside the officer's division"},
                       404: {"description": "No such run or no such statement of it"}})
async def statement_xlsx(run_id: str, statement_id: str, rt: Runtime,
                         officer: Reader) -> Response:
    """Sheet 1: the imported statement (the bank's batch, its lines and sum, how many
    matched) beside the run's settled and returned sums; sheet 2: every difference with
    its evidence, accounts masked."""
    async with rt.units.reading() as uow:
        content = await exports.statement_xlsx(uow, officer, run_id, statement_id)
    return file_response(content, XLSX, f"statement-{statement_id}")
