"""Certification timeliness (资格确认及时率): the share of a division's applications of a
year certified within the target number of days of their submission.

An application still undecided past the target counts as late; a rejected one does not
count. A division with fewer than `min_applications` counted is not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.findings import Finding


@dataclass(frozen=True)
class Target:
    days: int
    rate: float
    min_applications: int


@dataclass(frozen=True)
class DivisionTimeliness:
    division_code: str
    year: int
    counted: int
    on_time: int
    late_evidence: tuple[str, ...] = ()

    @property
    def rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None

    def as_dict(self) -> dict[str, object]:
        return {"division_code": self.division_code, "year": self.year,
                "counted": self.counted, "on_time": self.on_time,
                "rate": None if self.rate is None else round(self.rate, 4)}


def below_target(figures: DivisionTimeliness, target: Target) -> Finding | None:
    rate = figures.rate
    if rate is None or figures.counted < target.min_applications or rate >= target.rate:
        return None
    if not figures.late_evidence:
        return None
    return Finding(
        rule=rules.TIMELINESS_BELOW_TARGET,
        dedup_key=f"{rules.TIMELINESS_BELOW_TARGET.name}:{figures.division_code}"
                  f":{figures.year}",
        reason=f"division {figures.division_code} certified {figures.on_time} of "
               f"{figures.counted} applications of {figures.year} within {target.days} "
               f"days ({rate:.1%}); the target is {target.rate:.0%}",
        evidence=figures.late_evidence, division_code=figures.division_code)
