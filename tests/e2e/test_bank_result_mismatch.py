"""A bank whose results file answers a payment with another amount or another account
than it was instructed, the four services as processes on the real broker and databases,
disbursement paying through the fixed-width GBK 代发 files and the bank's side of them run
here (`BatchFileCounterpart`):

three beneficiaries of special assistance, certified through eligibility's chain, are
paid January 2026 in one chunk, one file; the bank answers the first's line stating 100 fen
more than instructed and the second's stating another account, the third's as it was
instructed. Neither differing line is taken as paid: the third payment is settled and
announced all the same (a misstated line holds up only its own payment, which moves to a
chunk of its own), the run does not complete. Disbursement publishes each difference
(`bank_result.mismatch.v1`), and oversight lists each as a `bank_result_differs` finding
whose evidence is that message, with both amounts and both accounts (masked). Neither
payment is instructed again while the bank owes its correction; once the bank rewrites the
results file as instructed (更正回盘), both are settled and the run completes, every
payment instructed once, fund custody and oversight account for all three, and oversight
dismisses both findings, naming the correction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.disbursement_v1 import BankResultMismatch, PaymentsSettled
from siquan.contracts.periods import period_start
from siquan.contracts.policy import seed_catalogue
from siquan.disbursement.adapters.batch_file_bank import GbkFormat
from siquan.disbursement.application.ports import BankResult, PaymentInstruction
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
)
from siquan.shared.testing.bank_files import bank_file_env
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.bank_counterpart import BatchFileCounterpart, answering_bank

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PROGRAM, PERIOD = "special_assistance", "2026-01"
BANK_KEY = "result-mismatch-key-shared-with-the-bank"
STATED_MORE = 100  # fen the bank's result line states over the instruction
RESIDENTS = ResidentFactory(DIVISION, birth_year=1961)
MORE, ELSEWHERE, ANSWERED = (
    Beneficiary(RESIDENTS.next(), name, PROGRAM, category) for name, category in (
        ("欧阳秀英", "death"), ("司马建国", "disability"), ("诸葛桂兰", "death")))
PEOPLE = (MORE, ELSEWHERE, ANSWERED)
ACCOUNTS = {p.resident_id: account_number(700 + n) for n, p in enumerate(PEOPLE)}
OTHER_ACCOUNT = account_number(799)  # the account the bank states for ELSEWHERE


def owed(person: Beneficiary) -> int:
    return seed_catalogue().in_force(PROGRAM, period_start(PERIOD), DIVISION).benefit(
        person.category).amount_fen


def masked(account: str) -> str:
    return "*" * (len(account) - 4) + account[-4:]


class MisstatingResults(GbkFormat):
    """The bank's files as a bank that misstates two lines of its results writes them:
    what it paid is what it was instructed, what it answers is not until `corrected`."""

    corrected = False

    def write_results(self, path: Path, batch: str,
                      answered: Sequence[tuple[BankResult, PaymentInstruction]]) -> None:
        super().write_results(path, batch, [(result, self.stated(sent))
                                            for result, sent in answered])

    def stated(self, sent: PaymentInstruction) -> PaymentInstruction:
        if self.corrected:
            return sent
        if sent.account_number == ACCOUNTS[MORE.resident_id]:
            return sent._replace(amount_fen=sent.amount_fen + STATED_MORE)
        if sent.account_number == ACCOUNTS[ELSEWHERE.resident_id]:
            return sent._replace(account_number=OTHER_ACCOUNT)
        return sent


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory,
            bank_dir: Path) -> Iterator[Cluster]:
    disbursement = {**bank_file_env(bank_dir, gbk_key=BANK_KEY),
                    "SIQUAN_BANK_FILE_SETTLE_MS": "0",
                    "SIQUAN_BANK_RESULT_TIMEOUT_SECONDS": "2",
                    "SIQUAN_PAYMENT_CHUNK_SIZE": "3", "SIQUAN_PAYMENT_POLL_SECONDS": "0.2",
                    # one payer: a chunk the bank misstated is set aside, not in the way
                    "SIQUAN_PAYMENT_WORKERS": "1"}
    base = Path(tmp_path_factory.mktemp("result-mismatch"))
    with running_cluster(siquan_env, base / "logs",
                         extra_env={"disbursement": disbursement}) as running:
        yield running


@pytest.fixture(scope="module")
async def bank(cluster: Cluster, bank_dir: Path) -> AsyncIterator[BatchFileCounterpart]:
    """The bank's side of the files: it takes each instruction file, pays it as
    instructed and answers it, misstating two lines."""
    async with answering_bank(bank_dir, cluster.env.bank_dsn,
                              file_format=MisstatingResults(BANK_KEY)) as counterpart:
        yield counterpart


@pytest.fixture(scope="module")
async def cycle(cluster: Cluster) -> AsyncIterator[CountyCycle]:
    driver = CountyCycle.of(cluster)
    try:
        yield driver
    finally:
        await driver.close()


async def test_a_result_line_that_is_not_its_instruction_is_not_paid_but_found(
        cluster: Cluster, cycle: CountyCycle, bank: BatchFileCounterpart,
        bank_dir: Path) -> None:
    cluster.clock.set(datetime(2026, 1, 5, 9, tzinfo=UTC))
    await cycle.certify_all(list(PEOPLE), eligible_from="2026-01-01")
    for person in PEOPLE:
        await cycle.register_account(person, ACCOUNTS[person.resident_id], named=True)
    await cycle.wait_until_disbursement_knows(len(PEOPLE), PROGRAM)
    await cycle.appropriate(RunPlan(PROGRAM, PERIOD), 12 * sum(owed(p) for p in PEOPLE))
    cluster.clock.set(datetime(2026, 1, 20, 9, tzinfo=UTC))
    async with tap(cluster.env, "disbursement") as seen:
        started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
            "program_code": PROGRAM, "period": PERIOD, "division_code": DIVISION})
        run_id = started["run_id"]

        async def both_published() -> dict[str, Any] | None:
            kinds = {m.body["kind"]: m for m in seen.of_type(BankResultMismatch.routing_key)
                     if m.body["run_id"] == run_id}
            return kinds if {"amount_differs", "account_differs"} <= kinds.keys() else None

        published = await eventually(both_published, timeout=90,
                                     what="disbursement published both differences")

        async def found() -> dict[str, dict[str, Any]] | None:
            rows = await cycle.oversight.call(
                "GET", "/findings", Officers.auditor,
                params={"rule": "bank_result_differs", "run_id": run_id, "limit": 500})
            by_payment: dict[str, list[dict[str, Any]]] = {}
            for f in rows:
                by_payment.setdefault(f["details"]["payment_id"], []).append(f)
            wanted = {kind: by_payment[m.body["payment_id"]] for kind, m in published.items()
                      if m.body["payment_id"] in by_payment}
            return wanted if len(wanted) == len(published) else None

        findings = await eventually(found, timeout=60, what="oversight's findings")

        async def answered_paid() -> dict[str, Any] | None:
            shown: dict[str, Any] = await cycle.disbursement.call(
                "GET", f"/runs/{run_id}", Officers.disburser)
            return shown if shown["counts"]["settled"] else None

        run = await eventually(answered_paid, timeout=60, what="the answered payment paid")

        async def announced() -> list[dict[str, Any]] | None:
            found = [m.body for m in seen.of_type(PaymentsSettled.routing_key)
                     if m.body["run_id"] == run_id]
            return found or None

        [first_chunk] = await eventually(announced, timeout=30,
                                         what="the answered payment's chunk announced")
        # the messages that told of each payment's difference: each reading of a results
        # file tells of it; oversight raises one finding per payment's difference, on the
        # first message
        told = {kind: {t.message_id: t.body
                       for t in seen.of_type(BankResultMismatch.routing_key)
                       if t.body["payment_id"] == m.body["payment_id"]}
                for kind, m in published.items()}

    # Only the payment answered as instructed is paid; the run waits on the other two.
    assert (first_chunk["chunk"], [p["amount_fen"] for p in first_chunk["payments"]]) == (
        0, [owed(ANSWERED)])
    assert run["status"] == "allocated"
    assert (run["counts"]["settled"], run["amounts_fen"]["settled"]) == (1, owed(ANSWERED))
    assert (run["counts"]["pending"], run["amounts_fen"]["pending"]) == (
        2, owed(MORE) + owed(ELSEWHERE))
    assert run["bank_settled_fen"] == owed(ANSWERED)
    assert run["awaiting_bank_correction"] == {
        "count": 2, "amount_fen": owed(MORE) + owed(ELSEWHERE),
        "batches": sorted({m.body["batch"] for m in published.values()})}
    assert run["control_totals"] == {"payee_count": 3, "total_fen": sum(map(owed, PEOPLE))}

    more, elsewhere = published["amount_differs"].body, published["account_differs"].body
    assert more["payment_id"] != elsewhere["payment_id"]
    assert (more["expected_amount_fen"], more["stated_amount_fen"]) == (
        owed(MORE), owed(MORE) + STATED_MORE)
    assert more["expected_account"] == more["stated_account"] == masked(
        ACCOUNTS[MORE.resident_id])
    assert (elsewhere["expected_amount_fen"], elsewhere["stated_amount_fen"]) == (
        owed(ELSEWHERE), owed(ELSEWHERE))
    assert (elsewhere["expected_account"], elsewhere["stated_account"]) == (
        masked(ACCOUNTS[ELSEWHERE.resident_id]), masked(OTHER_ACCOUNT))
    for event in (more, elsewhere):
        assert (event["period"], event["outcome"]) == (PERIOD, "settled")

    for kind in ("amount_differs", "account_differs"):
        [finding] = findings[kind]
        assert (finding["category"], finding["status"], finding["period"]) == (
            "wrong_payment", "open", PERIOD)
        [evidence] = finding["evidence"]
        event = told[kind][evidence]
        assert finding["details"] == {
            "source": "results", "kind": kind, "payment_id": event["payment_id"], "line": 0,
            "bank_document": event["batch"],
            "expected_amount_fen": event["expected_amount_fen"],
            "stated_amount_fen": event["stated_amount_fen"],
            "expected_account": event["expected_account"],
            "stated_account": event["stated_account"], "held_status": None,
            "bank_reference": event["bank_reference"],
            "found_at": finding["details"]["found_at"]}
        assert datetime.fromisoformat(finding["details"]["found_at"]) == \
            datetime.fromisoformat(event["found_at"])
        for account in (*ACCOUNTS.values(), OTHER_ACCOUNT):
            assert account not in str(finding)

    # The next morning the bank corrects its results file: both payments are settled, the
    # run completes.
    cluster.clock.set(datetime(2026, 1, 21, 9, tzinfo=UTC))
    bank.format.corrected = True  # type: ignore[attr-defined]
    for batch in sorted({m.body["batch"] for m in published.values()}):
        await bank.answer_again(batch)

    async def completed() -> dict[str, Any] | None:
        shown: dict[str, Any] = await cycle.disbursement.call(
            "GET", f"/runs/{run_id}", Officers.disburser)
        return shown if shown["status"] == "completed" else None

    done = await eventually(completed, timeout=60, what="the run completed once corrected")
    assert (done["counts"]["settled"], done["bank_settled_fen"]) == (3, sum(map(owed, PEOPLE)))
    assert done["awaiting_bank_correction"]["count"] == 0
    taken = sorted((bank_dir / "outbox" / "taken").glob("instructions-*.dat"))
    instructed = [i.payment_id for path in taken
                  for i in MisstatingResults(BANK_KEY).read_instructions(path)]
    assert len(instructed) == len(set(instructed)) == len(PEOPLE)  # each instructed once
    # fund custody settled the three (the answered one's chunk first, the others' after)
    # and oversight's report adds up to the same
    report = await cycle.report(RunPlan(PROGRAM, PERIOD), settled_fen=sum(map(owed, PEOPLE)))
    assert report["failed_count"] == 0

    # the bank's correction settled both disputes: oversight dismissed both findings
    async def dismissed() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = await cycle.oversight.call(
            "GET", "/findings", Officers.auditor,
            params={"rule": "bank_result_differs", "run_id": run_id, "limit": 500})
        return rows if rows and all(f["status"] == "resolved" for f in rows) else None

    closed = await eventually(dismissed, timeout=60, what="both findings dismissed")
    assert sorted(f["details"]["kind"] for f in closed) == ["account_differs",
                                                            "amount_differs"]
    for finding in closed:
        assert (finding["outcome"], finding["resolved_by"]) == (
            "dismissed", "oversight-reconciliation")
        assert finding["details"]["payment_id"] in finding["resolution"]
        assert "settled" in finding["resolution"]
