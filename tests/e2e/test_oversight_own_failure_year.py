"""Oversight accuses nobody, the four services as processes on the real broker and
databases, driven through their APIs: a clean year 2026 (four beneficiaries of special
assistance certified through eligibility's chain and paid in twelve monthly runs, January
to December) raises no finding, no hold, no flag; then, in January 2027, oversight's
handler is made to fail once on the certification of a fifth beneficiary (its table
refuses that person: the message is dead-lettered) while January pays them. The payment
rests on a certification oversight has not processed: it waits as incomplete evidence —
no finding, no hold — and the dead letter is an operational alert; once the operator
replays it, the evidence is complete and the wait is withdrawn. The thirteen months end
with no finding at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.periods import period_start
from siquan.contracts.policy import seed_catalogue
from siquan.shared.dead_letters import Journal, Selection, replay_dead_letters
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
)
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.oversight_faults import fail_certifications_of
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PROGRAM, YEAR = "special_assistance", 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
NEXT_JANUARY = f"{YEAR + 1}-01"
RESIDENTS = ResidentFactory(DIVISION, birth_year=1964)
FIRST = [Beneficiary(RESIDENTS.next(), name, PROGRAM, category) for name, category in (
    ("蒋秀英", "death"), ("沈建华", "disability"), ("韩桂芳", "death"),
    ("杨玉兰", "disability"))]
LATE = Beneficiary(RESIDENTS.next(), "朱淑珍", PROGRAM, "death")


def owed(person: Beneficiary, period: str) -> int:
    return seed_catalogue().in_force(PROGRAM, period_start(period), DIVISION).benefit(
        person.category).amount_fen


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("own-failure-year"))
    settings = {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "4"},
                "oversight": {"SIQUAN_RECONCILIATION_GRACE_SECONDS": "1",
                              "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.3"}}
    with running_cluster(siquan_env, base / "logs", extra_env=settings) as running:
        yield running


@pytest.fixture(scope="module")
async def cycle(cluster: Cluster) -> Any:
    driver = CountyCycle.of(cluster)
    try:
        yield driver
    finally:
        await driver.close()


async def audited(cycle: CountyCycle, path: str, **params: Any) -> Any:
    return await cycle.oversight.call("GET", path, Officers.auditor, params=params or None)


async def swept_again(cycle: CountyCycle, times: int) -> None:
    """Until `times` more of oversight's sweeps have run (each judges what is missing)."""
    target = (await audited(cycle, "/reconciliation/status"))["sweeps"] + times

    async def done() -> bool:
        return bool((await audited(cycle, "/reconciliation/status"))["sweeps"] >= target)

    await eventually(done, timeout=60, what=f"{times} more sweeps")


async def nothing_raised(cycle: CountyCycle) -> dict[str, Any]:
    return {"findings": await audited(cycle, "/findings"),
            "holds": await audited(cycle, "/holds"),
            "flags": await audited(cycle, "/flags"),
            "waiting": await audited(cycle, "/reconciliation/incomplete-evidence")}


async def test_a_clean_year_raises_no_finding(cluster: Cluster, cycle: CountyCycle
                                             ) -> None:
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    await cycle.certify_all(FIRST, eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate(FIRST):
        await cycle.register_account(person, account_number(500 + n))
    await cycle.wait_until_disbursement_knows(len(FIRST), PROGRAM)
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]), 10_000_000)
    for month, period in enumerate(MONTHS, 1):
        cluster.clock.set(datetime(YEAR, month, 20, 9, tzinfo=UTC))
        run = await cycle.pay(RunPlan(PROGRAM, period))
        owed_fen = sum(owed(p, period) for p in FIRST)
        assert (run["counts"]["settled"], run["amounts_fen"]["settled"]) == (
            len(FIRST), owed_fen)
        report = await cycle.report(RunPlan(PROGRAM, period), settled_fen=owed_fen)
        assert (report["certified_count"], report["paid_fen"]) == (len(FIRST), owed_fen)
    await swept_again(cycle, 5)
    listed = await cycle.disbursement.call("GET", "/runs", Officers.auditor,
                                           params={"program_code": PROGRAM})

    assert sorted((r["period"], r["status"]) for r in listed["runs"]) == [
        (period, "completed") for period in MONTHS]
    assert await nothing_raised(cycle) == {"findings": [], "holds": [], "flags": [],
                                           "waiting": []}


async def test_a_payment_resting_on_a_message_oversight_failed_on_accuses_nobody(
        cluster: Cluster, cycle: CountyCycle) -> None:
    key = person_key(TEST_PERSON_KEY_SECRET, LATE.resident_id)
    cluster.clock.set(datetime(YEAR + 1, 1, 2, 9, tzinfo=UTC))
    await fail_certifications_of(cluster.env, key, on=True)
    certified = await cycle.certify(LATE, eligible_from=f"{YEAR + 1}-01-01")

    async def dead_lettered() -> dict[str, Any] | None:
        alert: dict[str, Any] = await audited(cycle, "/operations/dead-letters")
        return alert if alert["dead_letters_waiting"] else None

    alert = await eventually(dead_lettered, timeout=60, what="oversight's dead letter")
    await cycle.register_account(LATE, account_number(599))
    await cycle.wait_until_disbursement_knows(len(FIRST) + 1, PROGRAM)
    await cycle.appropriate(RunPlan(PROGRAM, NEXT_JANUARY), 10_000_000)
    cluster.clock.set(datetime(YEAR + 1, 1, 20, 9, tzinfo=UTC))
    january = await cycle.pay(RunPlan(PROGRAM, NEXT_JANUARY))
    assert january["amounts_fen"]["settled"] == sum(owed(p, NEXT_JANUARY)
                                                    for p in (*FIRST, LATE))

    async def waiting() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await audited(
            cycle, "/reconciliation/incomplete-evidence", person_key=key)
        return rows

    [wait] = await eventually(waiting, timeout=60, what="the payment waiting for evidence")
    await swept_again(cycle, 5)
    during = await nothing_raised(cycle)

    assert alert["alert"] is True and alert["dead_letters_waiting"] == 1
    assert (wait["rule"], wait["status"]) == ("paid_without_certification",
                                              "incomplete_evidence")
    assert any("dead letter" in reason for reason in wait["waiting_for"])
    assert (during["findings"], during["holds"]) == ([], [])

    # The operator fixes the cause and replays the dead letter, as the alert asks.
    await fail_certifications_of(cluster.env, key, on=False)
    listed = await audited(cycle, "/dead-letters")
    [letter] = listed["letters"]
    assert letter["type"] == "certification.granted.v1"
    journal = Journal(cluster.env.pg_dsn("oversight"), "operator-420117-01",
                      "the certification table refused a person; the constraint is gone")
    replayed = await replay_dead_letters(cluster.env.amqp_url("oversight"), "oversight",
                                         selection=Selection(message_id=letter["message_id"]),
                                         journal=journal)

    async def withdrawn() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await audited(
            cycle, "/reconciliation/incomplete-evidence", status="withdrawn", person_key=key)
        return rows

    [cleared] = await eventually(withdrawn, timeout=60, what="the wait withdrawn")
    await swept_again(cycle, 5)
    after = await nothing_raised(cycle)
    alert_after = await audited(cycle, "/operations/dead-letters")

    assert replayed == 1 and cleared["rule"] == "paid_without_certification"
    assert after == {"findings": [], "holds": [], "flags": [], "waiting": []}
    assert (alert_after["dead_letters_waiting"], alert_after["alert"]) == (0, False)
    await eventually(lambda: _watched(cluster.env, certified), timeout=60,
                     what="oversight knows the certification after the replay")


async def _watched(env: Environment, certification_id: str) -> bool:
    """Whether oversight now holds the certification its handler failed on."""
    rows = await env.fetch("oversight", "SELECT 1 FROM watched_certifications"
                           " WHERE certification_id = $1", certification_id)
    return bool(rows)
