"""三追究: reconciliation rules run on every event as it arrives, raising accountability
findings (and holds on suspected false claims) with their evidence."""

from __future__ import annotations

from fastapi import FastAPI

from siquan.oversight.settings import OversightSettings
from siquan.shared.consumer import Received
from siquan.shared.runtime import ServiceRuntime


async def watch(received: Received) -> None:
    """Run the rules an event can break, in its transaction."""


def install(runtime: ServiceRuntime, app: FastAPI, settings: OversightSettings) -> None:
    """Add the findings and holds routes and background loops."""
