"""Where the payment-run benchmark's time went: CPU seconds of each service process, of
every PostgreSQL and RabbitMQ process on the machine (shared servers: other work on them
counts too), of the PostgreSQL backends serving the benchmark's databases, and the
machine's load averages."""

from __future__ import annotations

import os
from pathlib import Path

from siquan.shared.testing.processes import ServiceProcess


def load_averages() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_seconds(processes: dict[str, ServiceProcess]) -> dict[str, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    used = {name: process_cpu(process.pid, ticks) for name, process in processes.items()}
    for name, command in (("postgresql", "postgres"), ("rabbitmq", "beam.smp")):
        used[name] = sum(process_cpu(int(p.name), ticks, children=True)
                         for p in Path("/proc").iterdir()
                         if p.name.isdigit() and _command(p) == command)
    return used


def database_cpu(prefix: str) -> dict[str, float]:
    """CPU time of the live PostgreSQL backends serving this environment, by database."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or _command(proc) != "postgres":
            continue
        try:
            words = (proc / "cmdline").read_bytes().decode(errors="replace").split()
        except OSError:
            continue
        database = next((w for w in words[3:5] if w.startswith(prefix)), None)
        if database is not None:
            name = database.removeprefix(prefix + "_")
            used[name] = used.get(name, 0.0) + process_cpu(int(proc.name), ticks)
    return used


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(v - before.get(k, 0.0), 1) for k, v in sorted(after.items())}


def _command(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def process_cpu(pid: int | None, ticks: int, *, children: bool = False) -> float:
    """utime + stime; with `children`, also the time of its ended children (PostgreSQL's
    backends are the postmaster's children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = int(fields[11]) + int(fields[12])
    return (own + (int(fields[13]) + int(fields[14]) if children else 0)) / ticks
