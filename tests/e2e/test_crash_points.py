"""SIGKILL at the points of a payment run where money could be paid twice or lost: the four
services as processes, disbursement talking to its bank through batch files (the bank is
the simulated bank behind the files, answered by this test so it can hold its answers).

- disbursement killed with the run allocated but no instruction file written (the
  exchange directory away), and fund custody killed before it saw the allocation request;
- disbursement killed after an instruction file was sent: once while the bank pays it,
  once restarted before the bank answers (so the batch is sent again);
- disbursement killed after the bank's result file arrived but before it was recorded, and
  fund custody killed in the middle of settling the chunks.
Each is restarted. Every payee is paid exactly once at the bank, the run completes, and
fund custody's ledger balances: paid out = what the bank settled, nothing left reserved.

Certifications are published as eligibility would (`publish_as`): eligibility's cycle is
not what these crashes are about.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.shared.operator.client import Officers, ServiceClient
from siquan.shared.operator.county_cycle import register_payee_account
from siquan.shared.person import person_key
from siquan.shared.testing.bank_files import bank_file_env
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.bank_counterpart import BatchFileCounterpart, answering_bank

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
PAYEES, CHUNK = 9, 3
SECRET = TEST_PERSON_KEY_SECRET
MONTHLY_FEN = load_catalogue().amount_for(PROGRAM, "death", f"{YEAR}-01", DIVISION)


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory,
            bank_dir: Path) -> Iterator[Cluster]:
    disbursement = {**bank_file_env(bank_dir),
                    "SIQUAN_PAYMENT_CHUNK_SIZE": str(CHUNK), "SIQUAN_PAYMENT_WORKERS": "1",
                    "SIQUAN_PAYMENT_POLL_SECONDS": "0.2", "SIQUAN_BANK_FILE_SETTLE_MS": "1500",
                    "SIQUAN_BANK_RESULT_TIMEOUT_SECONDS": "3"}
    settings = {"disbursement": disbursement}
    base = Path(tmp_path_factory.mktemp("crash-points"))
    with running_cluster(siquan_env, base / "logs", extra_env=settings) as running:
        yield running


class FileBank:
    """The bank's side of the files; `answering` holds or releases its answers."""

    def __init__(self, files: BatchFileCounterpart) -> None:
        self.bank, self.files = files.bank, files

    @property
    def answering(self) -> bool:
        return self.files.answering

    @answering.setter
    def answering(self, answering: bool) -> None:
        if answering:
            self.files.release()
        else:
            self.files.hold()

    def instruction_files(self, run_id: str) -> list[Path]:
        outbox = self.files.outbox
        return sorted(path for place in (outbox, outbox / "taken", outbox / "withdrawn")
                      for path in place.glob(f"instructions-{run_id}-*.csv"))

    def result_files(self, run_id: str) -> list[Path]:
        return sorted(self.files.inbox.glob(f"results-{run_id}-*.csv"))


@pytest.fixture(scope="module")
async def bank(cluster: Cluster, bank_dir: Path) -> AsyncIterator[FileBank]:
    async with answering_bank(bank_dir, cluster.env.bank_dsn) as files:
        yield FileBank(files)


@pytest.fixture(scope="module")
async def county(cluster: Cluster, bank: FileBank) -> AsyncIterator[dict[str, ServiceClient]]:
    """Nine certified payees with accounts, and the year's money in the special account."""
    clients = {s: ServiceClient(cluster.url(s)) for s in cluster.processes}
    residents = ResidentFactory(DIVISION, birth_year=1962)
    try:
        for index in range(PAYEES):
            resident = residents.next()
            await publish_as(cluster.env, _granted(resident))
            await register_payee_account(clients["disbursement"], resident,
                                         f"6228480{index:09d}7")
        await _appropriate(clients["fund_custody"], PAYEES * MONTHLY_FEN * 12)
        await _await_certified(clients["disbursement"])
        yield clients
    finally:
        for client in clients.values():
            await client.close()


def _granted(resident: str) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key(SECRET, resident), masked_name="王*",
        masked_resident_id=f"{resident[:4]}**********{resident[-4:]}", division_code=DIVISION,
        effective_from=date(YEAR, 1, 1), reviewed_by=Officers.reviewer,
        approved_by=Officers.approver, approved_at=datetime.now(UTC))


async def _appropriate(fund_custody: ServiceClient, amount_fen: int) -> None:
    shares = load_catalogue().in_force(PROGRAM, period_start(f"{YEAR}-01"),
                                       DIVISION).fiscal_shares.model_dump()
    paid = 0
    for index, (level, share) in enumerate(shares.items()):
        amount = amount_fen - paid if index == len(shares) - 1 else amount_fen * share // 10_000
        paid += amount
        await fund_custody.call("POST", "/appropriations", Officers.treasury, json={
            "program_code": PROGRAM, "fiscal_year": YEAR, "division_code": DIVISION,
            "fiscal_level": level, "amount_fen": amount})


async def _await_certified(disbursement: ServiceClient) -> None:
    async def known() -> bool:
        roster = await disbursement.call(
            "GET", f"/certifications?program_code={PROGRAM}&division_code={DIVISION}",
            Officers.disburser)
        return int(roster["active"]) >= PAYEES
    await eventually(known, timeout=60, what="the payees certified in disbursement")


async def _start(clients: dict[str, ServiceClient], period: str) -> str:
    started = await clients["disbursement"].call("POST", "/runs", Officers.disburser, json={
        "program_code": PROGRAM, "period": period, "division_code": DIVISION})
    return str(started["run_id"])


async def _run(clients: dict[str, ServiceClient], run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = await clients["disbursement"].call("GET", f"/runs/{run_id}",
                                                             Officers.disburser)
    return run


async def _settled(clients: dict[str, ServiceClient], run_id: str) -> dict[str, Any]:
    """The allocation once fund custody has settled the completed run."""
    async def done() -> dict[str, Any] | None:
        allocation: dict[str, Any] = await clients["fund_custody"].call(
            "GET", f"/allocations/{run_id}", Officers.treasury)
        return allocation if allocation["status"] == "settled" else None
    return await eventually(done, timeout=90, what=f"run {run_id} settled by fund custody")


async def _transfers(env: Environment, period: str) -> list[asyncpg.Record]:
    return await env.fetch("banksim", "SELECT account_number, amount_fen, outcome"
                           " FROM transfers WHERE remittance LIKE $1",
                           f"siquan benefit {period} %")


async def _paid_exactly_once(cluster: Cluster, clients: dict[str, ServiceClient],
                             run_id: str, period: str) -> None:
    allocation = await _settled(clients, run_id)
    run = await _run(clients, run_id)
    transfers = await _transfers(cluster.env, period)
    assert run["status"] == "completed"
    assert run["counts"] == {"settled": PAYEES, "failed": 0, "cancelled": 0, "pending": 0}
    assert len(transfers) == PAYEES == len({t["account_number"] for t in transfers})
    assert {t["outcome"] for t in transfers} == {"settled"}
    assert (allocation["paid_fen"], allocation["released_fen"]) == (PAYEES * MONTHLY_FEN, 0)
    account = await clients["fund_custody"].call(
        "GET", f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
    all_settled = sum(t["amount_fen"] for t in await _transfers(cluster.env, f"{YEAR}-%"))
    assert account["reserved_fen"] == 0
    assert account["paid_out_fen"] == all_settled
    assert account["available_fen"] == account["appropriated_total_fen"] - all_settled


async def test_killed_before_the_bank_file_the_run_pays_everyone_once_after_restart(
        cluster: Cluster, county: dict[str, ServiceClient], bank: FileBank,
        bank_dir: Path) -> None:
    outbox = bank_dir / "outbox"
    shutil.move(outbox, bank_dir / "outbox-away")
    outbox.write_text("the exchange directory is not mounted")
    cluster.processes["fund_custody"].kill()
    run_id = await _start(county, f"{YEAR}-01")
    cluster.processes["fund_custody"].start()

    async def allocated() -> bool:
        return bool((await _run(county, run_id))["status"] == "allocated")
    await eventually(allocated, timeout=60, what="the run allocated")
    cluster.processes["disbursement"].kill()
    assert bank.instruction_files(run_id) == []
    outbox.unlink()
    shutil.move(bank_dir / "outbox-away", outbox)
    cluster.processes["disbursement"].start()

    await _paid_exactly_once(cluster, county, run_id, f"{YEAR}-01")


async def test_killed_after_instructions_were_sent_the_bank_answers_once_per_payment(
        cluster: Cluster, county: dict[str, ServiceClient], bank: FileBank) -> None:
    disbursement = cluster.processes["disbursement"]
    bank.answering = False
    run_id = await _start(county, f"{YEAR}-02")

    def sent(count: int) -> Callable[[], Awaitable[bool]]:
        async def probe() -> bool:
            return len(bank.instruction_files(run_id)) >= count
        return probe

    await eventually(sent(1), timeout=60, what="a first instruction file")
    disbursement.kill()
    assert await bank.files.answer_waiting() == 1  # the bank pays while disbursement is down
    disbursement.start()
    await eventually(sent(2), timeout=60, what="a second instruction file")
    disbursement.kill()
    disbursement.start()  # restarted before the bank answered: the batch is sent again
    await eventually(sent(3), timeout=60, what="the batch sent again")
    bank.answering = True

    await _paid_exactly_once(cluster, county, run_id, f"{YEAR}-02")
    assert len(bank.instruction_files(run_id)) > PAYEES // CHUNK


async def test_killed_while_results_come_back_and_fund_custody_killed_mid_settlement(
        cluster: Cluster, county: dict[str, ServiceClient], bank: FileBank) -> None:
    run_id = await _start(county, f"{YEAR}-03")

    async def answered() -> bool:
        return bool(bank.result_files(run_id))
    await eventually(answered, timeout=60, interval=0.02, what="the bank's first results")
    cluster.processes["disbursement"].kill()  # within the result file's 1.5 s settling time
    bank.answering = False
    recorded_when_killed = await _results_recorded(cluster.env, run_id)
    cluster.processes["disbursement"].start()

    async def settling() -> bool:
        allocation = await county["fund_custody"].call("GET", f"/allocations/{run_id}",
                                                       Officers.treasury)
        return bool(allocation["paid_fen"] > 0)
    await eventually(settling, timeout=60, interval=0.05, what="fund custody settling")
    cluster.processes["fund_custody"].kill()  # the other chunks still wait for the bank
    bank.answering = True
    cluster.processes["fund_custody"].start()

    assert recorded_when_killed == 0
    await _paid_exactly_once(cluster, county, run_id, f"{YEAR}-03")


async def _results_recorded(env: Environment, run_id: str) -> int:
    """Payments of the run with a result, read from disbursement's database."""
    rows = await env.fetch("disbursement", "SELECT count(*) FROM payments"
                           " WHERE run_id = $1 AND status <> 'pending'", run_id)
    return int(rows[0][0])
