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
BROKER_RESTART = "rabbitmq_restart"
PG_RESTART_FAST, PG_RESTART_IMMEDIATE = "postgres_restart_fast", "postgres_restart_immediate"
PG_EXHAUSTED = "postgres_at_max_connections"
BROKER_EXHAUSTED = "rabbitmq_at_open_file_limit"
SERVER_KINDS = (BROKER_RESTART, PG_RESTART_FAST, PG_RESTART_IMMEDIATE, PG_EXHAUSTED,
                BROKER_EXHAUSTED)
"""Faults of the servers themselves: only on the campaign's own servers (`--own-servers`),
never on the machine's shared ones."""
PG_RESTART_MODE = {PG_RESTART_FAST: "fast", PG_RESTART_IMMEDIATE: "immediate"}
EXTERNAL = (KILL, BROKER_CLOSE, PG_TERMINATE, BANK_TIMEOUT, BANK_DUPLICATE, BANK_LATE,
            *SERVER_KINDS)
_WEIGHTS = {KILL: 3, BROKER_CLOSE: 2, PG_TERMINATE: 3, BANK_TIMEOUT: 2, BANK_DUPLICATE: 2,
            BANK_LATE: 1}
_SERVER_WEIGHTS = {BROKER_RESTART: 1, PG_RESTART_FAST: 1, PG_RESTART_IMMEDIATE: 1,
                   PG_EXHAUSTED: 1, BROKER_EXHAUSTED: 1}
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
    def __init__(self, seed: int, instances: list[str], *, mean_pause_s: float = 2.0,
                 server_faults: bool = False) -> None:
        self.seed = seed
        self.server_faults = server_faults
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
        every other kind once in a shuffled round (server faults only on own servers), so
        that a campaign meets each kind early, then faults of every kind, without end."""
        services = sorted({service_of(n) for n in self.instances})
        first = list(self.instances)
        self._random.shuffle(first)
        for name in first:
            yield Fault(KILL, name, self._pause())
        weighted = dict(_WEIGHTS)
        if self.server_faults:
            weighted.update(_SERVER_WEIGHTS)
        once = [kind for kind in weighted if kind != KILL]
        self._random.shuffle(once)
        for kind in once:
            yield self._fault(kind, services)
        kinds, weights = list(weighted), list(weighted.values())
        while True:
            yield self._fault(self._random.choices(kinds, weights)[0], services)

    def _fault(self, kind: str, services: list[str]) -> Fault:
        if kind == KILL:
            target = self._random.choice(self.instances)
        elif kind in (BROKER_CLOSE, PG_TERMINATE):
            target = self._random.choice(services)
        elif kind in SERVER_KINDS:
            target = self._server_target(kind, services)
        else:
            target = "bank"
        delay = self._random.randint(2_000, 8_000) if kind == BANK_LATE else 0
        return Fault(kind, target, self._pause(), delay)

    def _server_target(self, kind: str, services: list[str]) -> str:
        """Who meets an exhausted server first: the service whose connections are ended
        while the server is at its limit (a restart meets every service)."""
        if kind in (PG_EXHAUSTED, BROKER_EXHAUSTED):
            return self._random.choice(services)
        return "rabbitmq" if kind == BROKER_RESTART else "postgres"

    def _pause(self) -> float:
        return round(self._random.uniform(0.2, 2 * self._mean_pause), 2)
