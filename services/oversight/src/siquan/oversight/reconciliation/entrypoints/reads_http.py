"""The auditor's view of reads of personal data: every recorded read (by officer and period)
and the volume per officer and day. Auditors see the reads of officers within their
division."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from siquan.contracts.types import division_scope
from siquan.oversight.entrypoints.units import Units
from siquan.shared.auth import Officer, require_role

router = APIRouter(tags=["personal data reads"])
Auditor = Annotated[Officer, Depends(require_role("auditor"))]
Since = Annotated[datetime | None, Query(description="From this instant (inclusive)")]
Until = Annotated[datetime | None, Query(description="Up to this instant (exclusive)")]


@router.get("/personal-data-reads")
async def personal_data_reads(
        units: Units, auditor: Auditor,
        officer_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        since: Since = None, until: Until = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Who read which person's record or statement, when and why; newest first."""
    async with units.reading() as uow:
        found = await uow.reads.find(division_prefix=division_scope(auditor.division),
                                     officer_id=officer_id, since=since, until=until,
                                     limit=limit)
    return {"reads": [{**asdict(r), "read_at": r.read_at.isoformat()} for r in found]}


@router.get("/personal-data-reads/volume")
async def personal_data_read_volume(units: Units, auditor: Auditor, since: Since = None,
                                    until: Until = None) -> dict[str, Any]:
    """Reads and distinct persons per officer and day (UTC), busiest first."""
    async with units.reading() as uow:
        volume = await uow.reads.volume(division_prefix=division_scope(auditor.division),
                                        since=since, until=until)
    return {"volume": volume, "limit_per_day": uow.config.reads_per_officer_per_day}
