"""Top-ups after a retroactive raise reach people the run no longer pays, through the four
services as processes on the real broker and databases, none restarted.

Two special-assistance beneficiaries are paid June to August at the seed's standard. An
approver revokes the second's certification from 1 September; then a raise effective from
July is drafted and approved through eligibility's API. The September run pays the first
the new standard and the July and August top-ups — and the second, whom it no longer pays,
the July and August top-ups all the same (the periods were owed at the new standard).
Fund custody's balances report counts the top-ups in July and August, the periods they
are for, not in September's. Every figure is computed here from the seed catalogue and the raise."""

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
from siquan.shared.testing.figures import LEVELS, shares, split
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM = "special_assistance"
DRAFTER, CHECKER = "policy-420000-01", "policy-420000-02"
PAID_OLD = ("2026-06", "2026-07", "2026-08")
RAISE_FROM, NEXT = date(2026, 7, 1), "2026-09"
RAISE = {"death": 4_000, "disability": 3_000}  # fen per person per month, over the seed


def _seed_amount(category: str, period: str) -> int:
    version = seed_catalogue().in_force(PROGRAM, date.fromisoformat(f"{period}-01"), DIVISION)
    return version.benefit(category).amount_fen


@pytest.mark.timeout(600)
async def test_a_person_revoked_before_the_run_is_still_topped_up(cluster: Cluster) -> None:
    residents = ResidentFactory(DIVISION, birth_year=1962)
    stays = Beneficiary(residents.next(), "钱淑珍", PROGRAM, "death")
    leaves = Beneficiary(residents.next(), "孙志刚", PROGRAM, "disability")
    cycle = CountyCycle.of(cluster)
    cluster.clock.set(datetime(2026, 5, 18, 9, tzinfo=UTC))
    try:
        certified = await cycle.certify_all([stays, leaves], eligible_from="2026-01-01")
        for index, person in enumerate((stays, leaves)):
            await cycle.register_account(person, account_number(700 + index))
        await cycle.wait_until_disbursement_knows(2, PROGRAM)
        await cycle.appropriate(RunPlan(PROGRAM, "2026-06"), 1_000_000)
        for period in PAID_OLD:
            cluster.clock.set(datetime(2026, int(period[5:]), 20, 9, tzinfo=UTC))
            run = await cycle.pay(RunPlan(PROGRAM, period))
            assert run["amounts_fen"]["settled"] == sum(
                _seed_amount(p.category, period) for p in (stays, leaves))

        cluster.clock.set(datetime(2026, 9, 18, 9, tzinfo=UTC))
        await cycle.eligibility.call(
            "POST", f"/certifications/{certified[leaves.resident_id]}/revocation",
            Officers.approver, json={"reason": "moved out of the county",
                                     "effective_from": "2026-09-01"})
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

        async def applied() -> bool:
            shown = await cycle.disbursement.call("GET", "/policy-catalogue",
                                                  Officers.disburser)
            return any(v["version"] == label and v["source"] == "published"
                       for v in shown["versions"])
        await eventually(applied, timeout=60, what="disbursement applied the raise")

        expected = [(certified[stays.resident_id], None, "benefit",
                     _seed_amount(stays.category, NEXT) + RAISE[stays.category])]
        for person in (stays, leaves):
            for period in ("2026-07", "2026-08"):
                expected.append((certified[person.resident_id], period, f"topup:{label}",
                                 RAISE[person.category]))
        async with tap(cluster.env, "disbursement") as seen:
            run = await cycle.pay(RunPlan(PROGRAM, NEXT))

            async def all_settled() -> list[dict[str, Any]] | None:
                found = [p for m in seen.of_type("payments.settled.v1")
                         if m.body["run_id"] == run["run_id"] for p in m.body["payments"]]
                return found if len(found) >= len(expected) else None
            settled = await eventually(all_settled, timeout=60, what="the run's payments")

        # Fund custody counts each top-up in the period it is for, by that period's shares.
        spent_in = {period: sum(_seed_amount(p.category, period) for p in (stays, leaves))
                    for period in PAID_OLD}
        for period in ("2026-07", "2026-08"):
            spent_in[period] += sum(RAISE[p.category] for p in (stays, leaves))
        spent_in[NEXT] = _seed_amount(stays.category, NEXT) + RAISE[stays.category]

        async def booked() -> dict[str, Any] | None:
            report: dict[str, Any] = await cycle.fund_custody.call(
                "GET", f"/balances/{PROGRAM}/2026/{DIVISION}", Officers.treasury)
            done = report["totals"]["spent_fen"] == sum(spent_in.values())
            return report if done else None
        balances = await eventually(booked, timeout=60, what="fund custody booked the run")
    finally:
        await cycle.close()
    def order(o: tuple[str, str | None, str, int]) -> tuple[str, str, str]:
        return o[0], o[1] or "", o[2]
    paid = sorted(((p["certification_id"], p["period"], p["item"], p["amount_fen"])
                   for p in settled), key=order)
    assert paid == sorted(expected, key=order)
    top_ups = [e for e in expected if e[2] != "benefit"]
    assert run["arrears"] == {"count": 4, "amount_fen": sum(e[3] for e in top_ups)}
    assert run["amounts_fen"]["settled"] == sum(e[3] for e in expected)
    by_period = {row["period"]: row["spent_fen"] for row in balances["periods"]}
    assert {period: by_period[period] for period in spent_in} == spent_in
    assert sum(by_period.values()) == sum(spent_in.values())
    # each run split once per group of its periods sharing the same shares
    runs = [{period: spent_in[period]} for period in ("2026-06",)] + [
        {period: spent_in[period] - sum(RAISE[p.category] for p in (stays, leaves))}
        for period in ("2026-07", "2026-08")] + [
        {NEXT: spent_in[NEXT], **{period: sum(RAISE[p.category] for p in (stays, leaves))
                                  for period in ("2026-07", "2026-08")}}]
    assert sum(fen for parts in runs for fen in parts.values()) == sum(spent_in.values())
    levels = dict.fromkeys(LEVELS, 0)
    for parts in runs:
        grouped: dict[tuple[int, ...], int] = {}
        for period, fen in parts.items():
            bp = shares(PROGRAM, period, DIVISION)
            grouped[bp] = grouped.get(bp, 0) + fen
        for bp, fen in grouped.items():
            for level, part in split(fen, bp).items():
                levels[level] += part
    assert {row["fiscal_level"]: row["spent_fen"] for row in balances["levels"]} == levels
