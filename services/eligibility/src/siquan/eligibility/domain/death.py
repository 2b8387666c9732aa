"""A death as public security reports it (死亡注销). Eligibility keeps every report: it
revokes what the person holds when it arrives, and it stays on record for whatever comes
after it — an application entered or approved later never makes a dead person a
beneficiary, whatever order the messages and commands meet in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Death:
    report_id: str
    person_key: str
    date_of_death: date
