"""The namespaced broker cluster's parts that need no root: why it cannot run, the
subnet it picks, and the routes a partition adds and a heal removes (the `ip` calls
recorded, not run)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from siquan.shared import rabbit_netns
from siquan.shared.rabbit_netns import NetnsRabbitCluster


def test_without_root_the_reason_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rabbit_netns.os, "geteuid", lambda: 1000)

    assert rabbit_netns.unavailable_reason() == "network namespaces need root (ip netns add)"


def test_the_subnet_overlaps_no_address_or_route_of_the_machine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    taken = [f"10.{a}.0.0/16" for a in range(100, 250) if a != 177]

    def fake_ip(*args: str, check: bool = True) -> str:
        if "addr" in args:
            return "1: lo    inet 127.0.0.1/8 scope host lo\n"
        return "\n".join(f"{net} dev eth0" for net in taken) + "\ndefault via 10.0.0.1\n"
    monkeypatch.setattr(rabbit_netns, "ip", fake_ip)

    prefix = rabbit_netns.free_subnet()

    assert prefix.startswith("10.177.")
    assert ipaddress.IPv4Network(f"{prefix}.0/24").subnet_of(ipaddress.IPv4Network("10.0.0.0/8"))


def test_a_partition_blackholes_both_directions_and_a_heal_removes_them(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(rabbit_netns, "ip", lambda *a, check=True: calls.append(a) or "")
    monkeypatch.setattr(rabbit_netns, "free_subnet", lambda: "10.200.7")
    cluster = NetnsRabbitCluster(tmp_path / "rabbit")
    one, two, three = cluster.nodes

    cluster.partition(one)
    cut = set(calls)
    calls.clear()
    cluster.heal()

    route = ("route", "replace", "blackhole")
    assert cut == {("-n", one.netns, *route, "10.200.7.2/32"),
                   ("-n", one.netns, *route, "10.200.7.3/32"),
                   ("-n", two.netns, *route, "10.200.7.1/32"),
                   ("-n", three.netns, *route, "10.200.7.1/32")}
    assert {c[:3] + c[4:] for c in calls} == {c[:3] + c[4:] for c in cut}
    assert all(c[3] == "del" for c in calls)
    assert cluster.cut == set()
    assert [n.name for n in cluster.nodes] == [
        "rabbit@10.200.7.1", "rabbit@10.200.7.2", "rabbit@10.200.7.3"]
