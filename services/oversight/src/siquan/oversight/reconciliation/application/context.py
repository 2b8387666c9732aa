"""The rules' settings, read once from the service's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from siquan.oversight.reconciliation.application.evidence import LastCount
from siquan.oversight.reconciliation.domain.timeliness import Target


@dataclass(frozen=True)
class RuleConfig:
    account_change_window: timedelta = timedelta(days=30)
    """A payee account replaced this long before a run that paid it is flagged."""
    grace_seconds: float = 120.0
    """How long a fact may lag on another queue before its absence counts."""
    omission_deadline_days: int = 30
    """Days after a period's end by which every certified person must have been paid."""
    timeliness: Target = field(default_factory=lambda: Target(30, 0.9, 10))
    sweep_seconds: float = 30.0
    """How often the sweep looks for what is missing."""
    timeliness_seconds: float = 600.0
    """How often the sweep recomputes certification timeliness (a query over a year)."""
    reads_per_officer_per_day: int = 200
    """An officer reading more persons' records than this in a day is a finding."""
    last_count: LastCount = field(default_factory=LastCount)
    """What oversight had not processed when the last sweep counted (kept current by the
    sweep; the rules consult it before holding a payee)."""
