"""A phase of the campaign that could not finish is a broken promise, not a crash of the
tool: whatever stopped it (a request that timed out or was refused, a service that is
down, a server that went away) is reported in the JSON with its reason, the exit is
non-zero, and the other phases still run and report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("siquan.chaos")


class PhaseFailed(Exception):
    """A phase stopped before its verdict; `partial` holds what it measured until then."""

    def __init__(self, reason: str, partial: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial = dict(partial or {})


def reason_of(exc: BaseException) -> str:
    """What stopped a phase, in one line: the exception's kind and message (some, such as
    a timeout, carry no message: their kind says it)."""
    if isinstance(exc, PhaseFailed):
        return exc.reason
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_phase(name: str, phase: Callable[[], Coroutine[Any, Any, dict[str, Any]]]
              ) -> dict[str, Any]:
    """The phase's result, or, when it raised, `{"failed": reason, ...what it measured,
    "promises": {"<name>_completed": False}}`."""
    try:
        return asyncio.run(phase())
    except Exception as exc:  # every failure of a phase is its broken promise
        log.error("%s phase did not finish: %s", name, reason_of(exc))
        if not isinstance(exc, PhaseFailed):  # unforeseen: where it came from, to fix it
            log.warning("%s phase: what stopped it", name, exc_info=exc)
        partial = exc.partial if isinstance(exc, PhaseFailed) else {}
        return {"failed": reason_of(exc), **partial,
                "promises": {f"{name}_completed": False}}
