"""The FastAPI dependency through which every endpoint opens its units of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from siquan.oversight.adapters.unit_of_work import OversightUnits


async def _units(request: Request) -> OversightUnits:
    """(A coroutine: FastAPI runs a plain function dependency on a worker thread, a
    thread hop per request.)"""
    units: OversightUnits = request.app.state.runtime.units
    return units


Units = Annotated[OversightUnits, Depends(_units)]
