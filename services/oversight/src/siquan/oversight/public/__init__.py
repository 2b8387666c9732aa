"""一公开 and 一鼓励: the public notice board, complaint and report intake with tracking
numbers and SLAs, and statements a beneficiary can look up."""

from __future__ import annotations

from fastapi import FastAPI

from siquan.oversight.settings import OversightSettings
from siquan.shared.consumer import Received
from siquan.shared.runtime import ServiceRuntime


async def watch(received: Received) -> None:
    """Act on a logged event (e.g. a notice published) in its transaction."""


def install(runtime: ServiceRuntime, app: FastAPI, settings: OversightSettings) -> None:
    """Add the public side's routes and background loops."""
