"""Oversight as a separate process on the session's environment, an auditor's HTTP client,
and the service's commands run as subprocesses with the service's own settings."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

AUDITOR = {"Authorization": "Bearer dev-auditor-420117-01"}

Entries = Callable[..., Awaitable[list[dict[str, Any]]]]
Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment) -> dict[str, str]:
    # Checkpoints are tested with a second process; this one takes none during the session.
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600"}


@pytest.fixture(scope="module")
def oversight(oversight_vars: dict[str, str], tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[ServiceProcess]:
    process = ServiceProcess("oversight", oversight_vars,
                             tmp_path_factory.mktemp("oversight-logs")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def auditor(oversight: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=oversight.url, headers=AUDITOR,
                                 timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def audit_entries(auditor: httpx.AsyncClient) -> Entries:
    """The audit entries matching some filters (`correlation_id=...`), oldest first."""
    async def entries(**filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:  # pages of at most 500, the most the API gives at once
            after = found[-1]["seq"] if found else 0
            response = await auditor.get("/audit/entries",
                                         params={"limit": 500, "after_seq": after, **filters})
            response.raise_for_status()
            page: list[dict[str, Any]] = response.json()
            found.extend(page)
            if len(page) < 500:
                return found

    return entries


@pytest.fixture(scope="module")
def logged(audit_entries: Entries) -> Callable[[str, int], Awaitable[list[dict[str, Any]]]]:
    """Wait until `count` entries of a correlation id are in the audit log; return them."""
    async def wait(correlation_id: str, count: int) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]]:
            found = await audit_entries(correlation_id=correlation_id)
            return found if len(found) >= count else []

        return await eventually(enough, what=f"{count} entries of {correlation_id}")

    return wait


@pytest.fixture(scope="module")
def oversight_command(oversight_vars: dict[str, str]) -> Command:
    """Run `python -m siquan.oversight <args>`: its exit code and its JSON output."""
    async def run(*args: str) -> tuple[int, dict[str, Any]]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "siquan.oversight", *args,
            env={**os.environ, **oversight_vars},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        assert out, f"no output; stderr: {err.decode(errors='replace')}"
        document: dict[str, Any] = json.loads(out)
        return process.returncode, document

    return run
