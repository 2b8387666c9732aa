"""The payment rule's SQL and its Python give the same answers, on generated cases, against
a real PostgreSQL.

Each case is a handful of persons with certifications (start, revocation, category),
deaths, holds placed and lifted (on this program, another, all), suspensions and
reinstatements in any order, accounts (some a change awaiting a second officer's
confirmation), and earlier payments of the run's and the arrears
window's periods (settled, pending, failed, cancelled, returned; to the current account
or another). The same case is loaded through the same repository calls into
disbursement's database and into the in-memory twin, inside a transaction that is rolled
back afterwards, and then:

- the roster frozen by PostgreSQL (`payable.PLANNABLE` in SQL for the plain persons, the
  domain for the others) pays and skips exactly what the domain's `plan_person` decides
  for every person;
- the payer's re-check before the bank (`payable.PAYABLE` in SQL, in the chunk claim)
  gives every pending payment the obstacle the rule gives in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from siquan.contracts.policy import load_catalogue
from siquan.disbursement.adapters.memory import FakeDisbursementWork
from siquan.disbursement.adapters.memory_store import MemoryStore, PaymentRecord
from siquan.disbursement.adapters.unit_of_work import DisbursementWork
from siquan.disbursement.application.repositories import Hold
from siquan.disbursement.domain.amounts import AmountTable, amount_table
from siquan.disbursement.domain.certification import Certification, benefits_end_after_death
from siquan.disbursement.domain.payable import PAYABLE
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import PayeeAccount, PlannedPayment, RosterQuery
from siquan.shared.clock import FixedClock
from siquan.shared.outbox import Outbox

from .conftest import in_rolled_back_transaction

PROGRAM, OTHER, DIVISION = "special_assistance", "reward_assistance_rural", "420117"
PERIOD, WINDOW = "2026-06", ("2026-04", "2026-05")
NOW = datetime(2026, 6, 20, 9, tzinfo=UTC)
STATUSES = ("settled", "pending", "failed", "cancelled", "returned")
# period bounds and their neighbours, so that dates meet on the edges
EDGES = sorted({d + timedelta(days=shift) for month in range(2, 10)
                for d in (date(2026, month, 1),) for shift in (-1, 0, 1)})
days = st.sampled_from(EDGES) | st.dates(date(2026, 2, 1), date(2026, 8, 31))


@dataclass(frozen=True)
class Earlier:
    period: str
    status: str
    to_current_account: bool


@dataclass(frozen=True)
class Person:
    certifications: tuple[tuple[str, date, date | None], ...]  # category, start, revoked
    died_on: date | None
    holds: tuple[tuple[str | None, bool], ...]  # program, lifted
    suspended: tuple[date, ...]
    reinstated: tuple[date, ...]
    account: bool
    earlier: tuple[Earlier, ...]
    account_awaiting: bool = False
    """The current account is a change no second officer has confirmed yet."""


@st.composite
def persons(draw: st.DrawFn) -> Person:
    certifications = draw(st.lists(st.tuples(
        st.sampled_from(["death", "death", "disability", "unknown"]),
        st.sampled_from(EDGES[:12]) | days, st.none() | days), min_size=1, max_size=2))
    earlier = draw(st.lists(st.builds(Earlier, st.sampled_from((*WINDOW, PERIOD)),
                                      st.sampled_from(STATUSES), st.booleans()),
                            max_size=3))
    live = set()
    kept = []
    for payment in earlier:  # one live payment per key, as the database allows
        if payment.status in ("settled", "pending"):
            if payment.period in live:
                continue
            live.add(payment.period)
        kept.append(payment)
    suspended = draw(st.lists(days, max_size=2, unique=True))
    # a reinstatement often on the very day of a suspension, or before it
    reinstated = draw(st.lists(st.sampled_from(suspended) | days if suspended else days,
                               max_size=2, unique=True))
    return Person(
        tuple(certifications), draw(st.none() | days),
        tuple(draw(st.lists(st.tuples(st.sampled_from([None, PROGRAM, OTHER]), st.booleans()),
                            max_size=2))),
        tuple(suspended), tuple(reinstated), draw(st.booleans()), tuple(kept),
        draw(st.booleans()))


def key(n: int) -> str:
    return f"{n:064x}"


def account(n: int, current: bool = True) -> PayeeAccount:
    return PayeeAccount("102", f"62220200{n:06d}{0 if current else 1:05d}")


async def load(uow: Any, people: list[Person]) -> None:
    """The same facts through the same repository calls, whatever the store."""
    await uow.runs.add(PaymentRun(
        id="00000000-0000-4000-8000-000000000001", program_code=PROGRAM, period="2026-03",
        division_code=DIVISION, policy_version="wuhan-2012", payee_count=1, total_fen=1,
        started_by="x", started_at=NOW - timedelta(days=90)),
        skipped=(), flags=(), arrears_count=0, arrears_fen=0)
    for n, person in enumerate(people):
        for c, (category, starts, revoked) in enumerate(person.certifications):
            certification_id = f"cert-{n}-{c}"
            await uow.certifications.add(Certification(
                certification_id, key(n), PROGRAM, category, DIVISION, starts),
                policy_version="wuhan-2012", approved_at=NOW - timedelta(days=400))
            if revoked is not None:
                await uow.certifications.end(certification_id, revoked, "test", "x")
            for day in person.suspended:
                await uow.certifications.suspend(certification_id, day)
            for day in person.reinstated:
                await uow.certifications.reinstate(certification_id, day)
        if person.died_on is not None:
            await uow.deaths.record(key(n), f"death-{n}", person.died_on,
                                    benefits_end_after_death(person.died_on))
        for h, (program, lifted) in enumerate(person.holds):
            await uow.holds.place(Hold(f"hold-{n}-{h}", key(n), program, "test"))
            if lifted:
                await uow.holds.lift(f"hold-{n}-{h}", key(n), "test", NOW)
        if person.account and person.account_awaiting:  # an earlier one, then a change
            await uow.accounts.replace(key(n), PayeeAccount("103", f"62220300{n:06d}00000"),
                                       division_code=DIVISION, registered_by="x",
                                       at=NOW - timedelta(days=300))
        if person.account:
            await uow.accounts.replace(key(n), account(n), division_code=DIVISION,
                                       registered_by="x", at=NOW - timedelta(days=200),
                                       needs_checker=person.account_awaiting)


async def pay_earlier(uow: Any, n: int, person: Person) -> None:
    """Earlier payments of the person, with their results."""
    for e, earlier in enumerate(person.earlier):
        to = account(n, earlier.to_current_account)
        if isinstance(uow, FakeDisbursementWork):
            record = PaymentRecord(
                f"00000000-0000-4000-8001-{n:06d}{e:06d}",
                "00000000-0000-4000-8000-000000000001", f"cert-{n}-0", key(n), PROGRAM,
                earlier.period, "benefit", 21_000, to.bank_code, to.account_number,
                status=earlier.status,
                bank_reference="REF" if earlier.status in ("settled", "returned") else None)
            uow.store.payments[record.payment_id] = record
            continue
        payment_id = f"00000000-0000-4000-8001-{n:06d}{e:06d}"
        await uow.conn.execute(
            "INSERT INTO payment_orders (payment_id, run_id, certification_id, person_key,"
            " program_code, period, item, amount_fen, bank_code, account_number,"
            " certified_from, live) VALUES ($1, '00000000-0000-4000-8000-000000000001',"
            " $2, $3, $4, $5, 'benefit', 21000, $6, $7, $8, $9)",
            payment_id, f"cert-{n}-0", key(n), PROGRAM, earlier.period, to.bank_code,
            to.account_number, date(2026, 1, 1), earlier.status in ("settled", "pending"))
        if earlier.status != "pending":
            await uow.conn.execute(
                "INSERT INTO payment_results (payment_id, status, reason, bank_reference,"
                " finished_at, returned_on) VALUES ($1, $2, '', $3, now(), $4)",
                payment_id, "settled" if earlier.status == "returned" else earlier.status,
                "REF" if earlier.status in ("settled", "returned") else None,
                date(2026, 6, 1) if earlier.status == "returned" else None)


class Both:
    """The case in PostgreSQL (a transaction rolled back at the end) and in memory."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        clock = FixedClock(NOW)
        self.pg = DisbursementWork(conn, Outbox("disbursement", Ed25519PrivateKey.generate()),
                                   clock)
        self.memory = FakeDisbursementWork(MemoryStore(), clock)

    async def load(self, people: list[Person]) -> None:
        for uow in (self.pg, self.memory):
            await load(uow, people)
            for n, person in enumerate(people):
                await pay_earlier(uow, n, person)


def run_in_rolled_back_transaction(dsn: str, check: Any) -> None:
    async def both(conn: asyncpg.Connection) -> None:
        await check(Both(conn))

    in_rolled_back_transaction(dsn, both)


AWAITING_CONFIRMATION = Person(
    (("death", date(2026, 1, 1), None),), None, (), (), (), True, (), account_awaiting=True)
TWO_CERTIFICATIONS = Person(  # both from the run's period on, no arrears: paid as decided
    (("death", date(2026, 6, 1), None), ("disability", date(2026, 6, 2), None)), None, (), (),
    (), True, ())


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(people=[AWAITING_CONFIRMATION])
@example(people=[TWO_CERTIFICATIONS])
@given(people=st.lists(persons(), min_size=1, max_size=4))
def test_the_roster_frozen_in_sql_pays_and_skips_what_the_domain_decides(
        database: str, people: list[Person]) -> None:
    table = amount_table(load_catalogue(), PROGRAM, PERIOD, DIVISION, WINDOW)

    async def check(both: Both) -> None:
        await both.load(people)
        frozen = {}
        for name, uow in (("sql", both.pg), ("domain", both.memory)):
            query = RosterQuery(f"00000000-0000-4000-8000-00000000000{2 + len(frozen)}",
                                PROGRAM, DIVISION, table, NOW, 30, 2)
            roster = await uow.payments.freeze(query)
            paid = await _paid(uow, query.run_id)
            frozen[name] = (paid, sorted((s.certification_id, s.reason)
                                         for s in roster.skipped),
                            roster.payee_count, roster.total_fen, roster.arrears_count)
        assert frozen["sql"] == frozen["domain"]

    run_in_rolled_back_transaction(database, check)


async def _paid(uow: Any, run_id: str) -> list[tuple[str, str, str, int]]:
    if isinstance(uow, FakeDisbursementWork):
        found = [(p.certification_id, p.person_key, p.period, p.amount_fen)
                 for p in uow.store.run_payments(run_id)]
    else:
        rows = await uow.conn.fetch("SELECT certification_id, person_key, period, amount_fen"
                                    " FROM payment_orders WHERE run_id = $1", run_id)
        found = [tuple(r) for r in rows]
    return sorted(found)


REINSTATED_THE_SAME_DAY = Person(
    (("death", date(2026, 1, 1), None),), None, (), (date(2026, 4, 1),), (date(2026, 4, 1),),
    True, ())


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(people=[REINSTATED_THE_SAME_DAY], period=PERIOD, allocated=True)
@given(people=st.lists(persons(), min_size=1, max_size=3),
       period=st.sampled_from((*WINDOW, PERIOD, "2026-07")), allocated=st.booleans())
def test_the_recheck_before_the_bank_finds_in_sql_the_obstacle_the_rule_finds_in_python(
        database: str, people: list[Person], period: str, allocated: bool) -> None:
    async def check(both: Both) -> None:
        await both.load([replace_earlier(p, period) for p in people])
        obstacles = {}
        for name, uow in (("sql", both.pg), ("domain", both.memory)):
            run = PaymentRun(id="00000000-0000-4000-8000-000000000009", program_code=PROGRAM,
                             period=period, division_code=DIVISION, policy_version="wuhan-2012",
                             payee_count=len(people), total_fen=21_000 * len(people),
                             started_by="x", started_at=NOW)
            await uow.runs.add(run, skipped=(), flags=(), arrears_count=0, arrears_fen=0)
            if allocated:
                run.allocate(allocation_id="a", program_code=PROGRAM, period=period,
                             division_code=DIVISION, amount_fen=run.total_fen)
                await uow.runs.save(run)
            await uow.payments.add(run.id, PROGRAM, [
                PlannedPayment(f"cert-{n}-0", key(n), period, 21_000, account(n),
                               certified_from=person.certifications[0][1])
                for n, person in enumerate(people)], 100)
            chunk = await uow.payments.claim_chunk(run.id)
            assert chunk is not None
            obstacles[name] = {p.person_key: p.obstacle for p in chunk.payments}
        python = {p.person_key: PAYABLE.obstacle(both.memory.store.facts(p))
                  for p in both.memory.store.payments.values()
                  if p.run_id == "00000000-0000-4000-8000-000000000009"}
        assert obstacles["sql"] == obstacles["domain"] == python

    run_in_rolled_back_transaction(database, check)


def replace_earlier(person: Person, period: str) -> Person:
    """No live earlier payment of the period the run pays (the database refuses a second
    one: the unique key is the rule itself)."""
    return Person(person.certifications, person.died_on, person.holds, person.suspended,
                  person.reinstated, person.account,
                  tuple(e for e in person.earlier
                        if e.period != period or e.status not in ("settled", "pending")),
                  person.account_awaiting)


# `roster.ExclusiveProgramsPayOnce`: a person certified in the run's program and in one the
# policy declares exclusive with it (certified before, after or on the same day, revoked or
# not, dead or alive), some paid by the other program for a period of the run or its
# window (live or not).
YEARLY, EXCLUSIVE = "reward_assistance_rural", "contraception_reward"
YEAR, YEARS = "2026", ("2024", "2025")
YEAR_EDGES = sorted({date(year, 1, 1) + timedelta(days=shift)
                     for year in range(2024, 2028) for shift in (-1, 0, 1)})
year_days = st.sampled_from(YEAR_EDGES) | st.dates(date(2023, 6, 1), date(2027, 6, 30))


@dataclass(frozen=True)
class Exclusive:
    own: tuple[tuple[date, date | None], ...]  # start, revoked
    other: tuple[tuple[date, date | None], ...]
    died_on: date | None
    other_paid: tuple[tuple[str, str], ...]  # period, status
    own_paid: tuple[tuple[str, str], ...]


def _one_live(payments: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    live: set[str] = set()
    kept = []
    for period, status in payments:
        if status in ("settled", "pending"):
            if period in live:
                continue
            live.add(period)
        kept.append((period, status))
    return tuple(kept)


@st.composite
def exclusive_persons(draw: st.DrawFn) -> Exclusive:
    spans = st.lists(st.tuples(year_days, st.none() | year_days), min_size=1, max_size=2)
    paid = st.lists(st.tuples(st.sampled_from((*YEARS, YEAR)), st.sampled_from(STATUSES)),
                    max_size=3)
    return Exclusive(tuple(draw(spans)), tuple(draw(st.lists(
        st.tuples(year_days, st.none() | year_days), max_size=2))),
        draw(st.none() | year_days), _one_live(draw(paid)), _one_live(draw(paid)))


async def load_exclusive(uow: Any, people: list[Exclusive], table: AmountTable) -> None:
    """Both programs' certifications and payments (the run's program's in full: no top-up
    is owed) through the same calls, whatever the store (the other program's
    certifications in another county: exclusion knows no county)."""
    await uow.runs.add(PaymentRun(
        id="00000000-0000-4000-8000-000000000001", program_code=YEARLY, period="2023",
        division_code=DIVISION, policy_version="national-2009", payee_count=1, total_fen=1,
        started_by="x", started_at=NOW - timedelta(days=900)),
        skipped=(), flags=(), arrears_count=0, arrears_fen=0)
    for n, person in enumerate(people):
        for prefix, program, division, spans in (("cert", YEARLY, DIVISION, person.own),
                                                 ("xcert", EXCLUSIVE, "420102", person.other)):
            for c, (starts, revoked) in enumerate(spans):
                certification_id = f"{prefix}-{n}-{c}"
                await uow.certifications.add(Certification(
                    certification_id, key(n), program, "standard", division, starts),
                    policy_version="national-2009", approved_at=NOW - timedelta(days=900))
                if revoked is not None:
                    await uow.certifications.end(certification_id, revoked, "test", "x")
        if person.died_on is not None:
            await uow.deaths.record(key(n), f"death-{n}", person.died_on,
                                    benefits_end_after_death(person.died_on))
        await uow.accounts.replace(key(n), account(n), division_code=DIVISION,
                                   registered_by="x", at=NOW - timedelta(days=900))
        for e, (program, certification_id, period, status) in enumerate(
                [(EXCLUSIVE, f"xcert-{n}-0", *p) for p in person.other_paid]
                + [(YEARLY, f"cert-{n}-0", *p) for p in person.own_paid]):
            await _pay(uow, f"00000000-0000-4000-8001-{n:06d}{e:06d}", certification_id,
                       key(n), program, period, status, account(n),
                       table.run.by_category["standard"] if program == YEARLY else 30_000)


async def _pay(uow: Any, payment_id: str, certification_id: str, person_key: str,
               program: str, period: str, status: str, to: PayeeAccount, fen: int) -> None:
    if isinstance(uow, FakeDisbursementWork):
        uow.store.payments[payment_id] = PaymentRecord(
            payment_id, "00000000-0000-4000-8000-000000000001", certification_id,
            person_key, program, period, "benefit", fen, to.bank_code, to.account_number,
            status=status,
            bank_reference="REF" if status in ("settled", "returned") else None)
        return
    await uow.conn.execute(
        "INSERT INTO payment_orders (payment_id, run_id, certification_id, person_key,"
        " program_code, period, item, amount_fen, bank_code, account_number,"
        " certified_from, live) VALUES ($1, '00000000-0000-4000-8000-000000000001',"
        " $2, $3, $4, $5, 'benefit', $10, $6, $7, $8, $9)",
        payment_id, certification_id, person_key, program, period, to.bank_code,
        to.account_number, date(2024, 1, 1), status in ("settled", "pending"), fen)
    if status != "pending":
        await uow.conn.execute(
            "INSERT INTO payment_results (payment_id, status, reason, bank_reference,"
            " finished_at, returned_on) VALUES ($1, $2, '', $3, now(), $4)",
            payment_id, "settled" if status == "returned" else status,
            "REF" if status in ("settled", "returned") else None,
            date(2026, 6, 1) if status == "returned" else None)


PAID_BY_THE_OTHER = Exclusive(((date(2024, 1, 1), None),), ((date(2025, 1, 1), None),), None,
                              (("2026", "settled"),), ())
OLDER_IN_THE_OTHER = Exclusive(((date(2025, 1, 1), None),), ((date(2024, 1, 1), None),), None,
                               (), ())


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(people=[PAID_BY_THE_OTHER, OLDER_IN_THE_OTHER])
@given(people=st.lists(exclusive_persons(), min_size=1, max_size=4))
def test_the_roster_frozen_in_sql_leaves_to_an_exclusive_program_what_the_domain_does(
        database: str, people: list[Exclusive]) -> None:
    catalogue = load_catalogue()
    table = amount_table(catalogue, YEARLY, YEAR, DIVISION, YEARS)
    assert catalogue.exclusive_with(YEARLY) == {EXCLUSIVE}

    async def check(both: Both) -> None:
        frozen = {}
        for name, uow in (("sql", both.pg), ("domain", both.memory)):
            await load_exclusive(uow, people, table)
            query = RosterQuery(f"00000000-0000-4000-8000-00000000000{2 + len(frozen)}",
                                YEARLY, DIVISION, table, NOW, 30, 2,
                                exclusive_with=catalogue.exclusive_with(YEARLY))
            roster = await uow.payments.freeze(query)
            frozen[name] = (await _paid(uow, query.run_id),
                            sorted((s.certification_id, s.reason) for s in roster.skipped),
                            roster.payee_count, roster.total_fen, roster.arrears_count)
        assert frozen["sql"] == frozen["domain"]
        for person, paid in _by_key(frozen["sql"][0]).items():
            n = int(person, 16)
            assert not paid & {p for p, s in people[n].other_paid if s in ("settled",
                                                                           "pending")}

    run_in_rolled_back_transaction(database, check)


def _by_key(paid: list[tuple[str, str, str, int]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for _, person, period, _ in paid:
        found.setdefault(person, set()).add(period)
    return found
