"""The money side of a county's year, the four services as processes on the real broker and
databases, driven through their APIs as a county office would (no message of a service is
signed here, no policy file edited; public security's death report and the bank's
statement come from outside, as they do):

twenty beneficiaries of special assistance certified through eligibility's whole chain and
paid January to April 2026; an auditor holds one of them in February and lifts the hold
in March (February paid as arrears); a policy officer raises the standard from March,
another approves it, and April pays the new standard and March's top-ups; public security
reports that another died on 10 February, after March was paid: March becomes a
receivable, booked per fiscal level, repaid in full and tracked by oversight; the bank's
statement of April states one payment with another amount, a difference that becomes one
finding with its evidence. The runs are listed, April's run and the monthly report are
exported as XLSX, and the forecast and balances per fiscal level count the months of the
one who died; the treasury closes the year with its year-end statement — every figure
computed here from the seed policy and the raise, to the fen, and the year's figures
written to var/results/money-year.json for the closing note to quote.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from siquan.contracts.fund_custody_v1 import YearEndStatementPublished
from siquan.contracts.periods import first_day_of_next_month, period_start
from siquan.contracts.policy import seed_catalogue
from siquan.contracts.public_security_v2 import DeathReportedV2
from siquan.disbursement.adapters import gbk_batch_file as gbk
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
from siquan.shared.testing.environment import REPO_ROOT, TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PROGRAM, YEAR = "special_assistance", 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 5)]
YEAR_PERIODS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
LEVELS = ("central", "provincial", "municipal", "county")
RAISE_FROM = date(YEAR, 3, 1)
RAISE = {"death": 4_000, "disability": 3_000}  # fen per person per month, over the seed
DRAFTER, POLICY_CHECKER = "policy-420000-01", "policy-420000-02"
DIED_ON = date(YEAR, 2, 10)
BANK_KEY = "money-year-key-shared-with-the-bank"
STATED_MORE = 100  # fen the bank's statement states over one payment
PEOPLE = 20
HELD, DIES, MISSTATED = 0, 1, 2  # indexes of the people the year singles out
SEED = seed_catalogue()
CLOSING_NOTE = REPO_ROOT / "var" / "results" / "money-year.json"


def seed_fen(category: str, period: str) -> int:
    return SEED.in_force(PROGRAM, period_start(period), DIVISION).benefit(category).amount_fen


def owed(category: str, period: str) -> int:
    """The standard in force for the period once the raise is published."""
    raised = RAISE[category] if period_start(period) >= RAISE_FROM else 0
    return seed_fen(category, period) + raised


def shares(period: str) -> tuple[int, int, int, int]:
    s = SEED.in_force(PROGRAM, period_start(period), DIVISION).fiscal_shares
    return (s.central, s.provincial, s.municipal, s.county)


def split(fen: int, bp: tuple[int, ...]) -> dict[str, int]:
    """Each level's share rounded down, the county taking what is left."""
    parts = {level: fen * b // 10_000 for level, b in zip(LEVELS, bp, strict=True)}
    parts["county"] = fen - parts["central"] - parts["provincial"] - parts["municipal"]
    return parts


def add(*parts: dict[str, int]) -> dict[str, int]:
    return {level: sum(p[level] for p in parts) for level in LEVELS}


def _people() -> list[Beneficiary]:
    residents = ResidentFactory(DIVISION, birth_year=1963)
    surnames, given = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许", "秀建桂国玉淑"
    return [Beneficiary(residents.next(), f"{surnames[n]}{given[n % 6]}{'英兰芳华'[n % 4]}",
                        PROGRAM, ("death", "disability")[n % 2]) for n in range(PEOPLE)]


def accounts_of(people: list[Beneficiary]) -> dict[str, str]:
    return {p.resident_id: account_number(300 + n) for n, p in enumerate(people)}


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("money-year"))
    settings = {"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "25",
                                 "SIQUAN_PAYMENT_POLL_SECONDS": "0.2",
                                 "SIQUAN_BANK_FILE_KEY": BANK_KEY}}
    with running_cluster(siquan_env, base / "logs", extra_env=settings) as running:
        yield running


class Year:
    """The county office's year, and what it saw."""

    def __init__(self, cluster: Cluster, cycle: CountyCycle) -> None:
        self.cluster, self.cycle, self.env = cluster, cycle, cluster.env
        self.people = _people()
        self.accounts = accounts_of(self.people)
        self.keys = {p.resident_id: person_key(TEST_PERSON_KEY_SECRET, p.resident_id)
                     for p in self.people}
        self.runs: dict[str, dict[str, Any]] = {}
        self.seen: dict[str, Any] = {}

    def on(self, month: int, day: int) -> None:
        self.cluster.clock.set(datetime(YEAR, month, day, 9, tzinfo=UTC))

    def key(self, index: int) -> str:
        return self.keys[self.people[index].resident_id]

    async def disbursement_holds(self, index: int, *, active: bool) -> None:
        """Until disbursement has applied the hold (or its lift) oversight published."""
        async def applied() -> bool:
            rows = await self.env.fetch(
                "disbursement", "SELECT lifted_at FROM holds WHERE person_key = $1",
                self.key(index))
            return bool(rows) and any(r["lifted_at"] is None for r in rows) == active

        await eventually(applied, timeout=60, what=f"disbursement hold active={active}")

    async def get(self, service: str, path: str, officer: str, **params: Any) -> Any:
        client = getattr(self.cycle, service)
        return await client.call("GET", path, officer, params=params or None)

    async def document(self, service: str, path: str, officer: str) -> openpyxl.Workbook:
        async with httpx.AsyncClient(base_url=self.cluster.url(service), timeout=60) as http:
            answer = await http.get(path, headers={"Authorization": f"Bearer dev-{officer}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)

    async def import_statement(self, run_id: str, content: bytes) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.cluster.url("disbursement"),
                                     timeout=60) as http:
            return await http.post(
                f"/runs/{run_id}/statements",
                headers={"Authorization": f"Bearer dev-{Officers.disburser}"},
                files={"file": ("statement.dat", content)})


def table(book: openpyxl.Workbook, sheet: int, *header: str) -> list[tuple[Any, ...]]:
    """The rows under the header row that begins with the `header` cells."""
    rows = list(book.worksheets[sheet].iter_rows(values_only=True))
    start = next(n for n, row in enumerate(rows) if row and row[:len(header)] == header)
    return [row for row in rows[start + 1:] if row and row[0] is not None]


@pytest.fixture(scope="module")
async def year(cluster: Cluster) -> Year:
    cycle = CountyCycle.of(cluster)
    y = Year(cluster, cycle)
    try:
        await _drive(y)
    finally:
        await cycle.close()
    _write_closing_note(y)
    return y


def forecast_of_year(people: list[Beneficiary]) -> tuple[int, dict[str, int]]:
    """Every month each certification was payable in (the one who died: January and
    February), at the standard in force for the month, split by the month's shares."""
    until = first_day_of_next_month(DIED_ON)
    by_shares: dict[tuple[int, ...], int] = {}
    for period in YEAR_PERIODS:
        cost = sum(owed(p.category, period) for n, p in enumerate(people)
                   if n != DIES or period_start(period) < until)
        by_shares[shares(period)] = by_shares.get(shares(period), 0) + cost
    by_level = add(*(split(cost, bp) for bp, cost in by_shares.items()))
    return sum(by_level.values()), by_level


async def _drive(y: Year) -> None:
    cycle, people = y.cycle, y.people
    y.on(1, 5)
    y.seen["certified"] = await cycle.certify_all(people, eligible_from=f"{YEAR}-01-01")
    for person in people:
        await cycle.register_account(person, y.accounts[person.resident_id])
    await cycle.wait_until_disbursement_knows(PEOPLE, PROGRAM)
    # Appropriated: the year at the seed's standard, before anyone died or the raise.
    y.seen["appropriated"] = sum(seed_fen(p.category, m) for p in people
                                 for m in YEAR_PERIODS)
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]), y.seen["appropriated"])
    async def counted() -> dict[str, Any] | None:
        found: dict[str, Any] = await cycle.fund_custody.call(
            "POST", f"/forecasts/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
        return found if found["head_count"] == PEOPLE else None

    y.seen["forecast_before"] = await eventually(counted, timeout=60,
                                                 what="fund custody counted everyone")

    y.on(1, 20)
    y.runs["2026-01"] = await cycle.pay(RunPlan(PROGRAM, "2026-01"))

    # February: an auditor holds one payee; the run skips them.
    y.on(2, 5)
    y.seen["hold"] = await cycle.oversight.call("POST", "/holds", Officers.auditor, json={
        "person_key": y.key(HELD), "program_code": PROGRAM,
        "reason": "村委会报告受助人长期外出，待核实", "evidence": ["village report 2026-07"]})
    await y.disbursement_holds(HELD, active=True)
    y.on(2, 20)
    y.runs["2026-02"] = await cycle.pay(RunPlan(PROGRAM, "2026-02"))

    # March: the hold is lifted; the run pays February as arrears.
    y.on(3, 5)
    y.seen["lifted"] = await cycle.oversight.call(
        "POST", f"/holds/{y.seen['hold']['hold_id']}/lift", Officers.auditor,
        json={"reason": "受助人本人到场核实"})
    await y.disbursement_holds(HELD, active=False)
    y.on(3, 20)
    y.runs["2026-03"] = await cycle.pay(RunPlan(PROGRAM, "2026-03"))

    # Public security reports a death of 10 February: March was not owed.
    y.on(3, 25)
    await publish_as(y.env, DeathReportedV2(
        report_id=f"GA-420117-{uuid.uuid4().hex[:8]}",
        resident_id=people[DIES].resident_id, date_of_death=DIED_ON))
    dies_cert = y.seen["certified"][people[DIES].resident_id]

    async def receivable() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        return next((r for r in listed["receivables"]
                     if r["certification_id"] == dies_cert), None)

    y.seen["receivable"] = found = await eventually(receivable, timeout=60,
                                                    what="the receivable of March")
    y.seen["repaid"] = await cycle.disbursement.call(
        "POST", f"/receivables/{found['receivable_id']}/repayments", Officers.disburser,
        json={"amount_fen": found["total_fen"], "reference": "BANK-REFUND-0001"})

    # April: a raise from March through the policy register, then April's run.
    y.on(4, 5)
    label = f"hubei-raise-{uuid.uuid4().hex[:6]}"
    drafted = await cycle.eligibility.call("POST", "/policy-versions", DRAFTER, json={
        "program_code": PROGRAM, "version": label, "effective_from": RAISE_FROM.isoformat(),
        "changes": {"amounts_fen": {c: seed_fen(c, "2026-03") + d for c, d in RAISE.items()}},
        "citation": {"document": "鄂卫健发〔2026〕3号",
                     "clause": "自 2026 年 3 月起提高特别扶助金标准"}})
    await cycle.eligibility.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                 POLICY_CHECKER)
    await cycle.wait_until_policy_applied(label)
    y.seen["label"] = label
    y.on(4, 20)
    y.runs["2026-04"] = await cycle.pay(RunPlan(PROGRAM, "2026-04"))

    await _statement(y)

    # What fund custody and oversight saw of it all.
    total, _ = forecast_of_year(people)

    async def reforecast() -> dict[str, Any] | None:
        latest: dict[str, Any] = await cycle.fund_custody.call(
            "POST", f"/forecasts/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
        return latest if latest["total_fen"] == total else None

    y.seen["forecast"] = await eventually(reforecast, timeout=60,
                                          what="the forecast after the death and the raise")
    spent = sum(r["amounts_fen"]["settled"] for r in y.runs.values())

    async def balanced() -> dict[str, Any] | None:
        report: dict[str, Any] = await y.get("fund_custody",
                                             f"/balances/{PROGRAM}/{YEAR}/{DIVISION}",
                                             Officers.treasury)
        totals = report["totals"]
        return report if (totals["spent_fen"], totals["recovered_fen"]) == (
            spent, found["total_fen"]) else None

    y.seen["balances"] = await eventually(balanced, timeout=60,
                                          what="fund custody settled and recovered")

    async def closed() -> dict[str, Any] | None:
        report: dict[str, Any] = await y.get("oversight", f"/recovery/{PROGRAM}/{YEAR}",
                                             Officers.auditor, division_code=DIVISION)
        return report if report["closed_count"] == 1 else None

    y.seen["recovery"] = await eventually(closed, timeout=60, what="oversight saw it closed")
    y.seen["listed"] = await y.get("disbursement", "/runs", Officers.auditor,
                                   program_code=PROGRAM)
    april = y.runs["2026-04"]["run_id"]
    y.seen["run_xlsx"] = await y.document("disbursement", f"/runs/{april}.xlsx",
                                          Officers.auditor)
    y.seen["report_xlsx"] = await y.document(
        "fund_custody", f"/reports/monthly/{PROGRAM}/2026-04/{DIVISION}.xlsx",
        Officers.treasury)
    await _close_the_year(y)

    async def judged() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = await y.get("oversight", "/findings", Officers.auditor,
                                                 limit=500)
        return rows if any(f["person_key"] == y.key(DIES) for f in rows) else None

    y.seen["findings"] = await eventually(judged, timeout=60,
                                          what="oversight's finding about the dead")
    y.seen["active_holds"] = await y.get("oversight", "/holds", Officers.auditor, active=True)


async def _close_the_year(y: Year) -> None:
    """The treasury's year-end statement (nothing is paid after April), once oversight
    has heard of it and judged whether it adds up."""
    y.on(12, 31)
    y.seen["year_end"] = await y.cycle.fund_custody.call(
        "POST", f"/statements/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)

    async def heard() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = await y.get(
            "oversight", "/audit/entries", Officers.auditor,
            message_type=YearEndStatementPublished.routing_key, limit=500)
        return [r for r in rows
                if r["body"]["statement_id"] == y.seen["year_end"]["statement_id"]] or None

    y.seen["year_end_audited"] = await eventually(heard, timeout=60,
                                                  what="oversight heard of the statement")


def _write_closing_note(y: Year) -> None:
    """The year's figures as the services answered them, for the closing note to quote:
    no name, resident or account, only counts and fen."""
    balances, recovery = y.seen["balances"], y.seen["recovery"]
    statement = y.seen["statement"]["first"].json()
    receivable_figures = ("receivable_fen", "recovered_fen", "written_off_fen",
                          "receivable_outstanding_fen")
    note = {
        "program_code": PROGRAM, "fiscal_year": YEAR, "division_code": DIVISION,
        "forecast": {name: y.seen["forecast"][name]
                     for name in ("head_count", "total_fen", "by_level")},
        "balances": {
            "levels": {row["fiscal_level"]: {name: row[name] for name in (
                "forecast_fen", "appropriated_fen", "spent_fen", "outstanding_fen",
                "available_fen")} for row in balances["levels"]},
            "totals": {name: balances["totals"][name] for name in (
                "forecast_fen", "appropriated_fen", "spent_fen", "outstanding_fen",
                "available_fen")},
            "certified_per_period": {row["period"]: row["certified_count"]
                                     for row in balances["periods"]}},
        "receivables": {
            "levels": {row["fiscal_level"]: {name: row[name] for name in receivable_figures}
                       for row in balances["levels"]},
            "totals": {name: balances["totals"][name] for name in receivable_figures},
            "recovery": {name: recovery[name] for name in (
                "receivable_fen", "recovered_fen", "recovery_rate_bp", "closed_count")}},
        "runs": {row["period"]: {name: row[name] for name in (
            "status", "control_totals", "counts", "amounts_fen")}
            | {"arrears": y.runs[row["period"]]["arrears"]}
            for row in sorted(y.seen["listed"]["runs"], key=lambda r: r["period"])},
        "bank_statement": {
            "run_period": "2026-04", "control_totals": statement["control_totals"],
            "matched": statement["matched"],
            "differences": [{name: d[name] for name in (
                "kind", "expected_amount_fen", "stated_amount_fen")}
                for d in statement["differences"]],
            "reimported_status": y.seen["statement"]["again"].status_code,
            "edited_status": y.seen["statement"]["edited"].status_code},
        "year_end_statement": {name: y.seen["year_end"][name] for name in (
            "opening_fen", "appropriated", "appropriated_total_fen", "paid_fen",
            "returned_fen", "recovered_fen", "closing_fen", "runs_settled", "reserved_fen",
            "released_fen", "produced_at")},
    }
    CLOSING_NOTE.parent.mkdir(parents=True, exist_ok=True)
    CLOSING_NOTE.write_text(json.dumps(note, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")


async def _statement(y: Year) -> None:
    """The bank's statement of April's run, as the bank writes and signs it: every payment
    the bank settled, from the run's export, with the account it credited — one of them
    stated with 100 fen more. Imported twice."""
    run_id = y.runs["2026-04"]["run_id"]
    book = await y.document("disbursement", f"/runs/{run_id}.xlsx", Officers.disburser)
    payments = table(book, 1, "支付编号", "认定编号")
    account_of_cert = {y.seen["certified"][p.resident_id]: y.accounts[p.resident_id]
                       for p in y.people}
    misstated_cert = y.seen["certified"][y.people[MISSTATED].resident_id]
    lines, misstated = [], None
    for payment_id, cert, _period, item, fen, _yuan, _bank, _masked, status, _reason, \
            reference, *_ in payments:
        assert status == "已到账", status
        stated = fen
        if cert == misstated_cert and item == "benefit":
            stated, misstated = fen + STATED_MORE, (payment_id, fen)
        lines.append({"payment_id": payment_id, "account_number": account_of_cert[cert],
                      "amount_fen": stated, "bank_reference": reference,
                      "value_date": "20260421"})
    assert misstated is not None
    content = gbk.write_file("STM", "ABC-420117-20260421", lines, BANK_KEY.encode())
    first = await y.import_statement(run_id, content)
    again = await y.import_statement(run_id, content)
    edited = await y.import_statement(run_id, content.replace(b"20260421", b"20260422", 2))
    y.seen["statement"] = {"lines": lines, "misstated": misstated, "first": first,
                           "again": again, "edited": edited}

    async def found() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = await y.get("oversight", "/findings", Officers.auditor,
                                                 rule="bank_statement_differs", run_id=run_id)
        return rows or None

    y.seen["statement_findings"] = await eventually(found, timeout=60,
                                                    what="the statement's finding")


# --- the year's figures, each computed here ------------------------------------------------

def expected_runs(y: Year) -> dict[str, dict[str, int]]:
    """Per run: payments, their fen, arrears and top-ups (count, fen)."""
    people = y.people
    alive = [p for n, p in enumerate(people) if n != DIES]
    jan = [owed(p.category, "2026-01") for p in people]
    feb = [owed(p.category, "2026-02") for n, p in enumerate(people) if n != HELD]
    held_feb = owed(people[HELD].category, "2026-02")
    mar = [seed_fen(p.category, "2026-03") for p in people]  # paid before the raise
    apr = [owed(p.category, "2026-04") for p in alive]
    top_ups = [owed(p.category, "2026-03") - seed_fen(p.category, "2026-03") for p in alive]
    return {
        "2026-01": {"count": len(jan), "fen": sum(jan), "arrears": 0, "arrears_fen": 0},
        "2026-02": {"count": len(feb), "fen": sum(feb), "arrears": 0, "arrears_fen": 0},
        "2026-03": {"count": len(mar) + 1, "fen": sum(mar) + held_feb, "arrears": 1,
                    "arrears_fen": held_feb},
        "2026-04": {"count": len(apr) + len(top_ups), "fen": sum(apr) + sum(top_ups),
                    "arrears": len(top_ups), "arrears_fen": sum(top_ups)},
    }


def spent_by_level(y: Year) -> dict[str, int]:
    return add(*(split(e["fen"], shares(period)) for period, e in expected_runs(y).items()))


async def test_the_seed_policy_is_one_standard_and_one_split_all_year() -> None:
    # what the figures below rest on: the seed's standard and shares do not change in 2026
    for category in RAISE:
        assert len({seed_fen(category, m) for m in YEAR_PERIODS}) == 1
    assert len({shares(m) for m in YEAR_PERIODS}) == 1


async def test_each_run_pays_to_the_fen_what_the_year_owed(year: Year) -> None:
    for period, expected in expected_runs(year).items():
        run = year.runs[period]
        assert run["status"] == "completed", period
        assert run["control_totals"] == {"payee_count": expected["count"],
                                         "total_fen": expected["fen"]}, period
        assert run["amounts_fen"]["settled"] == expected["fen"], period
        assert run["arrears"] == {"count": expected["arrears"],
                                  "amount_fen": expected["arrears_fen"]}, period


async def test_the_auditors_hold_skips_february_and_its_lift_pays_it_as_arrears(
        year: Year) -> None:
    february, march = year.runs["2026-02"], year.runs["2026-03"]
    held = year.key(HELD)
    assert [s["reason"] for s in february["skipped"] if s["person_key"] == held] == [
        "payments to this person are on hold"]
    assert not [s for s in march["skipped"] if s["person_key"] == held]
    assert (year.seen["lifted"]["lifted_by"], year.seen["lifted"]["lift_reason"]) == (
        Officers.auditor, "受助人本人到场核实")


async def test_the_death_is_a_receivable_per_level_repaid_and_closed(year: Year) -> None:
    march = seed_fen(year.people[DIES].category, "2026-03")
    receivable, repaid = year.seen["receivable"], year.seen["repaid"]
    assert (receivable["total_fen"], receivable["cause"], receivable["fiscal_year"]) == (
        march, "death", YEAR)
    assert (repaid["status"], repaid["outstanding_fen"]) == ("repaid", 0)
    levels = {row["fiscal_level"]: row for row in year.seen["balances"]["levels"]}
    assert {level: levels[level]["receivable_fen"] for level in LEVELS} == split(
        march, shares("2026-03"))
    assert {level: levels[level]["receivable_outstanding_fen"] for level in LEVELS} == \
        dict.fromkeys(LEVELS, 0)
    recovery = year.seen["recovery"]
    assert (recovery["receivable_fen"], recovery["recovered_fen"],
            recovery["recovery_rate_bp"]) == (march, march, 10_000)


async def test_the_forecast_counts_the_months_of_the_one_who_died_at_the_raised_standard(
        year: Year) -> None:
    total, by_level = forecast_of_year(year.people)
    forecast = year.seen["forecast"]
    assert (forecast["head_count"], forecast["total_fen"]) == (PEOPLE, total)
    assert forecast["by_level"] == by_level
    before = year.seen["forecast_before"]
    assert before["total_fen"] == year.seen["appropriated"]  # the seed's year, all alive


async def test_the_balances_per_level_add_up_to_the_fen(year: Year) -> None:
    _, forecast = forecast_of_year(year.people)
    appropriated = split(year.seen["appropriated"], shares("2026-01"))
    spent = spent_by_level(year)
    recovered = split(year.seen["receivable"]["total_fen"], shares("2026-03"))
    for row in year.seen["balances"]["levels"]:
        level = row["fiscal_level"]
        assert row["forecast_fen"] == forecast[level], level
        assert row["appropriated_fen"] == appropriated[level], level
        assert row["spent_fen"] == spent[level], level
        assert row["outstanding_fen"] == max(forecast[level] - appropriated[level], 0), level
        assert row["available_fen"] == appropriated[level] - spent[level] + \
            row["recovered_fen"], level
    totals = year.seen["balances"]["totals"]
    assert totals["recovered_fen"] == sum(recovered.values())
    assert totals["outstanding_fen"] == sum(max(forecast[lv] - appropriated[lv], 0)
                                            for lv in LEVELS) > 0  # the raise is not funded


async def test_the_statement_difference_is_one_finding_with_its_evidence(year: Year) -> None:
    statement = year.seen["statement"]
    first, again, edited = statement["first"], statement["again"], statement["edited"]
    payment_id, fen = statement["misstated"]
    account = year.accounts[year.people[MISSTATED].resident_id]
    masked = "*" * (len(account) - 4) + account[-4:]
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["statement_id"]) == (
        200, first.json()["statement_id"])
    assert edited.status_code == 422 and account not in edited.text
    body = first.json()
    assert body["control_totals"] == {
        "line_count": len(statement["lines"]),
        "total_fen": expected_runs(year)["2026-04"]["fen"] + STATED_MORE}
    assert body["matched"] == len(statement["lines"]) - 1
    [difference] = body["differences"]
    assert (difference["kind"], difference["payment_id"], difference["expected_amount_fen"],
            difference["stated_amount_fen"]) == ("amount_differs", payment_id, fen,
                                                 fen + STATED_MORE)
    [finding] = year.seen["statement_findings"]
    assert (finding["category"], finding["status"], finding["period"]) == (
        "wrong_payment", "open", "2026-04")
    assert finding["details"] == {
        "source": "statement", "kind": "amount_differs", "payment_id": payment_id,
        "line": difference["line"], "bank_document": "ABC-420117-20260421",
        "expected_amount_fen": fen, "stated_amount_fen": fen + STATED_MORE,
        "expected_account": masked, "stated_account": masked, "held_status": "settled",
        "bank_reference": difference["bank_reference"],
        "found_at": finding["details"]["found_at"]}
    assert datetime.fromisoformat(finding["details"]["found_at"]) == \
        datetime.fromisoformat(body["imported_at"])  # found when the statement came in
    assert account not in str(finding) and year.people[MISSTATED].resident_id not in \
        str(finding)


async def test_oversight_accuses_nobody_but_the_dead_and_the_bank(year: Year) -> None:
    findings = year.seen["findings"]
    dead = year.key(DIES)
    others = [f for f in findings if f["rule"] != "bank_statement_differs"]
    assert len(findings) - len(others) == 1
    assert others and {f["person_key"] for f in others} == {dead}
    # March was paid on 20 March to one who had died on 10 February: that payment and
    # no other (February was still owed)
    march = year.runs["2026-03"]["run_id"]
    assert {(f["rule"], f["period"], f["run_id"]) for f in others} <= {
        ("paid_after_death", "2026-03", march), ("paid_after_revocation", "2026-03", march)}
    [after_death] = [f for f in others if f["rule"] == "paid_after_death"]
    assert (after_death["category"], after_death["amount_fen"]) == (
        "wrong_payment", seed_fen(year.people[DIES].category, "2026-03"))
    assert {h["person_key"] for h in year.seen["active_holds"]} == {dead}


async def test_the_runs_are_listed_with_their_counts_and_sums(year: Year) -> None:
    listed = {r["run_id"]: r for r in year.seen["listed"]["runs"]}
    assert year.seen["listed"]["total"] == 4
    for period, expected in expected_runs(year).items():
        row = listed[year.runs[period]["run_id"]]
        assert (row["period"], row["status"]) == (period, "completed")
        assert row["control_totals"] == {"payee_count": expected["count"],
                                         "total_fen": expected["fen"]}
        assert (row["counts"]["paid"], row["amounts_fen"]["paid"]) == (
            expected["count"], expected["fen"])


async def test_aprils_run_and_the_monthly_report_export_the_same_figures(
        year: Year) -> None:
    april = expected_runs(year)["2026-04"]
    summary = {row[0]: row[1:3] for row in table(year.seen["run_xlsx"], 0, "项目", "笔数")}
    assert summary["控制总数"] == (april["count"], april["fen"])
    assert summary["已到账"] == (april["count"], april["fen"])
    assert summary["补发"] == (april["arrears"], april["arrears_fen"])
    payments = table(year.seen["run_xlsx"], 1, "支付编号", "认定编号")
    assert sum(row[4] for row in payments) == april["fen"]
    assert not any(a in str(row) for row in payments for a in year.accounts.values())
    rows = table(year.seen["report_xlsx"], 0, "区划", "财政级次")
    spent = spent_by_level(year)
    year_to_date_spent = [row[8] for row in rows]
    assert year_to_date_spent == [*(spent[level] for level in LEVELS), sum(spent.values())]


def expected_year_end(y: Year) -> dict[str, Any]:
    """The statement of the year closed after April: nothing brought forward, the seed
    year appropriated, the four runs paid in full (each reserved what it paid, nothing
    released), nothing returned, the dead one's March repaid."""
    paid = sum(e["fen"] for e in expected_runs(y).values())
    recovered = seed_fen(y.people[DIES].category, "2026-03")
    return {"opening_fen": 0, "appropriated": split(y.seen["appropriated"], shares("2026-01")),
            "appropriated_total_fen": y.seen["appropriated"], "paid_fen": paid,
            "returned_fen": 0, "recovered_fen": recovered,
            "closing_fen": y.seen["appropriated"] - paid + recovered,
            "runs_settled": len(MONTHS), "reserved_fen": paid, "released_fen": 0}


async def test_the_year_end_statement_balances_to_the_fen(year: Year) -> None:
    statement, expected = year.seen["year_end"], expected_year_end(year)
    assert {name: statement[name] for name in expected} == expected
    assert (statement["program_code"], statement["fiscal_year"], statement["produced_by"]) \
        == (PROGRAM, YEAR, Officers.treasury)
    # what the treasury would carry into 2027 is what the balances left available
    assert statement["closing_fen"] == year.seen["balances"]["totals"]["available_fen"]
    [heard] = year.seen["year_end_audited"]
    assert heard["body"]["closing_fen"] == expected["closing_fen"]
    assert not [f for f in year.seen["findings"]
                if f["rule"] == "year_end_statement_unbalanced"]


async def test_each_period_counts_who_was_certified_in_it(year: Year) -> None:
    periods = {row["period"]: row for row in year.seen["balances"]["periods"]}
    assert list(periods) == YEAR_PERIODS
    until = first_day_of_next_month(DIED_ON)
    for period in YEAR_PERIODS:
        payable = [p for n, p in enumerate(year.people)
                   if n != DIES or period_start(period) < until]
        by_category = {c: sum(p.category == c for p in payable) for c in RAISE}
        row = periods[period]
        assert (row["certified_count"], row["certified"]) == (len(payable), by_category), \
            period
        assert row["forecast_fen"] == sum(owed(p.category, period) for p in payable), period


async def test_the_closing_note_quotes_the_year_and_nobody(year: Year) -> None:
    note = json.loads(CLOSING_NOTE.read_text(encoding="utf-8"))
    total, by_level = forecast_of_year(year.people)
    assert (note["forecast"]["total_fen"], note["forecast"]["by_level"]) == (total, by_level)
    assert {name: note["year_end_statement"][name] for name in expected_year_end(year)} == \
        expected_year_end(year)
    assert note["balances"]["totals"]["spent_fen"] == sum(spent_by_level(year).values())
    assert note["receivables"]["recovery"]["recovery_rate_bp"] == 10_000
    assert {period: run["control_totals"]["total_fen"] for period, run in
            note["runs"].items()} == {p: e["fen"] for p, e in expected_runs(year).items()}
    written = CLOSING_NOTE.read_text(encoding="utf-8")
    for n, person in enumerate(year.people):
        assert person.resident_id not in written and person.name not in written
        assert year.accounts[person.resident_id] not in written and year.key(n) not in written
