"""The public notice board's rules (张榜公示): a notice is in force from the day it is posted
until the day it closes, unless eligibility closed it; the days remaining count down to
its closing day; once no longer in force it belongs to the archive."""

from __future__ import annotations

from datetime import date


def in_force(published_on: date | None, closes_on: date | None, closed: bool,
             today: date) -> bool:
    if closed or published_on is None or closes_on is None:
        return False
    return published_on <= today <= closes_on


def days_remaining(closes_on: date, today: date) -> int:
    """Whole days until the closing day (0 on the closing day itself)."""
    return max((closes_on - today).days, 0)
