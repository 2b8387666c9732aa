"""The FastAPI dependency through which every endpoint opens its units of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from siquan.oversight.adapters.unit_of_work import OversightUnits


def _units(request: Request) -> OversightUnits:
    units: OversightUnits = request.app.state.runtime.units
    return units


Units = Annotated[OversightUnits, Depends(_units)]
