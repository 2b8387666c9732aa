"""An overpayment offset against the surviving spouse's later entitlement (追回 by 抵扣),
through the four services as processes, on the real broker and databases.

A township reviewer registers a household with its head and his wife; both are certified
for special assistance (paid to each person, monthly) through eligibility's API, and a
neighbour outside the register too. A policy officer drafts a small version allowing
offsets from May, another approves it; a raise from June follows the same way (it keeps
the offsets). January to April are paid. On 20 April an officer records the husband's
death on 10 February: March and April were paid for nothing, a receivable disbursement
records and fund custody books per fiscal level. The May run withholds the wife's whole
entitlement, the June run the rest of the receivable from her raised one and pays her what
is left; July pays her in full again; the neighbour is paid in full throughout. Every
figure is computed here from the policy catalogue and the raise: the periods not owed,
what each run withholds from the wife and what it pays her, each level's share, the
recovery rate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.periods import first_day_of_next_month, period_start
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.person import household_key, person_key
from siquan.shared.testing import figures
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.facts import qualifying_household
from siquan.shared.testing.figures import LEVELS
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, CATEGORY, DIVISION, YEAR = "special_assistance", "death", "420117", 2026
NUMBER = "420117-2026-000902"
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 8)]
BEFORE_DEATH_RECORDED = MONTHS[:4]
OFFSETS_FROM, RAISED_FROM = date(YEAR, 5, 1), date(YEAR, 6, 1)
RAISE = 3_000  # fen a month over the seed's standard, from June
DIED = date(YEAR, 2, 10)
DRAFTER, CHECKER = "policy-420000-01", "policy-420000-02"
SHARED = ("residence", "family_type", "children", "holds_one_child_certificate",
          "gave_up_second_child", "in_hardship", "on_minimum_living_allowance")


def owed(period: str, category: str = CATEGORY) -> int:
    seed = figures.owed(PROGRAM, category, period, DIVISION)
    return seed + (RAISE if period_start(period) >= RAISED_FROM else 0)


def key(person: Beneficiary) -> str:
    return person_key(TEST_PERSON_KEY_SECRET, person.resident_id)


@pytest.mark.timeout(600)
async def test_a_dead_spouses_overpayment_is_offset_against_the_survivor_to_closure(
        cluster: Cluster) -> None:
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle)
    finally:
        await cycle.close()


def _people() -> tuple[Beneficiary, Beneficiary, Beneficiary, dict[str, Any]]:
    residents = ResidentFactory(DIVISION, birth_year=1960)
    husband_id, wife_id, neighbour_id = residents.next(), residents.next(), residents.next()
    on = date(YEAR, 1, 1)
    register = {k: v for k, v in qualifying_household(husband_id, PROGRAM, CATEGORY, on).items()
                if k in SHARED}

    def stated(resident_id: str) -> dict[str, Any]:  # the register's facts, as they are
        return {**qualifying_household(resident_id, PROGRAM, CATEGORY, on), **register}
    return (Beneficiary(husband_id, "陈建华", PROGRAM, CATEGORY, stated(husband_id)),
            Beneficiary(wife_id, "刘桂兰", PROGRAM, CATEGORY, stated(wife_id)),
            Beneficiary(neighbour_id, "杨秀珍", PROGRAM, CATEGORY), register)


async def _run(cluster: Cluster, cycle: CountyCycle) -> None:
    husband, wife, neighbour, register = _people()
    people = [husband, wife, neighbour]
    registered = await cycle.eligibility.call("POST", "/households", Officers.reviewer, json={
        "household_number": NUMBER, "division_code": DIVISION, "facts": register,
        "members": [{"resident_id": husband.resident_id, "name": husband.name,
                     "relationship": "head"},
                    {"resident_id": wife.resident_id, "name": wife.name,
                     "relationship": "spouse"}]})
    assert registered["status"] == "registered"
    certified = await cycle.certify_all(people, eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate(people, start=1):
        await cycle.register_account(person, f"6228480300000{n:04d}")
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]),
                            sum(owed(m) for m in MONTHS) * len(people))
    await cycle.wait_until_disbursement_knows(3, PROGRAM)
    home = household_key(TEST_PERSON_KEY_SECRET, NUMBER)
    kept = await cluster.env.fetch(
        "disbursement", "SELECT person_key, household_key FROM certifications"
        " WHERE program_code = $1", PROGRAM)
    assert {r["person_key"]: r["household_key"] for r in kept} == {
        key(husband): home, key(wife): home, key(neighbour): None}

    # A small version allowing offsets from May: drafted by one officer, approved by another.
    label = f"hubei-offset-{uuid.uuid4().hex[:6]}"
    drafted = await cycle.eligibility.call("POST", "/policy-versions", DRAFTER, json={
        "program_code": PROGRAM, "version": label,
        "effective_from": OFFSETS_FROM.isoformat(), "changes": {"offset_allowed": True},
        "citation": {"document": "鄂卫健发〔2026〕9号",
                     "clause": "多发资金可从同户家庭成员以后应发的扶助金中抵扣"}})
    await cycle.eligibility.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                 CHECKER)
    await cycle.wait_until_policy_applied(label)
    raised = f"hubei-raise-{uuid.uuid4().hex[:6]}"
    drafted = await cycle.eligibility.call("POST", "/policy-versions", DRAFTER, json={
        "program_code": PROGRAM, "version": raised, "effective_from": RAISED_FROM.isoformat(),
        "changes": {"amounts_fen": {c: owed("2026-06", c) for c in ("death", "disability")}},
        "citation": {"document": "鄂卫健发〔2026〕11号",
                     "clause": "自 2026 年 6 月起提高特别扶助金标准"}})
    await cycle.eligibility.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                 CHECKER)
    await cycle.wait_until_policy_applied(raised)

    runs: dict[str, dict[str, Any]] = {}
    for month, period in enumerate(BEFORE_DEATH_RECORDED, start=1):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        runs[period] = await cycle.pay(RunPlan(PROGRAM, period))
        assert runs[period]["amounts_fen"]["settled"] == 3 * owed(period)

    # The husband's death, recorded by an officer after April was paid.
    cluster.clock.set(datetime(YEAR, 4, 20, 9, tzinfo=UTC))
    recorded = await cycle.eligibility.call("POST", "/deaths", Officers.reviewer, json={
        "resident_id": husband.resident_id, "date_of_death": DIED.isoformat(),
        "evidence_kind": "death_certificate", "document_number": "鄂D2026-000902"})
    assert (recorded["status"], recorded["revoked_certification_ids"]) == (
        "recorded", [certified[husband.resident_id]])
    not_owed = [m for m in BEFORE_DEATH_RECORDED
                if period_start(m) >= first_day_of_next_month(DIED)]
    assert not_owed == [f"{YEAR}-03", f"{YEAR}-04"]
    overpaid = sum(owed(m) for m in not_owed)

    async def found() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        return {r["certification_id"]: r for r in listed["receivables"]}.get(
            certified[husband.resident_id])
    receivable = await eventually(found, timeout=60, what="the receivable of the death")
    receivable_id = receivable["receivable_id"]
    assert (receivable["total_fen"], receivable["cause"], receivable["status"]) == (
        overpaid, "death", "open")
    per_level = figures.per_level(PROGRAM, CATEGORY, not_owed, DIVISION)
    account_path = f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}"

    async def booked() -> dict[str, Any] | None:
        account: dict[str, Any] = await cycle.fund_custody.call("GET", account_path,
                                                                Officers.treasury)
        return account if account["receivable_fen"] == per_level else None
    await eventually(booked, timeout=60, what="the receivable in fund custody's ledger")

    # What each later run withholds from the wife, computed here: oldest period first,
    # up to the entitlement, until the overpayment is recovered.
    left, withheld = overpaid, {}
    for period in MONTHS[4:]:
        withheld[period] = min(owed(period), left)
        left -= withheld[period]
    assert left == 0 and withheld[MONTHS[4]] == owed(MONTHS[4])  # May withheld whole,
    assert 0 < withheld[MONTHS[5]] < owed(MONTHS[5])  # June in part
    for month, period in enumerate(MONTHS[4:], start=5):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        runs[period] = await cycle.pay(RunPlan(PROGRAM, period))
        assert runs[period]["amounts_fen"]["settled"] == 2 * owed(period) - withheld[period]
        assert runs[period]["offsets"] == (
            {"count": 1, "amount_fen": withheld[period]} if withheld[period]
            else {"count": 0, "amount_fen": 0})

    paid = await cluster.env.fetch(
        "disbursement", "SELECT person_key, period, sum(amount_fen) AS fen FROM payments"
        " WHERE program_code = $1 AND status = 'settled' GROUP BY person_key, period",
        PROGRAM)
    by_person: dict[str, dict[str, int]] = {}
    for r in paid:
        by_person.setdefault(r["person_key"], {})[r["period"]] = int(r["fen"])
    assert by_person[key(wife)] == {
        p: owed(p) - withheld.get(p, 0) for p in MONTHS if owed(p) > withheld.get(p, 0)}
    assert by_person[key(neighbour)] == {p: owed(p) for p in MONTHS}
    assert by_person[key(husband)] == {p: owed(p) for p in BEFORE_DEATH_RECORDED}

    # Disbursement: the receivable is recovered by offsets alone, each recorded once.
    recoveries = await cluster.env.fetch(
        "disbursement", "SELECT kind, amount_fen FROM recoveries WHERE receivable_id = $1::uuid"
        " ORDER BY recorded_at", receivable_id)
    assert [(r["kind"], int(r["amount_fen"])) for r in recoveries] == [
        ("offset", fen) for fen in withheld.values() if fen]
    offsets = await cluster.env.fetch(
        "disbursement", "SELECT person_key, period, entitlement_fen, offset_fen"
        " FROM entitlement_offsets ORDER BY period")
    assert [(r["person_key"], r["period"], int(r["entitlement_fen"]), int(r["offset_fen"]))
            for r in offsets] == [(key(wife), p, owed(p), fen)
                                  for p, fen in withheld.items() if fen]
    shown = await cycle.disbursement.call("GET", f"/receivables/{receivable_id}",
                                          Officers.auditor)
    assert (shown["status"], shown["outstanding_fen"]) == ("offset", 0)

    # Fund custody: recovered per level as booked, nothing outstanding; the ledger agrees.
    async def settled_in_custody() -> dict[str, Any] | None:
        listed = await cycle.fund_custody.call(
            "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
        found = {r["receivable_id"]: r for r in listed["receivables"]}.get(receivable_id)
        return found if found and found["outstanding_fen"] == 0 else None
    in_custody = await eventually(settled_in_custody, timeout=60,
                                  what="the offsets booked in fund custody")
    assert (in_custody["total_fen"], in_custody["offset_fen"], in_custody["repaid_fen"],
            in_custody["written_off_fen"]) == (overpaid, overpaid, 0, 0)
    assert {row["fiscal_level"]: (row["receivable_fen"], row["recovered_fen"],
                                  row["outstanding_fen"]) for row in in_custody["levels"]} == {
        level: (per_level[level], per_level[level], 0) for level in LEVELS}
    account = await cycle.fund_custody.call("GET", account_path, Officers.treasury)
    assert account["receivable_fen"] == dict.fromkeys(LEVELS, 0)
    spent = sum(r["amounts_fen"]["settled"] for r in runs.values())
    assert spent == sum(sum(months.values()) for months in by_person.values())

    async def balanced() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.fund_custody.call(
            "GET", f"/balances/{PROGRAM}/{YEAR}/{DIVISION}", Officers.treasury)
        return report if report["totals"]["spent_fen"] == spent else None
    totals = (await eventually(balanced, timeout=60, what="fund custody settled"))["totals"]
    assert (totals["receivable_fen"], totals["recovered_fen"], totals["written_off_fen"],
            totals["receivable_outstanding_fen"]) == (overpaid, overpaid, 0, 0)

    # Oversight: the receivable tracked to closure, recovered whole by offset.
    async def closed() -> dict[str, Any] | None:
        report: dict[str, Any] = await cycle.oversight.call(
            "GET", f"/recovery/{PROGRAM}/{YEAR}?division_code={DIVISION}", Officers.auditor)
        return report if report["closed_count"] == 1 else None
    report = await eventually(closed, timeout=60, what="oversight saw the receivable closed")
    assert {r["receivable_id"]: r["status"] for r in report["receivables"]} == {
        receivable_id: "offset"}
    assert (report["receivable_fen"], report["recovered_fen"], report["written_off_fen"]) == (
        overpaid, overpaid, 0)
    assert report["recovery_rate_bp"] == 10_000
