"""Ports for the services tests start: never the kernel's ephemeral ones (a client's outgoing
connection may take such a port between the pick and the service's bind), never one
something listens on, never the same twice in a row, and apart for each xdist worker."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from siquan.shared.testing import processes
from siquan.shared.testing.processes import free_port


def _ephemeral() -> range:
    low, high = (int(n) for n in
                 Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    return range(low, high + 1)


def test_ports_are_outside_the_ephemeral_range_and_differ() -> None:
    ports = [free_port() for _ in range(20)]
    assert len(set(ports)) == len(ports)
    assert not [p for p in ports if p in _ephemeral()]


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", taken))
        listener.listen()
        start = processes._handed_out
        monkeypatch.setattr(processes, "_handed_out", start - 1)  # the held port comes next
        assert free_port() != taken


def test_each_worker_has_its_own_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    picked = {}
    for worker in ("gw0", "gw1", "gw7"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        picked[worker] = {free_port() for _ in range(5)}
    assert not picked["gw0"] & picked["gw1"]
    assert not picked["gw1"] & picked["gw7"]
    assert not picked["gw0"] & picked["gw7"]
