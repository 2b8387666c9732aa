"""A county's year, the four services as processes on the real broker and databases, the
clock moved through 2027 by a clock file:

fund forecast → appropriations by the four fiscal levels → twelve monthly runs of special
assistance and one yearly run of reward-and-assistance, with the bank refusing an invalid
and a frozen account, returning a payment days later, a retry once the accounts are fixed,
arrears for the months the frozen account missed, a death in May (nothing paid after it)
and an account changed shortly before a run (flagged); the yearly reward-and-assistance
run starts before its funds are appropriated, is refused with the shortfall, waits, and
completes once they are → year-end statements that balance to the fen and match what the
bank settled and returned.

The clerk also enters each special-assistance beneficiary's application with their name,
and each beneficiary files a named complaint giving their phone number, so the year's logs
and spans have every kind of personal data to leak; none of it may appear there.

Certifications are published as eligibility would (`publish_as`, as eligibility's own
tests drive its notice cycle): the year's money is what this test is about.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.periods import first_day_of_next_month
from siquan.contracts.policy import load_catalogue
from siquan.shared.clock import FileClock
from siquan.shared.operator.client import Officers, RefusedByService, ServiceClient
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    register_payee_account,
    submit_application,
)
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

SPECIAL, REWARD, DIVISION, YEAR = "special_assistance", "reward_assistance_rural", "420117", 2027
SECRET = TEST_PERSON_KEY_SECRET
CATALOGUE = load_catalogue()


@dataclass(frozen=True)
class Person:
    name: str
    program: str
    category: str
    account: str  # the account registered first
    resident: str
    full_name: str
    phone: str

    @property
    def key(self) -> str:
        return person_key(SECRET, self.resident)


def _people() -> dict[str, Person]:
    residents = ResidentFactory(DIVISION, birth_year=1960)
    plan = [("regular-1", SPECIAL, "death", "62284801000000011"),
            ("regular-2", SPECIAL, "disability", "62284801000000022"),
            ("regular-3", SPECIAL, "death", "62284801000000033"),
            ("invalid", SPECIAL, "death", "62284801000000000"),    # ...0000: invalid
            ("frozen", SPECIAL, "disability", "62284801000000044"),  # ...0044: frozen
            ("returned", SPECIAL, "death", "62284801000000088"),  # ...0088: returned later
            ("dies-in-may", SPECIAL, "death", "62284801000000055"),
            ("changes-account", SPECIAL, "death", "62284801000000066"),
            ("elder-1", REWARD, "standard", "62284801000000077"),
            ("elder-2", REWARD, "standard", "62284801000000099")]
    surnames = "赵钱孙李周吴郑王冯陈"
    return {name: Person(name, program, category, account, residents.next(),
                         f"{surnames[n]}秀{'英兰芳珍桂梅玉华凤霞'[n]}", f"1390127{n:04d}")
            for n, (name, program, category, account) in enumerate(plan)}


CHANGED_ACCOUNTS = ("62284801000000045", "62284801000000067", "62284801000000001",
                    "62284801000000087")
"""The accounts registered later in the year (personal data as much as the first ones)."""


@pytest.fixture(scope="module")
def people() -> dict[str, Person]:
    return _people()


@pytest.fixture(scope="module")
def clock(tmp_path_factory: pytest.TempPathFactory) -> FileClock:
    path = Path(tmp_path_factory.mktemp("clock")) / "now"
    file_clock = FileClock(path)
    file_clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    return file_clock


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory,
            clock: FileClock) -> Iterator[Cluster]:
    every = {"SIQUAN_CLOCK_FILE": str(clock._path)}
    settings = {
        "eligibility": every, "oversight": every,
        "fund_custody": every,
        "disbursement": {**every, "SIQUAN_PAYMENT_CHUNK_SIZE": "3",
                         "SIQUAN_PAYMENT_POLL_SECONDS": "0.2",
                         "SIQUAN_RETURNS_POLL_SECONDS": "0.3", "SIQUAN_BANK_RETURN_DAYS": "3"}}
    base = Path(tmp_path_factory.mktemp("full-year"))
    with running_cluster(siquan_env, base / "logs", extra_env=settings,
                         trace_dir=base / "traces") as running:
        yield running


class County:
    def __init__(self, cluster: Cluster, clock: FileClock) -> None:
        self.env, self.clock = cluster.env, clock
        self.http = {s: ServiceClient(cluster.url(s)) for s in cluster.processes}
        self.urls = {s: cluster.url(s) for s in cluster.processes}
        self.certifications: dict[str, CertificationGranted] = {}  # by resident ID
        self.runs: dict[str, dict[str, Any]] = {}

    async def close(self) -> None:
        for client in self.http.values():
            await client.close()

    def on(self, month: int, day: int) -> None:
        self.clock.set(datetime(YEAR, month, day, 9, tzinfo=UTC))

    async def certify(self, person: Person) -> None:
        self.certifications[person.resident] = granted = CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code=person.program, category=person.category,
            policy_version=CATALOGUE.in_force(person.program, date(YEAR, 1, 1),
                                              DIVISION).version,
            person_key=person.key, masked_name="张*",
            masked_resident_id=f"{person.resident[:4]}**********{person.resident[-4:]}",
            division_code=DIVISION, effective_from=date(YEAR - 1, 6, 1),
            reviewed_by=Officers.reviewer, approved_by=Officers.approver,
            approved_at=datetime(YEAR - 1, 5, 20, tzinfo=UTC))
        await publish_as(self.env, granted)

    async def apply(self, person: Person) -> None:
        """The clerk enters the application, and the beneficiary files a named complaint."""
        if person.program == SPECIAL:
            await submit_application(self.http["eligibility"], Beneficiary(
                person.resident, person.full_name, person.program, person.category),
                f"{YEAR - 1}-06-01")
        async with httpx.AsyncClient(base_url=self.urls["oversight"]) as public:
            filed = await public.post("/public/complaints", json={
                "category": "not_paid_in_full", "division_code": DIVISION,
                "resident_id": person.resident, "anonymous": False, "contact": person.phone,
                "description": "询问本人补助发放情况"})
        assert filed.status_code == 201, filed.text

    async def register(self, person: Person, account: str) -> dict[str, Any]:
        return await register_payee_account(self.http["disbursement"], person.resident,
                                            account)

    async def forecast(self, program: str, head_count: int) -> dict[str, Any]:
        path = f"/forecasts/{program}/{YEAR}/{DIVISION}"

        async def counted() -> dict[str, Any] | None:
            found: dict[str, Any] = await self.http["fund_custody"].call(
                "POST", path, Officers.treasury)
            return found if found["head_count"] == head_count else None
        return await eventually(counted, timeout=60, what=f"{program} forecast")

    async def appropriate(self, program: str, by_level: dict[str, int]) -> None:
        for level, amount in by_level.items():
            await self.http["fund_custody"].call("POST", "/appropriations", Officers.treasury,
                                                 json={"program_code": program,
                                                       "fiscal_year": YEAR,
                                                       "division_code": DIVISION,
                                                       "fiscal_level": level,
                                                       "amount_fen": amount})

    async def pay(self, program: str, period: str) -> dict[str, Any]:
        started = await self.http["disbursement"].call("POST", "/runs", Officers.disburser,
                                                       json={"program_code": program,
                                                             "period": period,
                                                             "division_code": DIVISION})
        return await self.settled(started["run_id"], period)

    async def retry(self, run_id: str) -> dict[str, Any]:
        started = await self.http["disbursement"].call("POST", f"/runs/{run_id}/retries",
                                                       Officers.disburser)
        return await self.settled(started["run_id"], f"retry of {run_id}")

    async def settled(self, run_id: str, label: str) -> dict[str, Any]:
        """The run once completed and settled by fund custody."""
        async def done() -> dict[str, Any] | None:
            try:
                allocation = await self.http["fund_custody"].call(
                    "GET", f"/allocations/{run_id}", Officers.treasury)
            except RefusedByService as refused:  # the request has not arrived yet
                if refused.response.status_code == 404:
                    return None
                raise
            if allocation["status"] != "settled":
                return None
            run: dict[str, Any] = await self.http["disbursement"].call(
                "GET", f"/runs/{run_id}", Officers.disburser)
            return run
        run = await eventually(done, timeout=60, what=f"run {label} settled")
        self.runs[label] = run
        return run

    async def disbursement_rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.env.fetch("disbursement", sql, *args)

    async def bank_rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.env.fetch("banksim", sql, *args)


def owed(person: Person, period: str) -> int:
    return CATALOGUE.amount_for(person.program, person.category, period, DIVISION)


@pytest.mark.timeout(600)
async def test_a_countys_year_pays_each_month_once_and_its_statement_balances_to_the_fen(
        cluster: Cluster, clock: FileClock, people: dict[str, Person]) -> None:
    special = [p for p in people.values() if p.program == SPECIAL]
    reward = [p for p in people.values() if p.program == REWARD]
    county = County(cluster, clock)
    try:
        for person in people.values():
            await county.apply(person)
            await county.certify(person)
            await county.register(person, person.account)
        forecasts = {SPECIAL: await county.forecast(SPECIAL, len(special)),
                     REWARD: await county.forecast(REWARD, len(reward))}
        await county.appropriate(SPECIAL, forecasts[SPECIAL]["by_level"])
        accounts_after_appropriation = await county.http["fund_custody"].call(
            "GET", f"/accounts/{SPECIAL}/{YEAR}/{DIVISION}", Officers.treasury)

        year = await _the_year(county, people, forecasts[REWARD])
        await _close_the_year(county, year, people, accounts_after_appropriation, forecasts)
    finally:
        await county.close()


async def _the_year(county: County, people: dict[str, Person],
                    reward_forecast: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for month in range(1, 13):
        period = f"{YEAR}-{month:02d}"
        if month == 3:
            county.on(3, 1)
            await county.register(people["frozen"], "62284801000000045")
        if month == 6:
            await _death_recorded(county, people["dies-in-may"], date(YEAR, 5, 10))
        if month == 7:
            county.on(7, 5)
            seen["changed"] = await county.register(people["changes-account"],
                                                    "62284801000000067")
        county.on(month, 15)
        run = await county.pay(SPECIAL, period)
        seen[period] = run
        if month == 1:
            seen["january-returned"], seen["retry"] = await _return_and_retry(county, people,
                                                                               run)
    county.on(12, 20)
    seen[str(YEAR)] = await _paid_once_funded(county, people, reward_forecast)
    return seen


async def _paid_once_funded(county: County, people: dict[str, Person],
                            forecast: dict[str, Any]) -> dict[str, Any]:
    """The yearly run starts on an empty account: refused with the shortfall, nothing sent
    to the bank; the appropriation by the four levels lets it complete."""
    started = await county.http["disbursement"].call(
        "POST", "/runs", Officers.disburser,
        json={"program_code": REWARD, "period": str(YEAR), "division_code": DIVISION})
    run_id = started["run_id"]

    async def refused() -> dict[str, Any] | None:
        run: dict[str, Any] = await county.http["disbursement"].call(
            "GET", f"/runs/{run_id}", Officers.disburser)
        return run if run["status"] == "waiting" else None
    waiting = await eventually(refused, timeout=30, what="the reward run refused for funds")
    allocation = await county.http["fund_custody"].call("GET", f"/allocations/{run_id}",
                                                        Officers.treasury)
    elders = sum(owed(p, str(YEAR)) for p in people.values() if p.program == REWARD)
    assert (allocation["status"], allocation["reserved_fen"]) == ("waiting", 0)
    assert waiting["control_totals"]["total_fen"] == elders
    assert f"{elders} fen short" in waiting["rejection_reason"], waiting["rejection_reason"]
    assert not await county.bank_rows(
        "SELECT 1 FROM transfers WHERE payment_id = ANY($1::uuid[])",
        [p["payment_id"] for p in await county.disbursement_rows(
            "SELECT payment_id FROM payments WHERE run_id = $1", uuid.UUID(run_id))])

    await county.appropriate(REWARD, forecast["by_level"])
    return await county.settled(run_id, str(YEAR))


async def _return_and_retry(county: County, people: dict[str, Person],
                            january: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    county.on(1, 19)  # the bank returned the 0088 account's payment on the 18th

    async def returned() -> dict[str, Any] | None:
        run: dict[str, Any] = await county.http["disbursement"].call(
            "GET", f"/runs/{january['run_id']}", Officers.disburser)
        return run if run["returned"]["count"] == 1 else None
    after_return = await eventually(returned, timeout=30, what="January's return recorded")
    await county.register(people["invalid"], "62284801000000001")
    await county.register(people["returned"], "62284801000000087")
    return after_return, await county.retry(january["run_id"])


async def _death_recorded(county: County, person: Person, died: date) -> None:
    # public security's report (by resident ID) reaches eligibility alone; disbursement
    # learns of the death from the revocation eligibility publishes for it, published
    # here as eligibility would (the certifications are too)
    granted = county.certifications[person.resident]
    await publish_as(county.env, CertificationRevoked(
        certification_id=granted.certification_id, program_code=granted.program_code,
        person_key=granted.person_key, division_code=granted.division_code,
        effective_from=first_day_of_next_month(died),
        reason=f"death reported (died {died})", revoked_by="system", date_of_death=died))

    async def recorded() -> bool:
        return bool(await county.disbursement_rows(
            "SELECT 1 FROM deaths WHERE person_key = $1", person.key))
    await eventually(recorded, timeout=30, what="the death recorded by disbursement")


async def _close_the_year(county: County, year: dict[str, Any], people: dict[str, Person],
                          after_appropriation: dict[str, Any],
                          forecasts: dict[str, dict[str, Any]]) -> None:
    county.on(12, 31)
    statements = {}
    for program in (SPECIAL, REWARD):
        statements[program] = await county.http["fund_custody"].call(
            "POST", f"/statements/{program}/{YEAR}/{DIVISION}", Officers.treasury)
    payments = await county.disbursement_rows(
        "SELECT payment_id::text, person_key, program_code, period, amount_fen, status, run_id"
        " FROM payments")
    transfers = {r["payment_id"]: r for r in await county.bank_rows(
        "SELECT payment_id::text, amount_fen, outcome, returns_on FROM transfers")}

    _check_runs(year, people)
    _check_each_person_paid_each_owed_period_once(payments, people)
    for program, statement in statements.items():
        _check_statement_matches_the_bank(statement, program, payments, transfers,
                                          forecasts[program])
    levels = after_appropriation["levels"]
    assert all(level["outstanding_fen"] == 0 for level in levels.values())
    assert statements[SPECIAL]["returned_fen"] == owed(people["returned"], f"{YEAR}-01")


def _check_runs(year: dict[str, Any], people: dict[str, Person]) -> None:
    january, february, march = (year[f"{YEAR}-{m:02d}"] for m in (1, 2, 3))
    returned = year["january-returned"]
    assert (january["counts"]["failed"], january["returned"]["count"]) == (2, 0)
    assert (returned["counts"]["settled"], returned["returned"]["count"]) == (
        january["counts"]["settled"] - 1, 1)
    assert january["amounts_fen"]["failed"] == sum(
        owed(people[n], f"{YEAR}-01") for n in ("invalid", "frozen"))
    assert february["counts"]["failed"] == 1  # the frozen account, still frozen
    assert (year["retry"]["kind"], year["retry"]["retry_of"]) == ("retry", january["run_id"])
    assert year["retry"]["counts"]["settled"] == 2
    assert march["arrears"]["count"] == 2  # January and February for the frozen account
    assert [f["person_key"] for f in year[f"{YEAR}-07"]["flags"]] == [
        year["changed"]["person_key"]]
    assert year[str(YEAR)]["counts"]["settled"] == 2


def _check_each_person_paid_each_owed_period_once(payments: list[asyncpg.Record],
                                                  people: dict[str, Person]) -> None:
    kept = [p for p in payments if p["status"] == "settled"]
    assert Counter((p["person_key"], p["program_code"], p["period"]) for p in kept
                   ).most_common(1)[0][1] == 1
    periods: dict[str, set[str]] = defaultdict(set)
    for payment in kept:
        periods[payment["person_key"]].add(payment["period"])
    months = {f"{YEAR}-{m:02d}" for m in range(1, 13)}
    for person in people.values():
        if person.program == REWARD:
            assert periods[person.key] == {str(YEAR)}
        elif person.name == "dies-in-may":
            assert periods[person.key] == {f"{YEAR}-{m:02d}" for m in range(1, 6)}
        else:
            assert periods[person.key] == months, person.name


def _check_statement_matches_the_bank(statement: dict[str, Any], program: str,
                                      payments: list[asyncpg.Record],
                                      transfers: dict[str, asyncpg.Record],
                                      forecast: dict[str, Any]) -> None:
    ours = [p for p in payments if p["program_code"] == program]
    at_bank = [transfers[p["payment_id"]] for p in ours if p["payment_id"] in transfers]
    bank_settled = sum(t["amount_fen"] for t in at_bank if t["outcome"] == "settled")
    bank_returned = sum(t["amount_fen"] for t in at_bank if t["returns_on"] is not None)
    assert statement["paid_fen"] == bank_settled
    assert statement["returned_fen"] == bank_returned == sum(
        p["amount_fen"] for p in ours if p["status"] == "returned")
    assert statement["appropriated_total_fen"] == forecast["total_fen"]
    assert statement["appropriated"] == forecast["by_level"]
    assert statement["closing_fen"] == (statement["opening_fen"]
                                        + statement["appropriated_total_fen"]
                                        - statement["paid_fen"] + statement["returned_fen"])
    assert statement["paid_fen"] - statement["returned_fen"] == sum(
        p["amount_fen"] for p in ours if p["status"] == "settled")


def _personal_data(people: dict[str, Person]) -> dict[str, str]:
    """Each fixture value that identifies a person, as text and as JSON escapes it."""
    values = {}
    for person in people.values():
        values.update({f"{person.name} resident ID": person.resident,
                       f"{person.name} resident ID (lower case)": person.resident.lower(),
                       f"{person.name} name": person.full_name,
                       f"{person.name} phone": person.phone,
                       f"{person.name} account": person.account})
    values.update((f"account {a}", a) for a in CHANGED_ACCOUNTS)
    for label, value in list(values.items()):
        escaped = json.dumps(value)[1:-1]
        if escaped != value:
            values[f"{label} (JSON-escaped)"] = escaped
    return values


def _hits(captured: dict[str, str], personal: dict[str, str]) -> list[str]:
    return [f"{label} in {where}" for where, text in captured.items()
            for label, value in personal.items() if value in text]


def _captured(cluster: Cluster) -> dict[str, str]:
    """Every log line and exported span of every service, by file."""
    assert cluster.trace_dir is not None
    files = [p.log_path for p in cluster.all_processes()]
    files += sorted(cluster.trace_dir.glob("*.jsonl"))
    return {f.name: f.read_text(encoding="utf-8", errors="replace") for f in files}


def test_no_personal_data_in_logs_or_spans(cluster: Cluster, people: dict[str, Person]
                                           ) -> None:
    """After the year: no resident ID, name, phone number or bank account of any fixture
    appears in any service's log or spans (the year's requests are in them)."""
    captured = _captured(cluster)
    personal = _personal_data(people)
    assert '"http.route": "/payee-accounts"' in captured["disbursement.jsonl"]
    assert '"http.route": "/applications"' in captured["eligibility.jsonl"]
    assert '"http.route": "/public/complaints"' in captured["oversight.jsonl"]
    planted = {**captured, "planted.log": json.dumps(
        {"message": f"payee {people['frozen'].full_name} {people['frozen'].resident}"})}
    found = _hits(planted, personal)
    assert {"frozen name (JSON-escaped) in planted.log",
            "frozen resident ID in planted.log"} <= set(found), found
    assert _hits(captured, personal) == []
