"""A retroactive raise through the policy register, the four services as processes on the
real broker and databases, none restarted: three months of special assistance paid at the
seed's standard; then a policy officer drafts a raise effective from the second of those
months, another approves it; every service applies it; the next run pays the new standard
and, as arrears, the top-ups of the two months paid at the old one — each figure checked
to the fen against amounts computed here — and fund custody's forecast follows.

No policy file is edited and no message is signed here: the raise goes through
eligibility's API only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.policy import seed_catalogue
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM = "special_assistance"
DRAFTER, CHECKER = "policy-420000-01", "policy-420000-02"
PAID_OLD = ("2026-06", "2026-07", "2026-08")
RAISE_FROM, NEXT = date(2026, 7, 1), "2026-09"
RAISE = {"death": 4_000, "disability": 3_000}  # fen per person per month, over the seed
FORECAST = f"/forecasts/{PROGRAM}/2026/{DIVISION}"


def _people() -> list[Beneficiary]:
    residents = ResidentFactory(DIVISION, birth_year=1961)
    return [Beneficiary(residents.next(), "周玉兰", PROGRAM, "death"),
            Beneficiary(residents.next(), "吴国强", PROGRAM, "death"),
            Beneficiary(residents.next(), "郑美华", PROGRAM, "disability")]


def _seed_amount(category: str, period: str) -> int:
    """The seed file's amount (what was paid before the raise)."""
    version = seed_catalogue().in_force(PROGRAM, date.fromisoformat(f"{period}-01"), DIVISION)
    return version.benefit(category).amount_fen


@pytest.fixture(scope="module")
async def raised(cluster: Cluster) -> dict[str, Any]:
    people = _people()
    cycle = CountyCycle.of(cluster)
    cluster.clock.set(datetime(2026, 5, 18, 9, tzinfo=UTC))
    try:
        certified = await cycle.certify_all(people, eligible_from="2026-01-01")
        for index, person in enumerate(people):
            await cycle.register_account(person, account_number(900 + index))
        await cycle.wait_until_disbursement_knows(len(people), PROGRAM)
        await cycle.appropriate(RunPlan(PROGRAM, "2026-06"), 1_000_000)
        before = await cycle.fund_custody.call("POST", FORECAST, Officers.treasury)
        paid_runs = []
        for period in PAID_OLD:
            cluster.clock.set(datetime(int(period[:4]), int(period[5:]), 20, 9, tzinfo=UTC))
            paid_runs.append(await cycle.pay(RunPlan(PROGRAM, period)))
        cluster.clock.set(datetime(2026, 9, 18, 9, tzinfo=UTC))
        label = f"hubei-raise-{uuid.uuid4().hex[:6]}"
        drafted = await cycle.eligibility.call("POST", "/policy-versions", DRAFTER, json={
            "program_code": PROGRAM, "version": label,
            "effective_from": RAISE_FROM.isoformat(),
            "changes": {"amounts_fen": {c: _seed_amount(c, "2026-07") + d
                                        for c, d in RAISE.items()}},
            "citation": {"document": "鄂卫健发〔2026〕12号",
                         "clause": "自 2026 年 7 月起提高特别扶助金标准"}})
        await cycle.eligibility.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                     CHECKER)
        await cycle.wait_until_policy_applied(label)
        raised_months = sum(date.fromisoformat(f"{p}-01") >= RAISE_FROM for p in PAID_OLD)
        async with tap(cluster.env, "disbursement") as seen:
            run = await cycle.pay(RunPlan(PROGRAM, NEXT))

            async def all_settled() -> list[dict[str, Any]] | None:
                found = [p for m in seen.of_type("payments.settled.v1")
                         if m.body["run_id"] == run["run_id"] for p in m.body["payments"]]
                return found if len(found) >= len(people) * (1 + raised_months) else None

            settled = await eventually(all_settled, timeout=60, what="the run's payments")
            chunks = len([m for m in seen.of_type("payments.settled.v1")
                          if m.body["run_id"] == run["run_id"]])

        async def reforecast() -> dict[str, Any] | None:
            latest: dict[str, Any] = await cycle.fund_custody.call("GET", FORECAST,
                                                                   Officers.treasury)
            return latest if latest["version"] > before["version"] else None

        after = await eventually(reforecast, timeout=60, what="the forecast after the raise")

        async def audited() -> list[dict[str, Any]] | None:
            seen_chunks = await cycle.oversight.call(
                "GET", "/audit/entries", Officers.auditor, params={
                    "message_type": "payments.settled.v1", "correlation_id": run["run_id"]})
            policy = await cycle.oversight.call(
                "GET", "/audit/entries", Officers.auditor,
                params={"message_type": "policy_version.published.v1"})
            return policy if len(seen_chunks) == chunks and policy else None

        audit = await eventually(audited, timeout=60, what="oversight audited the raise")
        findings = await cycle.oversight.call("GET", "/findings", Officers.auditor,
                                              params={"run_id": run["run_id"]})

        async def balanced() -> dict[str, Any] | None:
            report: dict[str, Any] = await cycle.fund_custody.call(
                "GET", f"/balances/{PROGRAM}/2026/{DIVISION}", Officers.treasury)
            spent = sum(r["amounts_fen"]["settled"] for r in paid_runs) + \
                run["amounts_fen"]["settled"]
            return report if report["totals"]["spent_fen"] == spent else None

        balances = await eventually(balanced, timeout=60, what="fund custody settled")
        return {"audit": audit, "findings": findings, "people": people, "balances": balances,
                "paid_runs": paid_runs,
                "certified": certified, "label": label, "run": run, "settled": settled,
                "before": before, "after": after}
    finally:
        await cycle.close()


def _expected_payments(raised: dict[str, Any]) -> list[tuple[str, str | None, str, int]]:
    """(certification, period paid or None for the run's own, item, fen), computed here."""
    owed = []
    for person in raised["people"]:
        cert = raised["certified"][person.resident_id]
        new = _seed_amount(person.category, NEXT) + RAISE[person.category]
        owed.append((cert, None, "benefit", new))
        for period in PAID_OLD:
            if date.fromisoformat(f"{period}-01") >= RAISE_FROM:
                top_up = new - _seed_amount(person.category, period)
                owed.append((cert, period, f"topup:{raised['label']}", top_up))
    return sorted(owed, key=lambda o: (o[0], o[1] or "", o[2]))


async def test_the_next_run_pays_the_new_standard_and_the_top_ups_to_the_fen(
        raised: dict[str, Any]) -> None:
    paid = sorted(((p["certification_id"], p["period"], p["item"], p["amount_fen"])
                   for p in raised["settled"]), key=lambda o: (o[0], o[1] or "", o[2]))
    expected = _expected_payments(raised)
    assert paid == expected
    top_ups = sorted(e[3] for e in expected if e[2] != "benefit")
    assert top_ups == sorted(RAISE[p.category] for p in raised["people"] for _ in (7, 8))


async def test_the_top_ups_are_the_runs_arrears_and_its_control_totals(
        raised: dict[str, Any]) -> None:
    run, expected = raised["run"], _expected_payments(raised)
    top_ups = [e for e in expected if e[2] != "benefit"]
    assert run["status"] == "completed"
    assert run["arrears"] == {"count": len(top_ups), "amount_fen": sum(e[3] for e in top_ups)}
    assert run["control_totals"] == {"payee_count": len(expected),
                                     "total_fen": sum(e[3] for e in expected)}
    assert run["amounts_fen"]["settled"] == sum(e[3] for e in expected)


async def test_fund_custodys_forecast_follows_the_new_standard(raised: dict[str, Any]) -> None:
    months_raised = 12 - RAISE_FROM.month + 1
    raise_per_month = sum(RAISE[p.category] for p in raised["people"])
    assert raised["after"]["head_count"] == raised["before"]["head_count"] == 3
    assert raised["after"]["total_fen"] - raised["before"]["total_fen"] == \
        months_raised * raise_per_month
    assert sum(raised["after"]["by_level"].values()) == raised["after"]["total_fen"]


async def test_oversight_audits_the_version_and_finds_nothing_wrong_with_the_top_ups(
        raised: dict[str, Any]) -> None:
    [entry] = raised["audit"]
    assert (entry["producer"], entry["body"]["version"]) == ("eligibility", raised["label"])
    assert (entry["body"]["drafted_by"], entry["body"]["approved_by"]) == (DRAFTER, CHECKER)
    assert raised["findings"] == []


async def test_fund_custodys_balances_follow_the_new_standard(raised: dict[str, Any]) -> None:
    people, balances = raised["people"], raised["balances"]
    old_month = sum(_seed_amount(p.category, "2026-06") for p in people)
    new_month = sum(_seed_amount(p.category, "2026-07") + RAISE[p.category] for p in people)
    forecast = {p["period"]: p["forecast_fen"] for p in balances["periods"]}
    assert (forecast["2026-06"], forecast["2026-07"], forecast["2026-12"]) == (
        old_month, new_month, new_month)
    assert balances["totals"]["forecast_fen"] == raised["after"]["total_fen"]
    assert [r["amounts_fen"]["settled"] for r in raised["paid_runs"]] == [old_month] * 3
    top_ups = sum(e[3] for e in _expected_payments(raised) if e[2] != "benefit")
    assert balances["totals"]["spent_fen"] == 3 * old_month + new_month + top_ups
