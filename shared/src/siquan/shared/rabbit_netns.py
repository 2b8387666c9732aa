"""A RabbitMQ cluster whose nodes are hosts of their own: each node in its own network
namespace (`ip netns`, from iproute2) with its own address on a private bridge, so that
one node can be cut off from the others (a network partition) and healed, as well as
killed. Needs root; nothing leaves the machine (the bridge has no route out).

Layout for tag `T` and subnet `10.A.B` (both chosen at random, checked free):

    bridge sqbT (10.A.B.254/24, this machine's side: clients and the CLI)
      ├─ veth sqvT1 ── namespace siquan-T-1: eth0 10.A.B.1   node rabbit@10.A.B.1
      ├─ veth sqvT2 ── namespace siquan-T-2: eth0 10.A.B.2   node rabbit@10.A.B.2
      └─ veth sqvT3 ── namespace siquan-T-3: eth0 10.A.B.3   node rabbit@10.A.B.3

Every node listens on the usual ports (AMQP 5672, distribution 25672, its own epmd on
4369) at its own address; node names are long names on the addresses, so nothing needs
resolving. The machine's `/etc/rabbitmq/rabbitmq-env.conf` (which pins epmd and the
distribution to 127.0.0.1 for the default node) is replaced by a file of the cluster's
own. The default node is never touched.

A partition is made with blackhole routes, in both directions, between the cut node's
namespace and every other node's namespace: the Erlang distribution between them stops
(the cluster sees it after the net tick, set short here), while clients on this machine
still reach every node. Under `pause_minority` the cut node pauses: it closes its client
connections and stops listening, so its clients are refused and fail over; the majority
keeps serving. Healing removes the routes; the paused node sees the majority again and
rejoins by itself.

    python -m siquan.shared.rabbit_netns up --dir var/rabbit-netns
    python -m siquan.shared.rabbit_netns partition --dir var/rabbit-netns --node 1
    python -m siquan.shared.rabbit_netns heal --dir var/rabbit-netns
    python -m siquan.shared.rabbit_netns down --dir var/rabbit-netns

Every `ip` and `rabbitmqctl` call is bounded in time; `down` stops the nodes, ends every
process left in the namespaces (their epmd), deletes the namespaces, the veths and the
bridge, and removes the base directory.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from siquan.shared.rabbit_cluster import SERVER, ClusterError, Node, RabbitCluster, _alive

IP = "ip"
IP_TIMEOUT_S = 10.0
NET_TICKTIME_S = 8
"""Erlang's net tick: a silent peer is declared down after 3/4 to 5/4 of it."""
NETNS_FILE = "netns.json"


class NetnsUnavailable(RuntimeError):
    """This machine cannot make network namespaces (not root, no `ip netns`, …)."""


def ip(*args: str, check: bool = True) -> str:
    """`ip …`, bounded in time; its stdout."""
    command = [IP, *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=IP_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"{' '.join(command)}: no answer in {IP_TIMEOUT_S}s") from exc
    except OSError as exc:
        raise ClusterError(f"{' '.join(command)}: {exc}") from exc
    if check and done.returncode != 0:
        raise ClusterError(f"{' '.join(command)} exited {done.returncode}: "
                           f"{(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout


def unavailable_reason() -> str | None:
    """Why a namespaced cluster cannot run here (None: it can): checked by making and
    removing a namespace."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which(IP) is None:
        return "no `ip` command (Debian package iproute2)"
    if not SERVER.exists():
        return f"no RabbitMQ server at {SERVER}"
    probe = f"siquan-probe-{secrets.token_hex(3)}"
    try:
        ip("netns", "add", probe)
    except ClusterError as exc:
        return f"`ip netns add` fails here: {exc}"
    try:
        ip("netns", "del", probe, check=False)
    except ClusterError:
        pass
    return None


def _used_networks() -> list[ipaddress.IPv4Network]:
    used = []
    for line in ip("-4", "-o", "addr", "show").splitlines():
        parts = line.split()
        if "inet" in parts:
            used.append(ipaddress.IPv4Interface(parts[parts.index("inet") + 1]).network)
    for line in ip("-4", "route", "show").splitlines():
        first = line.split()[0] if line.split() else ""
        if first[:1].isdigit():
            used.append(ipaddress.IPv4Network(first, strict=False))
    return used


def free_subnet() -> str:
    """A /24 in 10.0.0.0/8 that no interface or route of this machine uses: `10.A.B`."""
    used = _used_networks()
    for second in random.sample(range(100, 250), 150):  # each second octet once
        prefix = f"10.{second}.{random.randrange(0, 255)}"
        candidate = ipaddress.IPv4Network(f"{prefix}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return prefix
    raise ClusterError("no free 10.x.y.0/24 for a namespaced cluster")


class NetnsRabbitCluster(RabbitCluster):
    """Nodes `rabbit@10.A.B.i`, each in namespace `siquan-T-i`."""

    longnames = True

    def __init__(self, base_dir: Path, *, size: int = 3, timeout: float = 120.0) -> None:
        super().__init__(base_dir, size=size, timeout=timeout)
        saved = self.base_dir / NETNS_FILE
        if saved.exists():  # a cluster made earlier (the CLI's `down`, `partition`, …)
            state = json.loads(saved.read_text())
            self.tag, self.subnet = state["tag"], state["subnet"]
        else:
            self.tag, self.subnet = secrets.token_hex(3), free_subnet()
        self.bridge = f"sqb{self.tag}"
        self.nodes = [Node(f"rabbit@{self.subnet}.{i}", 5672, 25672,
                           self.base_dir / f"node{i}", host=f"{self.subnet}.{i}",
                           netns=f"siquan-{self.tag}-{i}") for i in range(1, size + 1)]
        self.cut: set[str] = set()
        """Names of the nodes cut off from the others."""

    # --- node settings -----------------------------------------------------------------

    def _env(self, node: Node) -> dict[str, str]:
        return {**super()._env(node), "RABBITMQ_USE_LONGNAME": "true",
                "RABBITMQ_CONF_ENV_FILE": str(self._env_file(node))}

    def _env_file(self, node: Node) -> Path:
        return node.directory / "rabbitmq-env.conf"

    def _cli_env(self, node: Node) -> list[str]:
        return [f"RABBITMQ_CONF_ENV_FILE={self._env_file(node)}"]

    def _config(self, node: Node) -> str:
        # the bridge is private to this machine: the admin may connect from it
        return ("loopback_users = none\n"
                "cluster_partition_handling = pause_minority\n")

    def _advanced_config(self, node: Node) -> str:
        return f"[{{kernel, [{{net_ticktime, {NET_TICKTIME_S}}}]}}].\n"

    def _launcher(self, node: Node) -> list[str]:
        assert node.netns is not None
        return [IP, "netns", "exec", node.netns]

    def ctl(self, node: Node, *args: str, timeout: float = 60.0) -> str:
        self._env_file(node).parent.mkdir(parents=True, exist_ok=True)
        if not self._env_file(node).exists():
            self._env_file(node).write_text("# the namespaced cluster's own (empty)\n")
        return super().ctl(node, *args, timeout=timeout)

    # --- network -----------------------------------------------------------------------

    def up(self) -> NetnsRabbitCluster:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / NETNS_FILE).write_text(json.dumps(
            {"tag": self.tag, "subnet": self.subnet,
             "namespaces": [n.netns for n in self.nodes], "bridge": self.bridge}))
        try:
            self._network_up()
            super().up()
        except BaseException:
            self.down()
            raise
        return self

    def _network_up(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.subnet}.254/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for index, node in enumerate(self.nodes, start=1):
            assert node.netns is not None
            outer = f"sqv{self.tag}{index}"
            ip("netns", "add", node.netns)
            ip("link", "add", outer, "type", "veth", "peer", "name", "eth0",
               "netns", node.netns)
            ip("link", "set", outer, "master", self.bridge)
            ip("link", "set", outer, "up")
            ip("-n", node.netns, "addr", "add", f"{node.host}/24", "dev", "eth0")
            ip("-n", node.netns, "link", "set", "eth0", "up")
            ip("-n", node.netns, "link", "set", "lo", "up")
            self._env_file(node).parent.mkdir(parents=True, exist_ok=True)
            self._env_file(node).write_text("# the namespaced cluster's own (empty)\n")

    def down(self) -> None:
        """Stop the nodes, end what is left in the namespaces, remove the network and the
        base directory. Safe to call on a half-made cluster."""
        try:
            for node in self.nodes:
                if _alive(node.pid()):
                    try:
                        self.stop_node(node)
                    except ClusterError:
                        self.kill(node)
        finally:
            for node in self.nodes:
                self._empty_namespace(node)
            for index, node in enumerate(self.nodes, start=1):
                assert node.netns is not None
                ip("netns", "del", node.netns, check=False)
                ip("link", "del", f"sqv{self.tag}{index}", check=False)
            ip("link", "del", self.bridge, check=False)
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def _empty_namespace(self, node: Node) -> None:
        """SIGKILL every process still in the node's namespace (its epmd, helpers)."""
        assert node.netns is not None
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            pids = [int(p) for p in ip("netns", "pids", node.netns, check=False).split()
                    if p.isdigit()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        raise ClusterError(f"processes left in {node.netns} after 30s")

    def partition(self, node: Node) -> None:
        """Cut `node` off from every other node (both directions); clients on this machine
        still reach it."""
        for other in self.nodes:
            if other is not node:
                self._blackhole("replace", node, other)
                self._blackhole("replace", other, node)
        self.cut.add(node.name)

    def heal(self, node: Node | None = None) -> None:
        """Remove the cut around `node` (default: every cut)."""
        for cut in [n for n in self.nodes if (n is node if node else n.name in self.cut)]:
            for other in self.nodes:
                if other is not cut:
                    self._blackhole("del", cut, other, check=False)
                    self._blackhole("del", other, cut, check=False)
            self.cut.discard(cut.name)

    def _blackhole(self, verb: str, inside: Node, to: Node, *, check: bool = True) -> None:
        assert inside.netns is not None
        ip("-n", inside.netns, "route", verb, "blackhole", f"{to.host}/32", check=check)

    def is_cut(self, node: Node) -> bool:
        assert node.netns is not None
        return "blackhole" in ip("-n", node.netns, "route", "show", check=False)

    # --- state -------------------------------------------------------------------------

    def members_online(self, vhost: str, queue: str, node: Node | None = None) -> bool:
        """Whether every node holds a live replica of the quorum queue (leader or
        follower), as `node` sees it."""
        try:
            members = self.quorum_status(vhost, queue, node)
        except ClusterError:
            return False
        states = {str(m.get("Node Name")): str(m.get("Raft State")) for m in members}
        return (set(states) == {n.name for n in self.nodes}
                and all(s in ("leader", "follower") for s in states.values()))

    def all_running(self, node: Node | None = None) -> bool:
        """Whether `node` (default: the first not cut) sees every node running."""
        node = node or next(n for n in self.nodes if n.name not in self.cut)
        try:
            return set(self.running_nodes(node)) == {n.name for n in self.nodes}
        except (ClusterError, ValueError):
            return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=("up", "down", "status", "partition", "heal"))
    parser.add_argument("--dir", type=Path, default=Path("var/rabbit-netns"))
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--node", type=int, default=1, help="partition: which node (1…)")
    args = parser.parse_args(argv)
    if args.action == "up" and (reason := unavailable_reason()):
        raise SystemExit(f"cannot make a namespaced cluster: {reason}")
    cluster = NetnsRabbitCluster(args.dir, size=args.size)
    if args.action == "up":
        cluster.up()
        print(json.dumps({"nodes": [n.name for n in cluster.nodes], "urls": cluster.urls(),
                          "namespaces": [n.netns for n in cluster.nodes],
                          "rabbitmqctl": cluster.ctl_command()}, indent=2))
    elif args.action == "down":
        cluster.down()
        print("cluster stopped, namespaces and bridge removed")
    elif args.action == "partition":
        cluster.partition(cluster.nodes[args.node - 1])
        print(f"{cluster.nodes[args.node - 1].name} cut off")
    elif args.action == "heal":
        for node in cluster.nodes:
            cluster.heal(node)
        print("every cut healed")
    else:
        print(json.dumps({n.name: {"running": cluster.is_running(n), "cut": cluster.is_cut(n)}
                          for n in cluster.nodes}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
