"""Time as a port. Deadlines (notice periods, re-confirmation, complaint SLAs), the
occurred-at of every event and every "now" a service reasons about come from `Clock.now()`.
In production it is the system clock; a test or a training environment may point
`SIQUAN_CLOCK_FILE` at a file holding an ISO-8601 instant, and the service then reads the
time from that file (re-read on every call), so a test can move a running service past a
deadline without waiting for it. Unit tests use `FixedClock`.

A clock also knows the office's time zone (`SIQUAN_OFFICE_TIMEZONE`): `today()` is the
office's date, not UTC's, so that a notice published, a death recorded or a return booked
before 08:00 in Beijing carries that day's date, not the day before."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo


def local_time(value: datetime | str | None, zone: tzinfo) -> str:
    """An instant (or its ISO text) as the office and its callers read it: minutes, in the
    office's time zone ("2026-11-03 10:00", never the UTC instant the API gives)."""
    if value is None or value == "":
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


DEFAULT_OFFICE_ZONE = "Asia/Shanghai"
"""The office's zone unless `SIQUAN_OFFICE_TIMEZONE` names another."""


def office_zone() -> tzinfo:
    """The office's time zone as the services are configured (`SIQUAN_OFFICE_TIMEZONE`,
    Beijing's by default): the zone a clock counts days in unless it is given one, so a
    test or an operator's tool reading a clock agrees with the services on the date."""
    return ZoneInfo(os.environ.get("SIQUAN_OFFICE_TIMEZONE") or DEFAULT_OFFICE_ZONE)


class Clock(Protocol):
    zone: tzinfo
    """The office's time zone: where its days begin and end."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone or office_zone()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()


class FixedClock:
    """A clock that stands still until moved (unit tests)."""

    def __init__(self, instant: datetime, zone: tzinfo | None = None) -> None:
        self._now = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        self.zone = zone or office_zone()

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(self.zone).date()

    def advance(self, by: timedelta) -> None:
        self._now += by

    def set(self, instant: datetime) -> None:
        self._now = instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class FileClock:
    """The instant written in a file (system time while the file does not exist).

    `set` writes a temporary file beside it and renames it over the old one, so a reader
    sees the old instant or the new one, never an empty or half-written file."""

    def __init__(self, path: Path, zone: tzinfo | None = None) -> None:
        self._path = path
        self.zone = zone or office_zone()

    def now(self) -> datetime:
        # read with the bare system calls: a text file object costs several times more,
        # and a unit of work may ask the time for every record it writes
        try:
            handle = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return datetime.now(UTC)
        try:
            text = os.read(handle, 256).decode("utf-8").strip()
        finally:
            os.close(handle)
        instant = datetime.fromisoformat(text)
        return instant if instant.tzinfo else instant.replace(tzinfo=UTC)

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def set(self, instant: datetime) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=".clock-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(instant.isoformat())
            os.replace(temporary, self._path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def clock_for(path: Path | None, zone: tzinfo | None = None) -> Clock:
    """The service's clock: the file's instant when one is given (tests), the system's
    otherwise; its days in `zone`."""
    return FileClock(path, zone) if path is not None else SystemClock(zone)
