"""What a rule handler gets: the open transaction (through the raiser), the event's message
id and when it happened, and the rules' settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from siquan.oversight.reconciliation.application.raising import Raiser
from siquan.oversight.reconciliation.domain.timeliness import Target
from siquan.shared.database import Connection


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


@dataclass(frozen=True)
class Seen:
    """One logged event, as a rule handler sees it."""

    raiser: Raiser
    message_id: str
    occurred_at: datetime
    config: RuleConfig

    @property
    def conn(self) -> Connection:
        return self.raiser.conn
