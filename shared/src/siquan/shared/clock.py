"""Time as a port. Deadlines (notice periods, re-confirmation, complaint SLAs) are measured
against `Clock.now()`. In production it is the system clock; a test or a training
environment may point `SIQUAN_CLOCK_FILE` at a file holding an ISO-8601 instant, and the
service then reads the time from that file (re-read on every call), so a test can move a
running service past a deadline without waiting for it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FileClock:
    """The instant written in a file (system time while the file does not exist)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        try:
            text = self._path.read_text("utf-8").strip()
        except FileNotFoundError:
            return datetime.now(UTC)
        instant = datetime.fromisoformat(text)
        return instant if instant.tzinfo else instant.replace(tzinfo=UTC)

    def today(self) -> date:
        return self.now().date()

    def set(self, instant: datetime) -> None:
        self._path.write_text(instant.isoformat(), "utf-8")


def clock_for(path: Path | None) -> Clock:
    return FileClock(path) if path is not None else SystemClock()
