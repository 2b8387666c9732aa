"""The four services as separate processes on one provisioned environment — one instance of
each, or several competing instances of each over the same database and queues."""

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
                 extra_env: dict[str, dict[str, str]] | None = None,
                 instances: int = 1) -> None:
        self.env = env
        self.trace_dir = trace_dir
        self.instances: dict[str, list[ServiceProcess]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)
        clock_path = log_dir / "clock"
        self.clock = FileClock(clock_path)
        """The time all services read (system time until it is first set)."""
        for service in SERVICES:
            for number in range(1, instances + 1):
                name = service if number == 1 else f"{service}-{number}"
                trace = trace_dir / f"{name}.jsonl" if trace_dir else None
                variables = env.service_env(service, port=free_port(), trace_file=trace)
                variables["SIQUAN_CLOCK_FILE"] = str(clock_path)
                variables.update((extra_env or {}).get(service, {}))
                self.instances.setdefault(service, []).append(
                    ServiceProcess(service, variables, log_dir, name=name))

    @property
    def processes(self) -> dict[str, ServiceProcess]:
        """The first instance of each service (the one whose address `url` gives)."""
        return {service: started[0] for service, started in self.instances.items()}

    def url(self, service: str) -> str:
        return self.processes[service].url

    def all_processes(self) -> list[ServiceProcess]:
        return [p for started in self.instances.values() for p in started]

    def start(self) -> Cluster:
        """Every instance launched at once, then each awaited until it answers (each
        service's own database and queues: none waits on another's start)."""
        try:
            for process in self.all_processes():
                process.launch()
            for process in self.all_processes():
                process.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.all_processes():
            process.stop()


@contextmanager
def running_cluster(env: Environment, log_dir: Path, **kwargs: object) -> Iterator[Cluster]:
    cluster = Cluster(env, log_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield cluster.start()
    finally:
        cluster.stop()
