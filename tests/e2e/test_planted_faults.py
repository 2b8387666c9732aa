"""三追究 end to end: the four services as separate processes run a clean county cycle, and
oversight raises nothing; then insiders plant faults in the services' own databases and
outboxes, and oversight catches each with the right category and evidence:

- a payment after a reported death (a forged payment chunk in disbursement's outbox and a
  transfer at the bank) — a wrong payment, and the payee is held;
- a duplicated payment forced into the bank and disbursement's outbox — paid twice;
- an amount one fen short of the policy — a wrong payment of one fen;
- an approval by the application's own reviewer, forced into eligibility's tables with
  their CHECK constraints dropped and announced from its outbox — a breach of discipline
  traced to that officer;
- a reservation in fund custody's ledger for a run nobody started — a breach of
  discipline.

Last, oversight is killed (SIGKILL) while events flow and restarted: its log holds each
event once, in the order published, and the chain verifies.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from siquan.contracts.disbursement_v1 import (
    PayeeAccountRegistered,
    PaymentsSettled,
    SettledPayment,
)
from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.fund_custody_v1 import AllocationApproved
from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.topology import exchange_of
from siquan.contracts.types import mask_resident_id
from siquan.shared.database import create_pool
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    CycleResult,
    RunPlan,
    account_number,
    default_beneficiaries,
    expected_total,
)
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.person import person_key
from siquan.shared.signing import load_private_key
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PLANS = [RunPlan("special_assistance", "2026-11"), RunPlan("reward_assistance_rural", "2026")]
DECEMBER = RunPlan("special_assistance", "2026-12")
PEOPLE = default_beneficiaries()
DEAD, TWICE, KEPT = PEOPLE[0], PEOPLE[1], PEOPLE[2]
SECRET = TEST_PERSON_KEY_SECRET
STOLEN_FEN = 500


def key_of(person: Beneficiary) -> str:
    return person_key(SECRET, person.resident_id)


@pytest.fixture(scope="module")
def faults_cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("faults"))
    oversight = {"SIQUAN_RECONCILIATION_GRACE_SECONDS": "2",
                 "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.5"}
    with running_cluster(siquan_env, base / "logs", extra_env={
            "disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "2"}, "oversight": oversight}
                         ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
async def driver(faults_cluster: Cluster) -> AsyncIterator[CountyCycle]:
    cycle = CountyCycle.of(faults_cluster)
    try:
        yield cycle
    finally:
        await cycle.close()


async def auditor_get(driver: CountyCycle, path: str) -> Any:
    return await driver.oversight.call("GET", path, Officers.auditor)


async def quiet(driver: CountyCycle) -> None:
    """Nothing waits for a late fact any more, and two more sweeps have run since."""
    async def drained() -> dict[str, Any] | None:
        status: dict[str, Any] = await auditor_get(driver, "/reconciliation/status")
        pending = (status["payments_awaiting_certification"],
                   status["movements_awaiting_run"])
        return status if pending == (0, 0) else None

    seen = await eventually(drained, timeout=60, what="nothing pending in oversight")

    async def swept() -> bool:
        status = await auditor_get(driver, "/reconciliation/status")
        return bool(status["sweeps"] >= seen["sweeps"] + 2)

    await eventually(swept, timeout=60, what="two more sweeps")


@pytest.fixture(scope="module")
async def clean(driver: CountyCycle) -> CycleResult:
    """The county's cycle, and oversight done with it."""
    result = await driver.run(PEOPLE, PLANS)
    await quiet(driver)
    return result


async def test_a_clean_cycle_raises_no_finding_no_hold_and_no_flag(
        clean: CycleResult, driver: CountyCycle) -> None:
    assert await auditor_get(driver, "/findings") == []
    assert await auditor_get(driver, "/holds") == []
    assert await auditor_get(driver, "/flags") == []
    report = await auditor_get(driver, "/reports/special_assistance/2026-11/accountability")
    balance = report["no_omission_no_false_claim"]
    assert (balance["certified"], balance["unpaid"]) == (3, 0)
    assert [balance[k]["count"] for k in ("omissions_found", "false_claims",
                                          "amount_mismatches", "paid_twice")] == [0, 0, 0, 0]


# --- the insiders ---------------------------------------------------------------------

async def _pool(dsn: str) -> asyncpg.Pool:
    return await create_pool(dsn, min_size=1, max_size=1)


def _outbox(env: Environment, service: str) -> Outbox:
    return Outbox(service, load_private_key(env.keys_dir / f"{service}.key"))


async def force_payment(env: Environment, run: dict[str, Any], chunk: int,
                        person: Beneficiary, certification_id: str, amount_fen: int,
                        account: str) -> tuple[str, str]:
    """A transfer at the bank and a settled chunk in disbursement's outbox, signed with its
    key, as an insider at disbursement would make them: (message id, payment id)."""
    payment_id = str(uuid.uuid4())
    reference = f"FORGED{uuid.uuid4().hex[:12]}"
    bank = await asyncpg.connect(env.bank_dsn)
    try:
        await bank.execute(
            "INSERT INTO transfers (payment_id, bank_code, account_number, amount_fen,"
            " remittance, outcome, reason, bank_reference) VALUES ($1, 'ABC', $2, $3, $4,"
            " 'settled', '', $5)", uuid.UUID(payment_id), account, amount_fen,
            f"siquan benefit {run['period']} {payment_id}", reference)
    finally:
        await bank.close()
    event = PaymentsSettled(
        run_id=run["run_id"], program_code=run["program_code"], period=run["period"],
        division_code=DIVISION, chunk=chunk, payments=(SettledPayment(
            payment_id=payment_id, person_key=key_of(person),
            certification_id=certification_id, item="benefit", amount_fen=amount_fen,
            bank_reference=reference),))
    pool = await _pool(env.pg_dsn("disbursement"))
    try:
        async with pool.acquire() as conn, conn.transaction():
            message_id = await _outbox(env, "disbursement").add(conn, event,
                                                                correlation_id=run["run_id"])
    finally:
        await pool.close()
    return message_id, payment_id


_COPY = ("INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table},"
         " to_jsonb(s) || $2::jsonb)).* FROM {table} s WHERE s.id = $1")


async def force_self_approval(env: Environment, source_certification: str,
                              resident_id: str) -> tuple[CertificationGranted, str]:
    """An insider at eligibility drops the CHECKs that keep an approver from approving what
    they reviewed, copies a certified application and its certification for another person
    with the reviewer as approver, and announces it from eligibility's outbox."""
    pool = await _pool(env.pg_dsn("eligibility"))
    try:
        async with pool.acquire() as conn, conn.transaction():
            for table in ("applications", "certifications"):
                for name in await conn.fetch(
                        "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass"
                        " AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%approved_by%'",
                        table):
                    await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name[0]}"')
            source = await conn.fetchrow("SELECT * FROM certifications WHERE id = $1",
                                         uuid.UUID(source_certification))
            assert source is not None
            application_id, certification_id = str(uuid.uuid4()), str(uuid.uuid4())
            who, now = key_of(Beneficiary(resident_id, "", "", "")), datetime.now(UTC)
            reviewer = source["reviewed_by"]
            await conn.execute(_COPY.format(table="applications"), source["application_id"],
                               {"id": application_id, "person_key": who,
                                "resident_id": resident_id, "approved_by": reviewer})
            await conn.execute(_COPY.format(table="certifications"), source["id"],
                               {"id": certification_id, "application_id": application_id,
                                "person_key": who, "approved_by": reviewer,
                                "approved_at": now.isoformat()})
            event = CertificationGranted(
                certification_id=certification_id, application_id=application_id,
                program_code=source["program_code"], category=source["category"],
                policy_version=source["policy_version"], person_key=who, masked_name="赵*",
                masked_resident_id=mask_resident_id(resident_id),
                division_code=source["division_code"],
                effective_from=source["effective_from"], reviewed_by=reviewer,
                approved_by=reviewer, approved_at=now)
            message_id = await _outbox(env, "eligibility").add(conn, event)
    finally:
        await pool.close()
    return event, message_id


async def force_ledger_reservation(env: Environment, plan: RunPlan, amount_fen: int
                                   ) -> tuple[str, str]:
    """An insider at fund custody makes up an allocation for a run nobody started, moves
    money from the available balance into its reservation, and announces it: (run id,
    message id)."""
    run_id, transaction = str(uuid.uuid4()), uuid.uuid4()
    pool = await _pool(env.pg_dsn("fund_custody"))
    try:
        async with pool.acquire() as conn, conn.transaction():
            account = await conn.fetchval(
                "SELECT id FROM special_accounts WHERE program_code = $1 AND fiscal_year = $2"
                " AND division_code = $3", plan.program_code, plan.fiscal_year, DIVISION)
            await conn.execute(
                "INSERT INTO allocations (id, run_id, special_account_id, period, payee_count,"
                " total_fen, status, requested_at, approved_at)"
                " VALUES ($1, $2, $3, $4, 0, $5, 'approved', now(), now())",
                uuid.uuid4(), run_id, account, plan.period, amount_fen)
            await conn.execute(
                "INSERT INTO ledger_transactions (id, special_account_id, kind, reference,"
                " run_id) VALUES ($1, $2, 'reservation', $3, $3)", transaction, account, run_id)
            await conn.executemany(
                "INSERT INTO ledger_entries (transaction_id, special_account_id, account,"
                " amount_fen) VALUES ($1, $2, $3, $4)",
                [(transaction, account, "available", -amount_fen),
                 (transaction, account, f"reserved:{run_id}", amount_fen)])
            available = await conn.fetchval(
                "SELECT balance_fen FROM ledger_balances WHERE special_account_id = $1"
                " AND account = 'available'", account)
            message_id = await _outbox(env, "fund_custody").add(conn, AllocationApproved(
                allocation_id=str(uuid.uuid4()), run_id=run_id, program_code=plan.program_code,
                period=plan.period, division_code=DIVISION, amount_fen=amount_fen,
                available_fen=available))
    finally:
        await pool.close()
    return run_id, message_id


@dataclass
class Planted:
    """What was forged, and the message ids the findings must cite."""

    december_run: dict[str, Any] = field(default_factory=dict)
    death_message: str = ""
    after_death: tuple[str, str] = ("", "")
    duplicate: tuple[str, str] = ("", "")
    first_payment_message: str = ""
    short: tuple[str, str] = ("", "")
    short_person: str = ""
    short_grant_message: str = ""
    self_approved: CertificationGranted | None = None
    self_approval_message: str = ""
    ghost_run: str = ""
    ledger_message: str = ""


async def _deaths_known_to_disbursement(env: Environment, person: str) -> bool:
    return bool(await env.fetch("disbursement", "SELECT 1 FROM deaths WHERE person_key = $1",
                                person))


async def _logged_entry(driver: CountyCycle, person: str, message_type: str
                        ) -> dict[str, Any]:
    """The first entry of a type about a person, once oversight has logged it."""
    async def found() -> dict[str, Any] | None:
        answer = await auditor_get(driver, f"/audit/persons/{person}?limit=500")
        return next((e for e in answer["entries"] if e["message_type"] == message_type
                     and e["body"].get("period", DECEMBER.period) == DECEMBER.period), None)

    return await eventually(found, timeout=60, what=f"{message_type} logged")


async def _logged(driver: CountyCycle, person: str, message_type: str) -> str:
    return str((await _logged_entry(driver, person, message_type))["message_id"])


@pytest.fixture(scope="module")
async def planted(clean: CycleResult, driver: CountyCycle, siquan_env: Environment
                  ) -> Planted:
    env, out = siquan_env, Planted()
    newcomer = Beneficiary(ResidentFactory(DIVISION, birth_year=1962).next(), "孙秀兰",
                           DECEMBER.program_code, "death")
    await driver.certify(newcomer, eligible_from="2026-12-01")  # paid by nobody: no account
    out.short_person = key_of(newcomer)
    out.death_message = await publish_as(env, DeathReported(
        report_id=f"PS-{uuid.uuid4()}", person_key=key_of(DEAD),
        date_of_death=date(2026, 11, 20)))
    await eventually(lambda: _deaths_known_to_disbursement(env, key_of(DEAD)),
                     what="disbursement knows the death")
    owed = expected_total([TWICE, KEPT], DECEMBER)
    await driver.appropriate(DECEMBER, owed + STOLEN_FEN)
    run = await driver.pay(DECEMBER)
    assert run["counts"]["settled"] == 2, run
    out.december_run = run | {"program_code": DECEMBER.program_code,
                              "period": DECEMBER.period}
    await driver.report(DECEMBER, settled_fen=owed)
    out.first_payment_message = await _logged(driver, key_of(TWICE), "payments.settled.v1")
    grant = await _logged_entry(driver, out.short_person, "certification.granted.v1")
    out.short_grant_message = grant["message_id"]
    amount = load_catalogue().in_force(DECEMBER.program_code, period_start(DECEMBER.period)
                                       ).benefit("death").amount_fen
    certs = clean.certifications
    out.after_death = await force_payment(env, out.december_run, 90, DEAD,
                                          certs[DEAD.resident_id], amount, account_number(0))
    out.duplicate = await force_payment(env, out.december_run, 91, TWICE,
                                        certs[TWICE.resident_id], amount, account_number(1))
    out.short = await force_payment(env, out.december_run, 92, newcomer,
                                    grant["body"]["certification_id"], amount - 1,
                                    account_number(77))
    out.self_approved, out.self_approval_message = await force_self_approval(
        env, certs[PEOPLE[3].resident_id], ResidentFactory(DIVISION, birth_year=1957).next())
    out.ghost_run, out.ledger_message = await force_ledger_reservation(env, DECEMBER,
                                                                       STOLEN_FEN)
    return out


async def findings_where(driver: CountyCycle, count: int = 1, **filters: str
                         ) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())

    async def enough() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await auditor_get(driver, f"/findings?{query}")
        return found if len(found) >= count else []

    return await eventually(enough, timeout=60, what=f"findings {filters}")


async def test_a_payment_after_a_reported_death_is_a_wrong_payment_and_holds_the_payee(
        planted: Planted, driver: CountyCycle) -> None:
    message_id, payment_id = planted.after_death
    found = await findings_where(driver, rule="paid_after_death", person_key=key_of(DEAD))

    (finding,) = found
    assert finding["category"] == "wrong_payment"
    assert finding["evidence"] == [message_id, planted.death_message]
    assert finding["officer_id"] == Officers.disburser
    assert finding["run_id"] == planted.december_run["run_id"]
    holds = await auditor_get(driver, f"/holds?person_key={key_of(DEAD)}")
    assert [h["finding_id"] for h in holds] == [finding["finding_id"]]
    assert payment_id in finding["reason"]


async def test_a_duplicated_payment_forced_into_the_bank_is_paid_twice(
        planted: Planted, driver: CountyCycle) -> None:
    message_id, payment_id = planted.duplicate
    (finding,) = await findings_where(driver, rule="paid_twice", person_key=key_of(TWICE))

    assert finding["category"] == "wrong_payment"
    assert finding["evidence"] == [message_id, planted.first_payment_message]
    assert finding["period"] == DECEMBER.period and payment_id in finding["reason"]


async def test_an_amount_one_fen_off_the_policy_is_a_wrong_payment_of_one_fen(
        planted: Planted, driver: CountyCycle) -> None:
    message_id, _ = planted.short
    (finding,) = await findings_where(driver, rule="amount_differs_from_policy",
                                      person_key=planted.short_person)

    assert (finding["category"], finding["amount_fen"]) == ("wrong_payment", 1)
    assert finding["evidence"] == [message_id, planted.short_grant_message]


async def test_an_approval_by_the_reviewer_forced_into_eligibility_is_a_breach(
        planted: Planted, driver: CountyCycle) -> None:
    forged = planted.self_approved
    assert forged is not None
    (finding,) = await findings_where(driver, rule="reviewer_approved_own_review")

    assert finding["category"] == "breach_of_discipline"
    assert finding["officer_id"] == forged.reviewed_by == Officers.reviewer
    assert finding["certification_id"] == forged.certification_id
    assert finding["application_id"] == forged.application_id
    assert finding["evidence"] == [planted.self_approval_message]
    assert finding["decision"] == "suspend"


async def test_a_ledger_reservation_with_no_run_is_a_breach_of_discipline(
        planted: Planted, driver: CountyCycle) -> None:
    (finding,) = await findings_where(driver, run_id=planted.ghost_run)

    assert (finding["category"], finding["rule"]) == ("breach_of_discipline",
                                                      "money_moved_without_run")
    assert finding["evidence"] == [planted.ledger_message]
    assert finding["amount_fen"] == STOLEN_FEN


async def test_nothing_but_the_planted_faults_is_found(
        planted: Planted, driver: CountyCycle) -> None:
    await findings_where(driver, count=5)
    await quiet(driver)
    found = await auditor_get(driver, "/findings")

    rules = sorted(f["rule"] for f in found)
    # eligibility ends the dead person's certification from the month after the death, so
    # the forged payment may also be found as paid after that revocation
    assert [r for r in rules if r != "paid_after_revocation"] == sorted([
        "paid_after_death", "paid_twice", "amount_differs_from_policy",
        "reviewer_approved_own_review", "money_moved_without_run"])
    assert {f["person_key"] for f in found if f["rule"] == "paid_after_revocation"} <= {
        key_of(DEAD)}
    december = await auditor_get(driver, "/reports/special_assistance/2026-12/accountability")
    balance = december["no_omission_no_false_claim"]
    assert balance["amount_mismatches"] == {"count": 1, "amount_fen": 1}
    assert balance["paid_twice"]["count"] == 1 and balance["false_claims"]["count"] >= 1


async def test_the_chain_still_verifies_after_the_faults(planted: Planted,
                                                        driver: CountyCycle) -> None:
    verdict = await auditor_get(driver, "/audit/verify")

    assert verdict["ok"] is True, verdict


# --- oversight killed mid-stream ---------------------------------------------------------

STREAM, WINDOW = 400, 20


async def _stream(env: Environment, correlation: str,
                  paced: Callable[[int], Awaitable[None]]) -> list[str]:
    """Publish STREAM account registrations as disbursement, confirms awaited in windows;
    after each window `paced(published so far)` decides when the next one goes."""
    outbox = _outbox(env, "disbursement")
    connection = await aio_pika.connect(env.amqp_url("disbursement"))
    ids = []
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_of("disbursement"), ensure=False)
        for start in range(0, STREAM, WINDOW):
            window = []
            for n in range(start, start + WINDOW):
                event = PayeeAccountRegistered(
                    person_key=uuid.uuid4().hex * 2, bank_code="ABC",
                    masked_account=f"********{n:04d}", registered_by=Officers.disburser,
                    registered_at=datetime.now(UTC), replaces_previous=False)
                message_id = new_message_id()
                headers, body = outbox.envelope(event, message_id=message_id,
                                                correlation_id=correlation, causation_id=None)
                ids.append(message_id)
                window.append(exchange.publish(aio_pika.Message(
                    body, headers=dict(headers), message_id=message_id,
                    type=event.routing_key, content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=event.routing_key))
            await asyncio.gather(*window)
            await paced(len(ids))
    return ids


async def test_oversight_killed_mid_stream_logs_each_event_once_in_order(
        planted: Planted, faults_cluster: Cluster, driver: CountyCycle) -> None:
    env, oversight = faults_cluster.env, faults_cluster.processes["oversight"]
    correlation = f"restart-{uuid.uuid4()}"
    path = f"/audit/entries?correlation_id={correlation}&limit=500"
    killed = asyncio.Event()

    async def logged() -> int:
        return len(await auditor_get(driver, path))

    async def paced(published: int) -> None:
        """Until oversight is killed, stay at most two windows ahead of its audit log;
        then publish the rest while it is down and restarting."""
        async def close_behind() -> bool:
            if killed.is_set():
                return True
            try:
                return await logged() >= published - 2 * WINDOW
            except httpx.TransportError:  # the request met the kill
                return killed.is_set()
        await eventually(close_behind, timeout=60, interval=0.02, what="oversight keeping up")

    publishing = asyncio.create_task(_stream(env, correlation, paced))

    async def some_logged() -> bool:
        return await logged() >= STREAM // 4

    await eventually(some_logged, timeout=60, interval=0.02, what="a quarter logged")
    still_publishing = not publishing.done()
    killed.set()
    oversight.kill()
    await asyncio.to_thread(oversight.start)
    published = await publishing

    async def all_logged() -> list[dict[str, Any]] | None:
        entries: list[dict[str, Any]] = await auditor_get(driver, path)
        return entries if len(entries) >= STREAM else None

    await eventually(all_logged, timeout=120, what="every event logged")
    await quiet(driver)
    entries = await auditor_get(driver, path)
    verdict = await auditor_get(driver, "/audit/verify")

    assert still_publishing
    assert [e["message_id"] for e in entries] == published
    assert verdict["ok"] is True, verdict
