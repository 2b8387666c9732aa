"""`make up` / `make down`: the demo's cycle with two competing instances of each service,
left running after the command returns, then stopped with its vhost and databases gone."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from siquan.contracts.topology import SERVICES
from siquan.shared.accounts.store import (
    development_token_sha256,
    development_totp_secret,
    read_roster,
)
from siquan.shared.testing.environment import REPO_ROOT

pytestmark = pytest.mark.e2e

DEMO = [sys.executable, "-m", "siquan.shared.operator.demo"]
STAGES = ("applications", "reviews", "notice", "certification", "payee accounts",
          "appropriation", "run started", "allocation", "bank", "settled", "reconciled",
          "audit")
"""The cycle's stages as the demo prints them while it runs, in order."""


def _alive(pid: int) -> bool:
    try:
        return b"siquan." in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


async def _databases(name: str) -> list[str]:
    conn = await asyncpg.connect(os.environ.get(
        "SIQUAN_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    try:
        return [r["datname"] for r in await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{name}%")]
    finally:
        await conn.close()


@pytest.mark.timeout(900)  # the whole demo cycle on eight processes, then their removal
def test_up_leaves_two_instances_of_each_service_serving_and_down_removes_them(
        tmp_path: Path) -> None:
    out = tmp_path / "demo"
    up = subprocess.run([*DEMO, "--up", "--instances", "2", "--out", str(out)],
                        capture_output=True, text=True, timeout=600)
    state_path = out / "up.json"
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        assert "make down stops them" in up.stdout
        for officer in read_roster(REPO_ROOT / "infra" / "dev" / "officers.json"):
            if officer.get("token_sha256") == development_token_sha256(officer["id"]):
                assert f"  {officer['id']} " in up.stdout  # a development account's line
        assert development_totp_secret("treasury-420117-01") in up.stdout
        stages = [line.split("] ", 1)[1].split(":")[0] for line in up.stdout.splitlines()
                  if line.startswith("[") and " s] " in line]
        assert list(dict.fromkeys(stages)) == list(STAGES)  # each reached, in order
        assert stages.count("reconciled") == 2  # both programs' runs
        state = json.loads(state_path.read_text("utf-8"))
        processes = state["processes"]
        assert sorted(p["service"] for p in processes) == sorted([*SERVICES, *SERVICES])
        for process in processes:
            assert httpx.get(f"{process['url']}/health", timeout=10).status_code == 200
            assert process["url"] in up.stdout
        assert len(asyncio.run(_databases(state["name"]))) >= len(SERVICES)

        again = subprocess.run([*DEMO, "--up", "--out", str(out)], capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 2 and "make down" in again.stderr
    finally:
        down = subprocess.run([*DEMO, "--down", "--out", str(out)], capture_output=True,
                              text=True, timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not state_path.exists()
    assert not any(_alive(p["pid"]) for p in processes)
    assert asyncio.run(_databases(state["name"])) == []
