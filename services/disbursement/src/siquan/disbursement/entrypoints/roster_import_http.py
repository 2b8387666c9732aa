"""A migrated roster's payment side over HTTP: a disbursement officer submits the same
workbook eligibility certified; each row's payee account is registered and its
paid-through kept. The report names refused rows by number and reason code, never an ID
or account number. The reconciliation sets the import beside a run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile

from siquan.disbursement.application import roster_import
from siquan.disbursement.settings import DisbursementSettings
from siquan.shared.auth import Officer, require_role
from siquan.shared.runtime import Runtime

router = APIRouter()
Disburser = Annotated[Officer, Depends(require_role("disbursement_officer"))]
Reader = Annotated[Officer, Depends(require_role("disbursement_officer", "auditor"))]


def _settings(rt: Runtime) -> DisbursementSettings:
    settings = rt.settings
    assert isinstance(settings, DisbursementSettings)
    return settings


@router.post("/roster-imports", status_code=201)
async def import_roster(rt: Runtime, file: Annotated[UploadFile, File()], officer: Disburser
                        ) -> dict[str, Any]:
    """Accounts and paid-through of the rows whose migrated certification disbursement
    holds (eligibility's approval of the import must have reached it)."""
    command = roster_import.ImportRoster(officer, await file.read(),
                                         _settings(rt).person_key_secret)
    async with rt.units() as uow:
        return await roster_import.import_roster(command, uow)


@router.get("/roster-imports/{import_id}/reconciliation")
async def reconciliation(import_id: str, run_id: str, rt: Runtime, officer: Reader
                         ) -> dict[str, Any]:
    """The import's counts, what its rows were owed for the run against what the run paid
    them (settled), and what they are still owed beyond the run's arrears window: the
    periods before `window_from` after paid-through that no payment paid
    (`beyond_window_people`, `beyond_window_periods`, `beyond_window_fen`), which no run
    pays and which must be settled by hand."""
    async with rt.units() as uow:
        return await roster_import.reconcile(uow, officer, import_id, run_id,
                                             _settings(rt).arrears_max_periods)
