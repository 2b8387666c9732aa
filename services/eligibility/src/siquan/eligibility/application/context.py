"""What every use case works with: the pool, the outbox, the clock, the settings and the
policy catalogue, read from the service runtime (the pool exists once it has started)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from siquan.contracts.policy import PolicyCatalogue, load_catalogue
from siquan.eligibility.settings import EligibilitySettings
from siquan.shared.clock import Clock
from siquan.shared.outbox import Outbox
from siquan.shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Context:
    runtime: ServiceRuntime
    catalogue: PolicyCatalogue = field(default_factory=load_catalogue)

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    @property
    def outbox(self) -> Outbox:
        return self.runtime.outbox

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def settings(self) -> EligibilitySettings:
        settings = self.runtime.settings
        assert isinstance(settings, EligibilitySettings)
        return settings
