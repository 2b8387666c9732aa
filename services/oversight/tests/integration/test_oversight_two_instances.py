"""Two oversight processes over one database, competing for the same queues: one chain,
gapless and verifiable, with every event in it exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.tools.bench import oversight_events as stream
from siquan.tools.bench.oversight_publishing import Publisher

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
EVENTS = 900


@pytest.fixture
def second_oversight(siquan_env: Environment, oversight: ServiceProcess, tmp_path: Path
                     ) -> Iterator[ServiceProcess]:
    env = {**siquan_env.service_env("oversight", port=free_port()),
           "SIQUAN_CHECKPOINT_SECONDS": "3600"}
    process = ServiceProcess("oversight", env, tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


async def test_two_instances_keep_one_chain_and_log_each_event_once(
        siquan_env: Environment, second_oversight: ServiceProcess, logged: Logged,
        auditor: httpx.AsyncClient) -> None:
    correlation = f"two-instances-{uuid.uuid4()}"
    publisher = Publisher(siquan_env, window=100)
    for event in stream.mixed(EVENTS):
        await publisher.publish(event, correlation)
    await publisher.close()

    entries = await logged(correlation, EVENTS)

    assert len(entries) == len({e["message_id"] for e in entries}) == EVENTS
    verdict = (await auditor.get("/audit/verify")).json()
    assert verdict["ok"] is True, verdict
    async with httpx.AsyncClient(base_url=second_oversight.url,
                                 headers=auditor.headers) as other:
        assert (await other.get("/audit/verify")).json() == verdict
    assert (await auditor.get("/findings")).json() == []
