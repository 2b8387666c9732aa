"""The faults of a campaign, drawn from a seed: the same seed gives the same faults in the
same order (what each meets depends on where the run is when it lands)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from siquan.shared.crash_points import BY_SERVICE

KILL = "sigkill"
BROKER_CLOSE = "broker_connections_closed"
PG_TERMINATE = "pg_terminate_backend"
BANK_TIMEOUT, BANK_DUPLICATE, BANK_LATE = "bank_timeout", "bank_answers_twice", "bank_late"
EXTERNAL = (KILL, BROKER_CLOSE, PG_TERMINATE, BANK_TIMEOUT, BANK_DUPLICATE, BANK_LATE)
_WEIGHTS = {KILL: 3, BROKER_CLOSE: 2, PG_TERMINATE: 3, BANK_TIMEOUT: 2, BANK_DUPLICATE: 2,
            BANK_LATE: 1}
BANK_KIND = {BANK_TIMEOUT: "timeout", BANK_DUPLICATE: "duplicate", BANK_LATE: "late"}


@dataclass(frozen=True)
class Fault:
    """A fault injected from outside: `target` is an instance (kill), a service (its
    broker connections or database sessions), or the bank."""

    kind: str
    target: str
    pause_s: float
    """How long to wait before injecting it."""
    delay_ms: int = 0
    """A late bank's delay."""


@dataclass(frozen=True)
class Arm:
    """A crash point an instance is restarted with: it dies the `nth` time it gets there."""

    point: str
    nth: int


def service_of(instance: str) -> str:
    return instance.split("-")[0]


class Plan:
    def __init__(self, seed: int, instances: list[str], *, mean_pause_s: float = 2.0) -> None:
        self.seed = seed
        self._random = random.Random(seed)
        self.instances = sorted(instances)
        self._mean_pause = mean_pause_s
        self.arms: dict[str, list[Arm]] = {}
        for name in self.instances:
            points = list(BY_SERVICE[service_of(name)])
            self._random.shuffle(points)
            self.arms[name] = [Arm(p, self._random.randint(1, 3)) for p in points]

    def next_arm(self, instance: str) -> Arm | None:
        """The crash point the instance is restarted with next (None: none left)."""
        arms = self.arms[instance]
        return arms.pop(0) if arms else None

    def faults(self) -> Iterator[Fault]:
        """A kill of every instance first (each restart arms the next crash point), then
        faults of every kind, without end."""
        first = list(self.instances)
        self._random.shuffle(first)
        for name in first:
            yield Fault(KILL, name, self._pause())
        kinds, weights = list(_WEIGHTS), list(_WEIGHTS.values())
        services = sorted({service_of(n) for n in self.instances})
        while True:
            kind = self._random.choices(kinds, weights)[0]
            if kind == KILL:
                target = self._random.choice(self.instances)
            elif kind in (BROKER_CLOSE, PG_TERMINATE):
                target = self._random.choice(services)
            else:
                target = "bank"
            delay = self._random.randint(2_000, 8_000) if kind == BANK_LATE else 0
            yield Fault(kind, target, self._pause(), delay)

    def _pause(self) -> float:
        return round(self._random.uniform(0.2, 2 * self._mean_pause), 2)
