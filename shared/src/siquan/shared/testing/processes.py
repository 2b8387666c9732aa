"""Services as real, separate processes: start, wait until healthy, kill, restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def peak_rss_mib(pid: int | None) -> float | None:
    """A process's peak resident memory (VmHWM) in MiB; None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


# Ports for the services tests start, below the kernel's ephemeral range (32768–60999 by
# default) and the broker cluster's (21000–28999). A port the kernel picks with bind(0) is
# free only until the kernel hands the same number to some client's outgoing connection
# (to PostgreSQL, to the broker), which it may well do before the service binds it.
_PORTS_FROM, _SLICE, _SLICES = 10000, 500, 20
_handed_out = 0


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for a service a test starts. Each
    pytest-xdist worker takes ports from its own slice, in turn, so that two workers (or two
    services of one test) never pick the same; a port something else holds is skipped."""
    global _handed_out
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = _PORTS_FROM + (int(worker) if worker.isdigit() else 0) % _SLICES * _SLICE
    if _handed_out == 0:  # another test session on this machine starts elsewhere in it
        _handed_out = os.getpid() % _SLICE
    for _ in range(_SLICE):
        port = first + _handed_out % _SLICE
        _handed_out += 1
        if _bindable(port):
            return port
    raise RuntimeError("no free port for a service")


class ServiceProcess:
    """`python -m siquan.<service>` with its own environment and log file."""

    def __init__(self, service: str, env: dict[str, str], log_dir: Path, *,
                 name: str | None = None) -> None:
        self.service, self.env = service, env
        self.name = name or service
        self.port = int(env["SIQUAN_HTTP_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 180.0) -> ServiceProcess:
        self.launch()
        self.wait_healthy(timeout)
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (`wait_healthy` then waits): several
        services start side by side."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", f"siquan.{self.service}"],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._proc.returncode}:\n"
                                   f"{self.log_tail()}")
            try:  # this process answering, not another that took the port first
                answer = httpx.get(f"{self.url}/health", timeout=1.0)
                if answer.status_code == 200 and \
                        answer.json().get("instance") == str(self._proc.pid):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not healthy within {timeout}s:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` and wait for the process to end; one that has not ended 30 s after
        a gentler signal is killed, so that none is left behind."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(sig)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                if sig == signal.SIGKILL:
                    raise
                self._proc.kill()
                self._proc.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    @property
    def pid(self) -> int | None:
        """The running process's id (None before the first start)."""
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> int | None:
        """How the last run ended (-9: killed by SIGKILL); None while it runs."""
        return None if self._proc is None else self._proc.poll()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
