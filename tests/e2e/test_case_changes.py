"""Case changes through the four services as processes, on the real broker and databases
(issue 14, "case changes"): a transfer to another county and a change of category.

Two special-assistance beneficiaries are certified in county 420117 and paid from January.
In February the county's approver hands the first over to county 420102 from April; the
receiving county's approver refuses a first hand-over (a reason is kept), then accepts a
second. Each county runs its own monthly runs, January to June, the receiving county
sometimes before the sending one; the sending county skips March. Every month of the first
beneficiary is paid exactly once: January to March by 420117 (March as an arrear of its
April run, though April is not the beneficiary's there any more), April to June by 420102,
always to the account registered in 420117 (it moved with the person).

In May the sending county's approver changes the second beneficiary's category from the
only child's disability to the only child's death from April (already paid at the
disability standard). The change is refused until the child's death certificate the
policy names for the new category is filed for the certification, and facts that still
say the child is disabled are refused too; once decided, the application's facts say the
child died and when. The June run pays June at the death standard and tops April and May
up to it, as after a retroactive raise.

Every figure is computed here from the policy catalogue; the payments are read from
disbursement's database, one row per payment."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.policy import load_catalogue
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    file_certification_evidence,
)
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.facts import evidence_file, qualifying_household
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, YEAR = "special_assistance", 2026
SENDING, RECEIVING = "420117", "420102"
RECEIVING_APPROVER = "approver-420102-01"
RECEIVING_TREASURY = "treasury-420102-01"
RECEIVING_DISBURSER = Officers.other_county_disburser
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 7)]
MOVED_FROM = date(YEAR, 4, 1)
CATALOGUE = load_catalogue()
ACCOUNTS = ("622848020000007001", "622848020000007002")


def owed(category: str, period: str, division: str = SENDING) -> int:
    return CATALOGUE.amount_for(PROGRAM, category, period, division)


async def _refused(call: Any, status: int) -> str:
    with pytest.raises(RefusedByService) as refused:
        await call
    assert refused.value.response.status_code == status, refused.value
    return str(refused.value)


async def _problem(call: Any, status: int) -> dict[str, Any]:
    with pytest.raises(RefusedByService) as refused:
        await call
    assert refused.value.response.status_code == status, refused.value
    problem: dict[str, Any] = refused.value.response.json()
    return problem


def _child_died(person: Beneficiary, on: date) -> dict[str, Any]:
    """The facts that change when the disabled only child (as the application stated
    the child) dies on `on`."""
    [child] = qualifying_household(person.resident_id, PROGRAM, "disability",
                                   date(YEAR, 1, 1))["children"]
    died = {k: v for k, v in child.items() if k != "disability_grade"}
    return {"family_type": "only_child_died",
            "children": [{**died, "status": "died", "died_on": on.isoformat()}]}


async def _appropriate(cycle: CountyCycle, division: str, treasury: str, fen: int) -> None:
    shares = CATALOGUE.in_force(PROGRAM, date(YEAR, 1, 1)).fiscal_shares.model_dump()
    levels, paid = list(shares), 0
    for level in levels:
        share = fen * shares[level] // 10_000 if level != levels[-1] else fen - paid
        paid += share
        if share:
            await cycle.fund_custody.call("POST", "/appropriations", treasury, json={
                "program_code": PROGRAM, "fiscal_year": YEAR, "division_code": division,
                "fiscal_level": level, "amount_fen": share})


async def _pay(cycle: CountyCycle, division: str, period: str) -> dict[str, Any]:
    officer = Officers.disburser if division == SENDING else RECEIVING_DISBURSER
    started = await cycle.disbursement.call("POST", "/runs", officer, json={
        "program_code": PROGRAM, "period": period, "division_code": division})

    async def completed() -> dict[str, Any] | None:
        run: dict[str, Any] = await cycle.disbursement.call(
            "GET", f"/runs/{started['run_id']}", officer)
        return run if run["status"] == "completed" else None
    return await eventually(completed, timeout=120, what=f"the {division} run completed")


async def _active(cycle: CountyCycle, division: str) -> int:
    officer = Officers.disburser if division == SENDING else RECEIVING_DISBURSER
    shown = await cycle.disbursement.call(
        "GET", f"/certifications?program_code={PROGRAM}&division_code={division}", officer)
    return int(shown["active"])


async def _settled(cluster: Cluster, key: str) -> list[tuple[str, str, str, int, str]]:
    """(period, item, division, amount, account) of every live settled payment."""
    rows = await cluster.env.fetch(
        "disbursement",
        "SELECT p.period, p.item, r.division_code, p.amount_fen, p.account_number"
        " FROM payments p JOIN payment_runs r USING (run_id)"
        " WHERE p.person_key = $1 AND p.program_code = $2 AND p.status = 'settled'"
        " ORDER BY p.period, p.item", key, PROGRAM)
    return [(r["period"], r["item"], r["division_code"], r["amount_fen"], r["account_number"])
            for r in rows]


@pytest.mark.timeout(900)
async def test_a_transfer_pays_every_month_once_and_a_category_change_tops_up(
        cluster: Cluster) -> None:
    residents = ResidentFactory(SENDING, birth_year=1960)
    mover = Beneficiary(residents.next(), "周桂兰", PROGRAM, "death")
    changed = Beneficiary(residents.next(), "吴秀英", PROGRAM, "disability")
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle, mover, changed)
    finally:
        await cycle.close()


async def _run(cluster: Cluster, cycle: CountyCycle, mover: Beneficiary,
               changed: Beneficiary) -> None:
    certified = await cycle.certify_all([mover, changed], eligible_from=f"{YEAR}-01-01")
    moving = certified[mover.resident_id]
    for person, account in zip((mover, changed), ACCOUNTS, strict=True):
        await cycle.register_account(person, account)
    await _appropriate(cycle, SENDING, Officers.treasury, 2 * 6 * owed("death", MONTHS[0]))
    await _appropriate(cycle, RECEIVING, RECEIVING_TREASURY, 6 * owed("death", MONTHS[0]))
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    for month in (1, 2):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        await _pay(cycle, SENDING, MONTHS[month - 1])

    # The hand-over, each county within its own scope.
    cluster.clock.set(datetime(YEAR, 2, 20, 9, tzinfo=UTC))
    body = {"certification_id": moving, "to_division_code": RECEIVING,
            "effective_from": MOVED_FROM.isoformat(), "reason": "随子女迁居江岸区"}
    await _refused(cycle.eligibility.call("POST", "/transfers", RECEIVING_APPROVER,
                                          json=body), 403)
    await _refused(cycle.eligibility.call("POST", "/transfers", Officers.approver, json={
        **body, "effective_from": f"{YEAR}-04-15"}), 422)
    first = await cycle.eligibility.call("POST", "/transfers", Officers.approver, json=body)
    assert first["status"] == "pending"
    await _refused(cycle.eligibility.call("POST", "/transfers", Officers.approver,
                                          json=body), 409)
    await _refused(cycle.eligibility.call(
        "POST", f"/transfers/{first['transfer_id']}/acceptance", Officers.approver,
        json={}), 403)
    await _refused(cycle.eligibility.call(
        "POST", f"/transfers/{first['transfer_id']}/refusal", RECEIVING_APPROVER,
        json={}), 422)
    refused = await cycle.eligibility.call(
        "POST", f"/transfers/{first['transfer_id']}/refusal", RECEIVING_APPROVER,
        json={"reason": "户籍迁入手续未齐"})
    assert (refused["status"], refused["refusal_reason"]) == ("refused", "户籍迁入手续未齐")
    second = await cycle.eligibility.call("POST", "/transfers", Officers.approver, json=body)
    accepted = await cycle.eligibility.call(
        "POST", f"/transfers/{second['transfer_id']}/acceptance", RECEIVING_APPROVER,
        json={})
    assert (accepted["status"], accepted["decided_by"]) == ("accepted", RECEIVING_APPROVER)
    shown = await cycle.eligibility.call("GET", f"/certifications/{moving}",
                                         RECEIVING_APPROVER)
    assert shown["division_code"] == RECEIVING
    await _refused(cycle.eligibility.call("GET", f"/certifications/{moving}",
                                          Officers.approver), 403)

    # The sending county skips March and pays it with April, to the beneficiary who left
    # too; the receiving county pays from April, whichever county runs first.
    cluster.clock.set(datetime(YEAR, 4, 10, 9, tzinfo=UTC))

    async def moved() -> bool:
        return await _active(cycle, RECEIVING) == 1 and await _active(cycle, SENDING) == 1
    await eventually(moved, timeout=60, what="disbursement follows the transfer")
    await _pay(cycle, RECEIVING, MONTHS[3])
    april = await _pay(cycle, SENDING, MONTHS[3])
    assert april["arrears"] == {"count": 2, "amount_fen": owed("death", MONTHS[2])
                                + owed("disability", MONTHS[2])}
    cluster.clock.set(datetime(YEAR, 5, 10, 9, tzinfo=UTC))
    await _pay(cycle, SENDING, MONTHS[4])
    await _pay(cycle, RECEIVING, MONTHS[4])

    # A change of category reaching back to April, which was paid at the old standard.
    cluster.clock.set(datetime(YEAR, 5, 20, 9, tzinfo=UTC))
    key = person_key(TEST_PERSON_KEY_SECRET, changed.resident_id)
    changed_id = certified[changed.resident_id]
    died = _child_died(changed, date(YEAR, 3, 8))
    change = {"certification_id": changed_id, "to_category": "death",
              "effective_from": MOVED_FROM.isoformat(), "reason": "独生子女伤残后死亡",
              "household": died}
    await _refused(cycle.eligibility.call("POST", "/category-changes", RECEIVING_APPROVER,
                                          json=change), 403)
    await _refused(cycle.eligibility.call("POST", "/category-changes", Officers.approver,
                                          json={**change, "to_category": "orphan"}), 422)
    # without the child's death certificate the policy names for the new category: refused
    # with what is missing, nothing personal echoed, nothing changed
    missing = await _problem(cycle.eligibility.call(
        "POST", "/category-changes", Officers.approver, json=change), 409)
    assert [(e["field"], e["type"]) for e in missing["errors"]] == [
        ("evidence.child_death_certificate", "missing_evidence")]
    assert changed.resident_id not in str(missing) and changed.name not in str(missing)
    await _refused(cycle.eligibility.call(
        "POST", f"/certifications/{changed_id}/evidence", Officers.clerk,
        data={"kind": "marriage_certificate"},
        files={"file": evidence_file("marriage_certificate")}), 422)
    await file_certification_evidence(cycle.eligibility, changed_id,
                                      ["child_death_certificate"])
    # the facts on record still say the child is disabled: not a death
    unfit = await _problem(cycle.eligibility.call(
        "POST", "/category-changes", Officers.approver, json={**change, "household": {}}),
        422)
    assert {e["type"] for e in unfit["errors"]} == {"criterion"}
    shown = await cycle.eligibility.call("GET", f"/certifications/{changed_id}",
                                         Officers.approver)
    assert shown["category"] == "disability"
    done = await cycle.eligibility.call("POST", "/category-changes", Officers.approver,
                                        json=change)
    assert (done["from_category"], done["to_category"]) == ("disability", "death")
    application = await cycle.eligibility.call(
        "GET", f"/applications/{shown['application_id']}", Officers.approver)
    assert (application["facts"]["family_type"], application["facts"]["children"]) == (
        "only_child_died", [{**died["children"][0], "disability_grade": None}])
    assert "child_death_certificate" in {e["kind"] for e in application["evidence"]}

    async def changed_seen() -> bool:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT 1 FROM certification_changes WHERE certification_id = $1",
            changed_id)
        return bool(rows)
    await eventually(changed_seen, timeout=60, what="disbursement follows the change")
    cluster.clock.set(datetime(YEAR, 6, 10, 9, tzinfo=UTC))
    await _pay(cycle, RECEIVING, MONTHS[5])
    await _pay(cycle, SENDING, MONTHS[5])

    mover_paid = await _settled(cluster, person_key(TEST_PERSON_KEY_SECRET,
                                                    mover.resident_id))
    benefits = [(p, d, fen, account) for p, item, d, fen, account in mover_paid
                if item == "benefit"]
    assert Counter(p for p, *_ in benefits) == Counter(MONTHS)
    assert benefits == [(p, SENDING if p < "2026-04" else RECEIVING,
                         owed("death", p), ACCOUNTS[0]) for p in MONTHS]
    assert [row for row in mover_paid if row[1] != "benefit"] == []

    changed_paid = await _settled(cluster, key)
    # each month's benefit at the standard in force when it was paid ...
    assert [(p, fen) for p, item, _, fen, _ in changed_paid if item == "benefit"] == [
        (p, owed("disability" if p < "2026-06" else "death", p)) for p in MONTHS]
    # ... and the months from the change already paid brought up to the new standard
    top_ups = [(p, item, d, fen) for p, item, d, fen, _ in changed_paid if item != "benefit"]
    assert [(p, d, fen) for p, _, d, fen in top_ups] == [
        (p, SENDING, owed("death", p) - owed("disability", p)) for p in MONTHS[3:5]]
    assert all(item.startswith("topup:") for _, item, _, _ in top_ups)
    assert sum(fen for p, _, _, fen, _ in changed_paid if p in MONTHS[3:5]) == sum(
        owed("death", p) for p in MONTHS[3:5])
