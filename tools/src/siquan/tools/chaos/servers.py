"""The campaign's own servers (`--own-servers`): a RabbitMQ node and a PostgreSQL cluster
started for one campaign and removed after it, so that it may restart them and exhaust
them without touching the machine's default node or cluster, which others use.

- `OwnBroker`: one `rabbitmq-server` node (`siquan.shared.rabbit_cluster` of size 1) with
  its own node name, ports, data directory and Erlang cookie, started under a low
  `ulimit -n` so that its open-file limit is reached with a few hundred connections;
- `OwnPostgres`: `initdb` into a temporary directory (run as the `postgres` user when
  started as root), its own port on loopback and its own socket directory, a low
  `max_connections`; `pg_ctl restart -m fast` / `-m immediate` restarts it.

Every tool call is bounded in time; `stop` kills what does not stop and removes the
directories, leaving no process behind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from siquan.shared.rabbit_cluster import RabbitCluster

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"


class ServerError(RuntimeError):
    """A server did not start, restart or stop in time; the message says which and why."""


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair(low: int = 30_000, high: int = 40_000, offset: int = 20_000) -> int:
    """A port free on loopback whose `port + offset` is free too (an Erlang node's AMQP and
    distribution ports)."""
    generator = secrets.SystemRandom()
    for _ in range(200):
        port = generator.randrange(low, high)
        if _free(port) and _free(port + offset):
            return port
    raise ServerError("no free pair of ports found")


def _pg_bin() -> Path:
    if (PG_BIN / "pg_ctl").exists():
        return PG_BIN
    found = shutil.which("pg_ctl")
    if found is None:
        raise ServerError("pg_ctl not found (Debian's postgresql package)")
    return Path(found).parent


class OwnBroker:
    """A single RabbitMQ node of the campaign's own."""

    def __init__(self, base_dir: Path, *, open_file_limit: int = 1024,
                 timeout: float = 240.0) -> None:
        # a loaded machine starts an Erlang node slowly: a generous bound
        self.cluster = RabbitCluster(base_dir, size=1, base_port=free_port_pair(),
                                     timeout=timeout, open_file_limit=open_file_limit,
                                     name_prefix=f"siquan-chaos-{secrets.token_hex(3)}")
        self.node = self.cluster.nodes[0]
        self.open_file_limit = open_file_limit

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def ctl_command(self) -> str:
        return self.cluster.ctl_command(self.node)

    def start(self) -> OwnBroker:
        self.cluster.up()
        return self

    def restart(self) -> None:
        self.cluster.restart(self.node)

    def stop(self) -> None:
        self.cluster.down()


class OwnPostgres:
    """A PostgreSQL cluster of the campaign's own, in a temporary directory."""

    def __init__(self, *, max_connections: int = 100, timeout: float = 60.0,
                 parent: Path | None = None) -> None:
        self.max_connections, self.timeout = max_connections, timeout
        self.port = free_port_pair(offset=0)
        self.directory = Path(tempfile.mkdtemp(prefix="siquan-chaos-pg-", dir=parent))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self._bin = _pg_bin()

    @property
    def dsn(self) -> str:
        """The superuser on loopback (trust: the cluster lives only as long as the run)."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *command: str, timeout: float | None = None) -> str:
        argv = [str(self._bin / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", PG_USER, "--", *argv]
        bound = timeout or self.timeout
        try:
            # pg_ctl's postmaster keeps the output pipes open: its output goes to files
            with tempfile.TemporaryFile("w+") as out:
                done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, text=True,
                                      timeout=bound, check=False, cwd=self.directory)
                out.seek(0)
                text = out.read()
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"{command[0]} {command[1] if len(command) > 1 else ''}: "
                              f"no answer in {bound}s") from exc
        if done.returncode != 0:
            raise ServerError(f"{' '.join(command[:2])} exited {done.returncode}: "
                              f"{text[-800:]}")
        return text

    def start(self) -> OwnPostgres:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(PG_USER)
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self.directory.chmod(0o700)
        self._as_owner("initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust",
                       "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync", timeout=120)
        settings = {
            "port": str(self.port), "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "max_connections": str(self.max_connections),
            "superuser_reserved_connections": "3", "shared_buffers": "'32MB'",
            "logging_collector": "off"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        self.pg_ctl("start")
        return self

    def pg_ctl(self, action: str, *extra: str) -> None:
        """`pg_ctl <action> … <extra>` on this cluster, bounded in time."""
        self._as_owner("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w",
                       "-t", str(int(self.timeout)), *extra, timeout=self.timeout + 10)

    def restart(self, mode: str) -> None:
        """`pg_ctl restart -m fast` (sessions ended, a checkpoint) or `-m immediate` (no
        checkpoint: crash recovery on start)."""
        if mode not in ("fast", "immediate"):
            raise ValueError(mode)
        self.pg_ctl("restart", "-m", mode)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the cluster (killed if it does not stop in time) and remove its directory."""
        pid = self.postmaster_pid()
        with contextlib.suppress(ServerError):
            self._as_owner("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                           "-t", "30", timeout=40)
        if pid is not None and _alive(pid):
            # its backends end by themselves once the postmaster is gone
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
        shutil.rmtree(self.directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False


class OwnServers:
    """The campaign's own broker node and PostgreSQL cluster, started and removed together."""

    def __init__(self, base_dir: Path, *, open_file_limit: int = 512,
                 max_connections: int = 100) -> None:
        self.base_dir = base_dir
        self.broker = OwnBroker(base_dir / "rabbitmq", open_file_limit=open_file_limit)
        self.postgres = OwnPostgres(max_connections=max_connections)

    def start(self) -> OwnServers:
        try:
            self.postgres.start()
            self.broker.start()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.broker.stop()
        finally:
            self.postgres.stop()
