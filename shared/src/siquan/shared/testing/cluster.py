"""The four services as separate processes on one provisioned environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from siquan.contracts.topology import SERVICES
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port


class Cluster:
    def __init__(self, env: Environment, log_dir: Path, *, trace_dir: Path | None = None,
                 extra_env: dict[str, dict[str, str]] | None = None) -> None:
        self.env = env
        self.trace_dir = trace_dir
        self.processes: dict[str, ServiceProcess] = {}
        log_dir.mkdir(parents=True, exist_ok=True)
        clock_path = log_dir / "clock"
        self.clock = FileClock(clock_path)
        """The time all four services read (system time until it is first set)."""
        for service in SERVICES:
            trace = trace_dir / f"{service}.jsonl" if trace_dir else None
            variables = env.service_env(service, port=free_port(), trace_file=trace)
            variables["SIQUAN_CLOCK_FILE"] = str(clock_path)
            variables.update((extra_env or {}).get(service, {}))
            self.processes[service] = ServiceProcess(service, variables, log_dir)

    def url(self, service: str) -> str:
        return self.processes[service].url

    def start(self) -> Cluster:
        for process in self.processes.values():
            process.start()
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@contextmanager
def running_cluster(env: Environment, log_dir: Path, **kwargs: object) -> Iterator[Cluster]:
    cluster = Cluster(env, log_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield cluster.start()
    finally:
        cluster.stop()
