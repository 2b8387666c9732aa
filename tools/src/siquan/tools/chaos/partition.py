"""Broker-cluster faults on the three-node cluster of namespaced hosts
(`siquan.shared.rabbit_netns`): one node cut off by a network partition and healed, then
one node killed (SIGKILL) and restarted, while the services run a payment run and a
probe publishes with confirms to a quorum queue of its own.

The probe is what measures the broker's promise directly: on a vhost of its own, one
publisher and one consumer pinned to each node (no fail-over: a client of the cut node
must be refused, not quietly served elsewhere). Each publisher sends numbered messages,
one at a time, waiting for the confirm (5 s at most); a message counts as confirmed only
when the broker confirmed it. The consumers get, record and ack. The figures:

- confirmed / refused (publishes not confirmed: the cut or dead node's, and the moment
  of the fault), consumed (distinct) and redelivered (the same message twice: an ack lost
  with its connection; quorum queues deliver at least once);
- lost: confirmed messages never consumed (must be 0);
- during the cut: messages the majority's publishers had confirmed and its consumers
  consumed (must be > 0: the majority keeps serving), and whether the cut node refused
  a client (its connections closed, new ones refused: `pause_minority`);
- per fault: time to recover, from the heal (or the kill) to every node running in the
  cluster, every replica of the probe's quorum queue a leader or follower, and the
  node's own publisher confirming again.

`python -m siquan.tools.chaos --only partition` runs this phase on a fresh environment:
the roster in bulk, a month's run with two instances of each service on the namespaced
cluster, the faults during the run, then the payment promises (nothing lost, nothing
paid twice, the ledger balanced, every audit entry present in a verified chain).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx

from siquan.contracts.topology import SUBSCRIPTIONS
from siquan.shared.rabbit_cluster import ClusterError, Node
from siquan.shared.rabbit_netns import NetnsRabbitCluster, unavailable_reason
from siquan.shared.testing.broker_cluster import node_of
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.waiting import eventually
from siquan.tools.chaos import campaign
from siquan.tools.chaos.campaign import DISBURSER, DIVISION, PROGRAM, YEAR, Options, Record

log = logging.getLogger("siquan.chaos")

PARTITIONED = "broker_node_partitioned"
KILLED = "broker_node_killed"
QUEUE = "probe"
CONFIRM_TIMEOUT_S = 5.0
SERVING = 20
"""Messages the majority must confirm and consume while a node is cut off or dead."""


@dataclass
class Probe:
    """Publishers and consumers pinned to each node of the cluster, on a vhost of their own."""

    rabbit: NetnsRabbitCluster
    vhost: str = field(default_factory=lambda: f"siquan_probe_{secrets.token_hex(3)}")
    confirmed: dict[str, tuple[str, float]] = field(default_factory=dict)
    """message id -> (node that confirmed it, when)"""
    refused: list[tuple[str, float, str]] = field(default_factory=list)
    consumed: Counter[str] = field(default_factory=Counter)
    consumed_at: list[tuple[str, float]] = field(default_factory=list)
    """(node that delivered, when) of every delivery"""
    left_in_queue: int | None = None
    """Messages still in the queue when the consumers stopped with some missing."""
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _stop_consumers: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def url(self, node: Node) -> str:
        return f"{node.url.rstrip('/')}/{quote(self.vhost, safe='')}"

    async def start(self) -> None:
        first = self.rabbit.nodes[0]
        await asyncio.to_thread(self.rabbit.ctl, first, "add_vhost", self.vhost)
        await asyncio.to_thread(self.rabbit.ctl, first, "set_permissions", "-p", self.vhost,
                                "guest", ".*", ".*", ".*")
        connection = await aio_pika.connect(self.url(first), timeout=30)
        async with connection:
            channel = await connection.channel()
            await channel.declare_queue(QUEUE, durable=True,
                                        arguments={"x-queue-type": "quorum"})
        for node in self.rabbit.nodes:
            self._tasks.append(asyncio.create_task(self._publish(node)))
            self._tasks.append(asyncio.create_task(self._consume(node)))

    async def stop(self) -> None:
        """Stop publishing; consume until every confirmed message is in (60 s at most)."""
        self._stop.set()

        async def drained() -> bool:
            return not self.lost()
        with contextlib.suppress(AssertionError):
            await eventually(drained, timeout=60, interval=0.5,
                             what="every confirmed probe message consumed")
        self._stop_consumers.set()
        await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 30)
        if self.lost():  # still in the queue, or gone: which one says the count left
            with contextlib.suppress(Exception):
                connection = await aio_pika.connect(self.url(self.rabbit.nodes[-1]),
                                                    timeout=10)
                async with connection:
                    channel = await connection.channel()
                    queue = await channel.declare_queue(QUEUE, passive=True)
                    self.left_in_queue = queue.declaration_result.message_count

    async def remove(self) -> None:
        with contextlib.suppress(ClusterError):
            await asyncio.to_thread(self.rabbit.ctl, self.rabbit.nodes[0], "delete_vhost",
                                    self.vhost)

    async def _publish(self, node: Node) -> None:
        number = 0
        while not self._stop.is_set():
            try:
                connection = await aio_pika.connect(self.url(node), timeout=CONFIRM_TIMEOUT_S)
            except Exception as exc:  # refused: recorded, retried
                self.refused.append((node.name, time.monotonic(), type(exc).__name__))
                await asyncio.sleep(0.5)
                continue
            try:
                async with connection:
                    channel = await connection.channel(publisher_confirms=True)
                    while not self._stop.is_set():
                        number += 1
                        message_id = f"{node.host}-{number}"
                        await channel.default_exchange.publish(
                            aio_pika.Message(message_id.encode(), message_id=message_id,
                                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                            routing_key=QUEUE, timeout=CONFIRM_TIMEOUT_S)
                        self.confirmed[message_id] = (node.name, time.monotonic())
                        await asyncio.sleep(0.02)
            except Exception as exc:  # not confirmed: recorded, retried
                self.refused.append((node.name, time.monotonic(), type(exc).__name__))
                await asyncio.sleep(0.5)

    async def _consume(self, node: Node) -> None:
        while not self._stop_consumers.is_set():
            try:
                connection = await aio_pika.connect(self.url(node), timeout=CONFIRM_TIMEOUT_S)
            except Exception:  # refused: retried
                await asyncio.sleep(0.5)
                continue
            try:
                async with connection:
                    channel = await connection.channel()
                    queue = await channel.get_queue(QUEUE, ensure=False)
                    while not self._stop_consumers.is_set():
                        message = await queue.get(no_ack=False, fail=False,
                                                  timeout=CONFIRM_TIMEOUT_S)
                        if message is None:
                            await asyncio.sleep(0.05)
                            continue
                        self.consumed[str(message.message_id)] += 1
                        self.consumed_at.append((node.name, time.monotonic()))
                        await message.ack()
            except Exception:  # connection lost: retried
                await asyncio.sleep(0.5)

    # --- figures -----------------------------------------------------------------------

    def lost(self) -> set[str]:
        return set(self.confirmed) - set(self.consumed)

    def confirmed_by(self, nodes: set[str], since: float) -> int:
        return sum(1 for n, t in self.confirmed.values() if n in nodes and t >= since)

    def consumed_by(self, nodes: set[str], since: float) -> int:
        return sum(1 for n, t in self.consumed_at if n in nodes and t >= since)

    def figures(self) -> dict[str, Any]:
        return {"vhost_queue": f"{self.vhost}/{QUEUE} (quorum)",
                "confirmed": len(self.confirmed), "refused": len(self.refused),
                "consumed": len(self.consumed),
                "redelivered": sum(n - 1 for n in self.consumed.values()),
                "lost": len(self.lost()), "left_in_queue": self.left_in_queue}


async def _refuses_clients(node: Node, probe: Probe) -> bool:
    """Whether `node` turns a new client away (closed port, or a connection not opened)."""
    try:
        connection = await aio_pika.connect(probe.url(node), timeout=3)
    except Exception:  # any refusal counts
        return True
    await connection.close()
    return False


async def _recovered(rabbit: NetnsRabbitCluster, probe: Probe, node: Node, since: float,
                     timeout: float) -> float:
    """Seconds from `since` until every node runs in the cluster, every replica of the
    probe's queue is live, and `node`'s own publisher confirms again."""
    majority = next(n for n in rabbit.nodes if n is not node)

    async def whole() -> bool:
        return (probe.confirmed_by({node.name}, since) > 0
                and await asyncio.to_thread(rabbit.all_running, majority)
                and await asyncio.to_thread(rabbit.members_online, probe.vhost, QUEUE,
                                            majority))
    await eventually(whole, timeout=timeout, interval=0.5,
                     what=f"{node.name} back in the cluster and serving")
    return round(time.monotonic() - since, 2)


async def _majority_serves(probe: Probe, others: set[str], since: float,
                           timeout: float) -> tuple[int, int]:
    async def serving() -> tuple[int, int] | None:
        confirmed, consumed = (probe.confirmed_by(others, since),
                               probe.consumed_by(others, since))
        return (confirmed, consumed) if confirmed >= SERVING and consumed >= SERVING else None
    found = await eventually(serving, timeout=timeout, interval=0.2,
                             what="the majority confirming and delivering")
    return found


async def partition_and_heal(rabbit: NetnsRabbitCluster, probe: Probe, node: Node, *,
                             start: float, timeout: float = 180.0) -> Record:
    """Cut `node` off, check the majority keeps serving and `node` refuses its clients,
    heal, and wait for `node` to be back."""
    others = {n.name for n in rabbit.nodes if n is not node}
    record = Record(PARTITIONED, node.name, time.monotonic())
    log.info("partition: cutting %s off", node.name)
    await asyncio.to_thread(rabbit.partition, node)
    try:
        majority = next(n for n in rabbit.nodes if n is not node)

        async def seen() -> bool:
            return not await asyncio.to_thread(rabbit.all_running, majority)
        await eventually(seen, timeout=timeout, interval=0.5,
                         what=f"the majority seeing {node.name} gone")
        detected = time.monotonic()

        async def refused() -> bool:
            return await _refuses_clients(node, probe)
        await eventually(refused, timeout=timeout, interval=0.5,
                         what=f"{node.name} refusing clients while cut off")
        confirmed, consumed = await _majority_serves(probe, others, detected, timeout)
        refused_during = sum(1 for n, t, _ in probe.refused
                             if n == node.name and t >= record.at)
    finally:
        log.info("partition: healing %s", node.name)
        await asyncio.to_thread(rabbit.heal, node)
    healed = time.monotonic()
    record.recovered_s = await _recovered(rabbit, probe, node, healed, timeout)
    record.detail = {"detected_after_s": round(detected - record.at, 2),
                     "cut_s": round(healed - record.at, 2),
                     "majority_confirmed_during_cut": confirmed,
                     "majority_consumed_during_cut": consumed,
                     "minority_refused_clients": True,
                     "minority_publishes_refused": refused_during}
    log.info("partition: %s back after %.1fs", node.name, record.recovered_s)
    return record


async def kill_and_restart(rabbit: NetnsRabbitCluster, probe: Probe, node: Node, *,
                           start: float, timeout: float = 180.0) -> Record:
    """SIGKILL `node`, check the others keep serving, restart it, wait for it."""
    others = {n.name for n in rabbit.nodes if n is not node}
    record = Record(KILLED, node.name, time.monotonic())
    log.info("kill: SIGKILL of %s", node.name)
    await asyncio.to_thread(rabbit.kill, node)
    confirmed, consumed = await _majority_serves(probe, others, record.at, timeout)
    await asyncio.to_thread(rabbit.start, node)
    record.recovered_s = await _recovered(rabbit, probe, node, record.at, timeout)
    record.detail = {"majority_confirmed_while_down": confirmed,
                     "majority_consumed_while_down": consumed}
    log.info("kill: %s back after %.1fs", node.name, record.recovered_s)
    return record


async def faults(rabbit: NetnsRabbitCluster, probe: Probe, cut: Node, killed: Node,
                 start: float) -> list[Record]:
    """The partition of `cut`, then the kill of `killed`."""
    return [await partition_and_heal(rabbit, probe, cut, start=start),
            await kill_and_restart(rabbit, probe, killed, start=start)]


def summary(records: list[Record], probe: Probe, start: float) -> dict[str, Any]:
    """The phase's broker figures (the chaos JSON's `partition.broker`)."""
    figures = probe.figures()
    return {"faults": {"injected": len(records),
                       "by_kind": dict(Counter(r.kind for r in records))},
            "messages": figures,
            "recovery": campaign.recovery(records),
            "fault_log": [r.as_dict(start) for r in records]}


# -- the chaos phase ----------------------------------------------------------------------

async def run(options: Options, out: Path, extra_env: dict[str, dict[str, str]]
              ) -> dict[str, Any]:
    """The phase on a fresh namespaced cluster and environment, both removed afterwards."""
    if reason := unavailable_reason():
        log.warning("partition phase skipped: %s", reason)
        return {"skipped": reason, "promises": {"partition_phase_ran": False}}
    began = time.monotonic()
    base = await asyncio.to_thread(out.resolve)
    rabbit = NetnsRabbitCluster(base / f"rabbit-netns-{secrets.token_hex(3)}")
    await asyncio.to_thread(rabbit.up)
    try:
        env = Environment.fresh(base, prefix="siquan_part")
        env.admin_amqp_url, env.broker_nodes = rabbit.nodes[0].url, rabbit.urls()
        env.rabbitmqctl = rabbit.ctl_command()
        await asyncio.to_thread(env.provision)
        try:
            # a hundred chunks of a second at the bank each: the run outlasts the faults
            payer = {**extra_env.get("disbursement", {}),
                     "SIQUAN_PAYMENT_CHUNK_SIZE": str(max(1, options.payees // 100)),
                     "SIQUAN_BANK_LATENCY_MS": "1000"}
            cluster = Cluster(env, out / env.name / "logs",
                              extra_env={**extra_env, "disbursement": payer},
                              instances=options.instances)
            try:
                for process in cluster.all_processes():
                    await asyncio.to_thread(process.start, timeout=300)
                cluster.clock.set(datetime(YEAR, 1, 2, 9, tzinfo=UTC))
                found = await _run_with_faults(rabbit, cluster, options)
                return {"payees": options.payees, "instances_per_service": options.instances,
                        "seconds": round(time.monotonic() - began, 1), **found}
            finally:
                await asyncio.to_thread(cluster.stop)
        finally:
            await asyncio.to_thread(env.teardown)
    finally:
        await asyncio.to_thread(rabbit.down)


async def _run_with_faults(rabbit: NetnsRabbitCluster, cluster: Cluster, options: Options
                           ) -> dict[str, Any]:
    env = cluster.env
    owed = await campaign.load_roster(env, options.payees)
    await campaign.appropriate(cluster, owed * 11 // 10)
    probe = Probe(rabbit)
    await probe.start()
    start = time.monotonic()
    try:
        async with httpx.AsyncClient(base_url=cluster.url("disbursement"), timeout=60) as http:
            response = await http.post("/runs", headers=DISBURSER, json={
                "program_code": PROGRAM, "period": f"{YEAR}-01", "division_code": DIVISION})
            response.raise_for_status()
            run_id = str(response.json()["run_id"])
        # the node the paying instance works through is the one cut off: its clients
        # must fail over mid-run; another node is killed afterwards
        payer = cluster.instances["disbursement"][0]
        cut = await node_of(payer.url, rabbit)
        killed = next(n for n in rabbit.nodes if n is not cut)
        records = await faults(rabbit, probe, cut, killed, start)

        async def settled() -> bool:
            rows = await env.fetch("disbursement", "SELECT status, fund_settled_at"
                                   " FROM payment_runs WHERE run_id = $1", run_id)
            return bool(rows) and rows[0][0] == "completed" and rows[0][1] is not None
        with contextlib.suppress(AssertionError):
            await eventually(settled, timeout=options.timeout_s, interval=1,
                             what="the run settled")
    finally:
        await probe.stop()
        await probe.remove()
    broker = summary(records, probe, start)
    audit = await campaign.audit_counts(env, wait_s=300)
    payments = await campaign.payment_counts(env, [run_id])
    ledger = await campaign.ledger(cluster, payments.pop("settled_fen_at_bank"))
    chain = await campaign.chain(cluster)
    members = {q: await asyncio.to_thread(rabbit.members_online, env.name, q)
               for q in _service_queues()}
    result: dict[str, Any] = {
        **broker, "payments": payments, "ledger": ledger,
        "audit": {**audit, "chain_verified": bool(chain.get("ok"))},
        "service_queues_all_members_online": all(members.values()),
    }
    result["promises"] = {
        "partition_phase_ran": len(records) == 2,
        "partition_nothing_confirmed_lost": broker["messages"]["lost"] == 0
        and broker["messages"]["confirmed"] > 0,
        "partition_every_node_rejoined": broker["recovery"]["unrecovered"] == 0,
        "partition_service_queues_whole": result["service_queues_all_members_online"],
        "partition_nothing_lost": payments["lost"] == 0 and payments["expected"] > 0,
        "partition_nothing_paid_twice": payments["paid_twice"] == 0,
        "partition_ledger_balanced": ledger["balanced"],
        "partition_no_audit_entry_missing": audit["missing"] == 0,
        "partition_chain_verified": result["audit"]["chain_verified"],
    }
    return result


def _service_queues() -> list[str]:
    return sorted({s.queue for s in SUBSCRIPTIONS})
