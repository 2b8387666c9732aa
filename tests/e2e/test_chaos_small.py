"""A small fault campaign (`make chaos` in little): the four services as processes, two
monthly runs of a bulk-loaded roster (grown before the second, as `make chaos` grows it
to a large county's size for the year's last run), at least ten faults from a fixed seed — instances
killed and restarted at their crash points, broker connections closed by the server,
database sessions ended, the bank not answering, answering twice, answering late — and
every promise kept: nothing lost, nothing paid twice, the ledger balanced, every audit
entry present in a verified chain, no finding on the clean data, no dead letter."""

from pathlib import Path

import pytest

from siquan.tools.chaos.__main__ import run
from siquan.tools.chaos.campaign import Options

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)
async def test_ten_faults_during_two_runs_break_no_promise(tmp_path: Path) -> None:
    options = Options(seed=20261204, payees=1_000, months=2, faults=10, instances=1,
                      chunk=100, bank_latency_ms=50, mean_pause_s=1.0, timeout_s=400,
                      large_run_payees=1_500)

    result = await run(options, tmp_path)

    assert result["faults"]["injected"] >= 10
    assert result["last_run_payees"] == 1_500
    assert result["payments"]["expected"] == 1_000 + 1_500  # the new payees from month 2 only
    assert result["payments"]["paid"] == 2_500
    # eligibility and the public at work beside the runs: a survey each month, complaints
    office = result["office_work"]
    assert office.get("survey_done", 0) >= 1 and office.get("applications", 0) >= 50
    assert office.get("complaint_done", 0) >= 1
    broken = [name for name, kept in result["promises"].items() if not kept]
    assert broken == [], {k: result[k] for k in ("findings", "payments", "audit",
                                                 "dead_letters", "unexpected_exits",
                                                 "recovery", "fault_log")}
