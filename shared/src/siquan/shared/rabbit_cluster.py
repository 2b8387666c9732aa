"""A RabbitMQ cluster of several nodes on one machine, from the local `rabbitmq-server`
package: each node with its own name (`siquan-<n>@localhost`), AMQP and distribution
ports on loopback, data and log directories under one base directory, and one Erlang
cookie shared by the nodes and the CLI. The default node of the machine (and its cookie,
its data, its port 5672) is never touched.

Used by the tests (a payment run on three nodes, one of them killed mid-run) and by an
operator who wants a cluster without Docker:

    python -m siquan.shared.rabbit_cluster up --dir var/rabbit-cluster   # 3 nodes, joined
    python -m siquan.shared.rabbit_cluster status --dir var/rabbit-cluster
    python -m siquan.shared.rabbit_cluster down --dir var/rabbit-cluster

Every command is bounded in time; `down` stops every node (killing what does not stop)
and removes the base directory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")
QUEUES = Path("/usr/lib/rabbitmq/bin/rabbitmq-queues")
STATE_FILE = "cluster.json"


class ClusterError(RuntimeError):
    """A node did not start, join or stop in time; the message says which and why."""


@dataclass(frozen=True)
class Node:
    name: str
    amqp_port: int
    dist_port: int
    directory: Path
    host: str = "127.0.0.1"
    """The address the node listens on (AMQP) and its clients reach it at."""
    netns: str | None = None
    """The network namespace the node runs in (None: the machine's own)."""

    @property
    def url(self) -> str:
        """The default admin (`guest`) on this node."""
        return f"amqp://guest:guest@{self.host}:{self.amqp_port}/"

    @property
    def pid_file(self) -> Path:
        return self.directory / "pid"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None


class RabbitCluster:
    """Nodes `siquan-1@localhost` … with AMQP ports `base_port + i`."""

    longnames = False
    """Whether node names are long (`rabbit@10.0.0.1`): the CLI then needs `-l`."""

    def __init__(self, base_dir: Path, *, size: int = 3, base_port: int = 5701,
                 timeout: float = 90.0, open_file_limit: int | None = None,
                 name_prefix: str = "siquan") -> None:
        self.base_dir = base_dir.resolve()
        self.timeout = timeout
        self.open_file_limit = open_file_limit
        """`ulimit -n` of every node (None: the caller's): a low one makes the broker's
        file-descriptor exhaustion reachable quickly."""
        self.nodes = [Node(f"{name_prefix}-{i}@localhost", base_port + i - 1,
                           base_port + 20000 + i - 1, self.base_dir / f"node{i}")
                      for i in range(1, size + 1)]

    # --- commands ----------------------------------------------------------------------

    def _env(self, node: Node) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.base_dir), "RABBITMQ_NODENAME": node.name,
                "RABBITMQ_NODE_IP_ADDRESS": node.host,
                "RABBITMQ_NODE_PORT": str(node.amqp_port),
                "RABBITMQ_DIST_PORT": str(node.dist_port),
                "RABBITMQ_MNESIA_BASE": str(node.directory / "mnesia"),
                "RABBITMQ_LOG_BASE": str(node.directory / "log"),
                "RABBITMQ_PID_FILE": str(node.pid_file),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.directory / "enabled_plugins"),
                "RABBITMQ_CONFIG_FILE": str(node.directory / "rabbitmq"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(node.directory / "advanced.config")}

    def ctl(self, node: Node, *args: str, timeout: float = 60.0) -> str:
        """`rabbitmqctl -n <node> …` with the cluster's cookie; its stdout."""
        return self._run([str(CTL), *self._cli_flags(), "-n", node.name, *args], node,
                         timeout)

    def _cli_flags(self) -> list[str]:
        return ["-l"] if self.longnames else []

    def ctl_command(self, node: Node | None = None) -> str:
        """A `SIQUAN_RABBITMQCTL` value that provisions through a node of this cluster."""
        node = node or self.nodes[0]
        return " ".join(["env", f"HOME={self.base_dir}", *self._cli_env(node), str(CTL),
                         *self._cli_flags(), "-n", node.name])

    def _cli_env(self, node: Node) -> list[str]:
        """`NAME=value` settings the CLI needs beyond the cookie's HOME."""
        return []

    def _run(self, command: list[str], node: Node, timeout: float) -> str:
        try:
            done = subprocess.run(command, env=self._env(node), capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ClusterError(f"{' '.join(command[:4])}: no answer in {timeout}s") from exc
        if done.returncode != 0:
            raise ClusterError(f"{' '.join(command[:4])} exited {done.returncode}: "
                               f"{(done.stderr or done.stdout)[-800:]}")
        return done.stdout

    # --- life cycle --------------------------------------------------------------------

    def up(self) -> RabbitCluster:
        """Start every node and join them into one cluster (idempotent for a running one).

        The nodes boot side by side (an Erlang VM's boot is most of a node's start), and
        the cluster is awaited with one `await_online_nodes` rather than a CLI per poll:
        on a loaded machine each CLI call is itself an Erlang VM taking seconds."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        cookie = self.base_dir / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20))
            cookie.chmod(0o400)
        launched = [node for node in self.nodes if not self.is_running(node)]
        for node in launched:
            self._launch(node)
        for node in launched:
            self._await_started(node)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            if first.name not in self.running_nodes(node):
                self.ctl(node, "stop_app")
                self.ctl(node, "join_cluster", first.name)
                self.ctl(node, "start_app")
        self.ctl(first, "await_online_nodes", str(len(self.nodes)), "--timeout",
                 str(int(self.timeout)), timeout=self.timeout + 10)
        self._await(lambda: set(self.running_nodes(first)) == {n.name for n in self.nodes},
                    "every node running in one cluster")
        (self.base_dir / STATE_FILE).write_text(json.dumps(
            {"nodes": [n.name for n in self.nodes], "urls": self.urls()}, indent=2))
        return self

    def start(self, node: Node) -> None:
        if self.is_running(node):
            return
        self._launch(node)
        self._await_started(node)

    def _launch(self, node: Node) -> None:
        """The node's server started detached (it boots on its own)."""
        node.directory.mkdir(parents=True, exist_ok=True)
        (node.directory / "enabled_plugins").write_text("[].\n")
        (node.directory / "rabbitmq.conf").write_text(self._config(node))
        (node.directory / "advanced.config").write_text(self._advanced_config(node))
        command = [*self._launcher(node), str(SERVER), "-detached"]
        if self.open_file_limit is not None:
            command = ["sh", "-c", f"ulimit -n {int(self.open_file_limit)} && exec \"$0\" \"$@\"",
                       *command]
        self._run(command, node, 30.0)

    def _await_started(self, node: Node) -> None:
        self._await(lambda: self._answers(node), f"{node.name} started")
        self.ctl(node, "await_startup", "--timeout", str(int(self.timeout)),
                 timeout=self.timeout + 5)

    def _config(self, node: Node) -> str:
        return ("loopback_users.guest = true\n"
                "cluster_partition_handling = pause_minority\n")

    def _advanced_config(self, node: Node) -> str:
        return "[].\n"

    def _launcher(self, node: Node) -> list[str]:
        """What the server command is run under (nothing: on this machine's network)."""
        return []

    def _answers(self, node: Node) -> bool:
        try:
            self.ctl(node, "-q", "ping", timeout=10.0)
            return True
        except ClusterError:
            return False

    def is_running(self, node: Node) -> bool:
        pid = node.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return self._answers(node)

    def running_nodes(self, node: Node) -> list[str]:
        listed = json.loads(self.ctl(node, "cluster_status", "--formatter", "json"))
        running: list[str] = listed.get("running_nodes", [])
        return running

    def kill(self, node: Node) -> None:
        """SIGKILL a node (its Erlang VM), as a crash would."""
        pid = node.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._await(lambda: not _alive(pid), f"{node.name} gone")

    def stop_node(self, node: Node) -> None:
        pid = node.pid()
        try:
            self.ctl(node, "stop", timeout=30.0)
        except ClusterError:
            self.kill(node)
        if pid is not None:
            self._await(lambda: not _alive(pid), f"{node.name} stopped")

    def restart(self, node: Node) -> None:
        """Stop a node (as `rabbitmqctl stop` does, or killed when it does not answer) and
        start it again on the same data: a broker restart as an operator does one."""
        self.stop_node(node)
        self.start(node)

    def down(self) -> None:
        """Stop every node and remove the base directory."""
        for node in self.nodes:
            if node.pid() is not None and _alive(node.pid()):
                self.stop_node(node)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def quorum_members(self, vhost: str, queue: str) -> list[str]:
        """The nodes holding a replica of a quorum queue."""
        return sorted(str(m["Node Name"]) for m in self.quorum_status(vhost, queue))

    def members_of_queues(self, vhost: str) -> dict[str, list[str]]:
        """Every queue of `vhost` with the nodes holding its replicas (a quorum queue's
        members; none for a classic queue), in one call of the CLI rather than one per
        queue."""
        out = self.ctl(self.nodes[0], "list_queues", "-p", vhost, "name", "members",
                       "--formatter", "json")
        return {str(q["name"]): sorted(map(str, q["members"] or []))
                for q in json.loads(out)}

    def quorum_status(self, vhost: str, queue: str, node: Node | None = None
                      ) -> list[dict[str, object]]:
        """A quorum queue's members as `node` (default: the first) sees them: each with
        its `Node Name` and `Raft State` (`leader`, `follower`, …; `noproc` when down)."""
        node = node or self.nodes[0]
        out = self._run([str(QUEUES), *self._cli_flags(), "-n", node.name, "quorum_status",
                         queue, "-p", vhost, "--formatter", "json"], node, 30.0)
        members: list[dict[str, object]] = json.loads(out)
        return members

    def _await(self, condition: object, what: str) -> None:
        """Until `condition()` holds, polled within the cluster's timeout; a CLI call that
        fails or does not answer meanwhile (a node still booting or joining) is not yet."""
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                if condition():  # type: ignore[operator]
                    return
            except ClusterError as exc:
                last = f" (last: {exc})"
            time.sleep(0.5)
        raise ClusterError(f"{what}: not reached within {self.timeout}s{last}")


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is gone for our purposes
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--dir", type=Path, default=Path("var/rabbit-cluster"))
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=5701)
    args = parser.parse_args(argv)
    cluster = RabbitCluster(args.dir, size=args.size, base_port=args.base_port)
    if args.action == "up":
        cluster.up()
        print(json.dumps({"nodes": [n.name for n in cluster.nodes], "urls": cluster.urls(),
                          "rabbitmqctl": cluster.ctl_command()}, indent=2))
    elif args.action == "down":
        cluster.down()
        print("cluster stopped and removed")
    else:
        print(json.dumps({n.name: cluster.is_running(n) for n in cluster.nodes}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
