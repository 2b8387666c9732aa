"""The fault campaign on servers of its own (`--own-servers`): a RabbitMQ node under a low
open-file limit and a PostgreSQL cluster with a low max_connections, started for the test
and removed after it (the machine's default node and cluster are never touched). Each
server fault is injected at least once — the broker stopped and started, PostgreSQL
stopped fast and immediate and started, PostgreSQL at max_connections, the broker at its
open-file limit — and every instance it meets reports it (readiness 503 and
`siquan_dependency_up` 0) while it lasts; the services reconnect by themselves, and every
promise holds: nothing lost, nothing paid twice, the ledger balanced, every audit entry
present in a verified chain."""

import subprocess
from pathlib import Path

import pytest

from siquan.tools.chaos.__main__ import run
from siquan.tools.chaos.campaign import Options
from siquan.tools.chaos.plan import SERVER_KINDS

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


def _own_server_processes() -> str:
    listed = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True,
                            timeout=10, check=False).stdout
    return "\n".join(line for line in listed.splitlines()
                     if "siquan-chaos-" in line and "ps -eo" not in line)


@pytest.mark.timeout(1200)
async def test_each_server_fault_once_breaks_no_promise(tmp_path: Path) -> None:
    options = Options(seed=20261205, payees=1_000, months=3, faults=12, instances=1,
                      chunk=100, bank_latency_ms=50, mean_pause_s=1.0, timeout_s=800,
                      own_servers=True, broker_file_limit=512, outage_s=20)

    result = await run(options, tmp_path)

    by_kind = result["faults"]["by_kind"]
    assert all(by_kind.get(kind, 0) >= 1 for kind in SERVER_KINDS), by_kind
    server_faults = [f for f in result["fault_log"] if f["kind"] in SERVER_KINDS]
    # every instance the fault met said so while it lasted, in readiness and the gauge (a
    # fault landing while every instance restarts after a kill meets none, and one dying at
    # its crash point before it could say so is `gone`, not met)
    assert all(f["reported_not_ready"] == f["met"] and f["reported_by_gauge"] == f["met"]
               for f in server_faults), server_faults
    assert any(f["met"] >= 1 for f in server_faults), server_faults
    exhausted = [f for f in server_faults if "held" in f]
    assert all(f["held"] > 0 for f in exhausted), exhausted
    assert all(f["recovered_s"] is not None for f in server_faults), server_faults
    assert result["payments"]["expected"] == 3_000
    assert result["payments"]["lost"] == 0 and result["payments"]["paid_twice"] == 0
    assert result["ledger"]["balanced"]
    assert result["audit"]["missing"] == 0 and result["audit"]["chain_verified"]
    broken = [name for name, kept in result["promises"].items() if not kept]
    assert broken == [], {k: result[k] for k in ("findings", "payments", "audit",
                                                 "dead_letters", "unexpected_exits",
                                                 "recovery", "fault_log")}
    assert _own_server_processes() == ""
