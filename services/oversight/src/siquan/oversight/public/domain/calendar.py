"""Working days and deadlines. A complaint's SLA is counted in working days: Saturdays,
Sundays and listed public holidays are not, and weekend days worked in exchange for a
holiday (调休) are. Days are local calendar days (Beijing time by default), so a deadline
falls at the start of the local day after the due day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, holidays: Iterable[date] = (), makeup_workdays: Iterable[date] = ()
           ) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(makeup_workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The day on which the `days`-th working day after `start` falls (`start` itself
        never counts: a complaint filed on Friday with 1 working day is due on Monday)."""
        if days < 0:
            raise ValueError("working days must not be negative")
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall after `start`, up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def local_day(instant: datetime, zone: tzinfo) -> date:
    """The calendar day an instant falls on where the deadlines are counted."""
    return instant.astimezone(zone).date()


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant a due day ends: the start of the next local day."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
