"""The yearly re-confirmation (年审) and a program's end rule through the four services as
processes, on the real broker and databases, by the services' clock.

Two special-assistance beneficiaries and two one-child health-fee households are
certified through eligibility's API in November 2026 (valid until 31 December). In
December one of each is re-confirmed for 2027, saying how and by whom (a village cadre's
visit with its record, entered by the clerk; a survival check, by the county approver; a
clerk of another county is refused); the worklist shows who is
confirmed and who is due. The health fee ends the month after the only child turns 18:
one household's child turns 18 on 15 December 2026, so the deadlines loop ends that
certification on 1 January 2027 with the reason, and January pays only the other
household. The special-assistance beneficiary not re-confirmed is overdue in January (still
paid: the grace runs to 31 January) and lapses on 1 February; February's run pays only the
one re-confirmed, and oversight records the lapse. Every amount comes from the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.policy import load_catalogue
from siquan.shared.clock import office_zone
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

SPECIAL, HEALTH, DIVISION = "special_assistance", "one_child_health_fee", "420117"
OTHER_COUNTY_CLERK = "clerk-420102-01"
CATALOGUE = load_catalogue()


def owed(person: Beneficiary, period: str) -> int:
    return CATALOGUE.amount_for(person.program_code, person.category, period, DIVISION)


def one_child_household(resident_id: str, child_born: date) -> dict[str, Any]:
    born = date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
    return {"applicant": {"birth_date": born.isoformat(),
                          "sex": "male" if int(resident_id[16]) % 2 else "female"},
            "applicant_role": "parent", "residence": "rural", "family_type": "one_child",
            "children": [{"birth_date": child_born.isoformat(), "sex": "female"}],
            "holds_one_child_certificate": True}


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("reconfirmation"))
    with running_cluster(siquan_env, base / "logs", extra_env={
            "eligibility": {"SIQUAN_DEADLINE_CHECK_SECONDS": "0.5"}}) as running:
        yield running


def at(day: date) -> datetime:
    """17:00 on `day` in the office's zone (09:00 UTC in Beijing)."""
    return datetime.combine(day, time(17), office_zone()).astimezone(UTC)


@pytest.mark.timeout(600)
async def test_unconfirmed_lapses_after_the_grace_and_an_age_limit_ends_on_its_day(
        cluster: Cluster) -> None:
    cluster.clock.set(at(date(2026, 11, 2)))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle)
    finally:
        await cycle.close()


async def _run(cluster: Cluster, cycle: CountyCycle) -> None:
    residents = ResidentFactory(DIVISION, birth_year=1962)
    confirmed = Beneficiary(residents.next(), "孙秀兰", SPECIAL, "death")
    forgotten = Beneficiary(residents.next(), "周桂芳", SPECIAL, "death")
    adult_child, young_child = residents.next(), residents.next()
    turns_18 = Beneficiary(adult_child, "李淑珍", HEALTH, "standard",
                           one_child_household(adult_child, date(2008, 12, 15)))
    minor = Beneficiary(young_child, "赵玉梅", HEALTH, "standard",
                        one_child_household(young_child, date(2015, 6, 1)))
    people = [confirmed, forgotten, turns_18, minor]
    certified = await cycle.certify_all(people, eligible_from="2026-11-01")
    for n, person in enumerate(people):
        await cycle.register_account(person, f"6228480200000{n + 1:04d}")
    await cycle.appropriate(RunPlan(SPECIAL, "2027-01"), owed(confirmed, "2027-01")
                            + owed(forgotten, "2027-01") + owed(confirmed, "2027-02"))
    await cycle.appropriate(RunPlan(HEALTH, "2027-01"), owed(minor, "2027-01"))
    await cycle.wait_until_disbursement_knows(2, SPECIAL)
    await cycle.wait_until_disbursement_knows(2, HEALTH)
    ids = {p.resident_id: certified[p.resident_id] for p in people}

    # December: one of each program re-confirmed for 2027, how and with what evidence.
    cluster.clock.set(at(date(2026, 12, 1)))
    for bad in ({"method": "phone_call"}, {"method": "in_person", "evidence_reference": ""}):
        with pytest.raises(RefusedByService) as refused:
            await cycle.eligibility.call("POST", "/reconfirmations", Officers.approver, json={
                "year": 2027, "confirmations": [
                    {"certification_id": ids[confirmed.resident_id], **bad}]})
        assert refused.value.response.status_code == 422
    with pytest.raises(RefusedByService) as twice:
        await cycle.eligibility.call("POST", "/reconfirmations", Officers.approver, json={
            "year": 2027, "confirmations": [
                {"certification_id": ids[confirmed.resident_id], "method": "in_person"}] * 2})
    assert twice.value.response.status_code == 422
    with pytest.raises(RefusedByService) as not_yours:
        await cycle.eligibility.call("POST", "/reconfirmations", OTHER_COUNTY_CLERK, json={
            "year": 2027, "confirmations": [
                {"certification_id": ids[confirmed.resident_id], "method": "in_person"}]})
    assert not_yours.value.response.status_code == 403
    assert confirmed.resident_id not in not_yours.value.response.text
    assert confirmed.name not in not_yours.value.response.text
    # the village's visit is recorded by the clerk, the survival check by the approver
    visited = await cycle.eligibility.call("POST", "/reconfirmations", Officers.clerk, json={
        "year": 2027, "confirmations": [
            {"certification_id": ids[confirmed.resident_id], "method": "village_visit",
             "evidence_reference": "村委会走访记录 2026-118"}]})
    done = await cycle.eligibility.call("POST", "/reconfirmations", Officers.approver, json={
        "year": 2027, "confirmations": [
            {"certification_id": ids[minor.resident_id], "method": "survival_check"}]})
    assert (visited, done) == ({"reconfirmed": 1, "year": 2027},
                               {"reconfirmed": 1, "year": 2027})
    listed = await _worklist(cycle)
    assert {i: listed[i]["status"] for i in ids.values()} == {
        ids[confirmed.resident_id]: "confirmed", ids[forgotten.resident_id]: "due",
        ids[turns_18.resident_id]: "due", ids[minor.resident_id]: "confirmed"}
    shown = listed[ids[confirmed.resident_id]]
    assert (shown["method"], shown["evidence_reference"], shown["confirmed_by"],
            shown["deadline"]) == ("village_visit", "村委会走访记录 2026-118",
                                   Officers.clerk, "2027-01-31")
    assert (listed[ids[minor.resident_id]]["method"],
            listed[ids[minor.resident_id]]["confirmed_by"]) == (
        "survival_check", Officers.approver)
    assert shown["masked_name"] != confirmed.name and "resident_id" not in shown

    # The health fee ends on its own the month after the only child turns 18.
    cluster.clock.set(at(date(2026, 12, 31)))
    await _status_is(cluster, ids[minor.resident_id], "active")
    assert (await _status_is(cluster, ids[turns_18.resident_id], "active"))["status"]
    cluster.clock.set(at(date(2027, 1, 1)))
    ended = await _status_is(cluster, ids[turns_18.resident_id], "revoked")
    assert ended["ended_on"] == date(2027, 1, 1)
    assert "the only child reached 18 on 2026-12-15" in ended["ended_reason"]
    assert await _ended_in_disbursement(cluster, ids[turns_18.resident_id]) == date(2027, 1, 1)

    # January: the one not re-confirmed is overdue and still paid; the ended one is not.
    cluster.clock.set(at(date(2027, 1, 10)))
    assert (await _worklist(cycle))[ids[forgotten.resident_id]]["status"] == "overdue"
    january = await cycle.pay(RunPlan(SPECIAL, "2027-01"))
    assert january["amounts_fen"]["settled"] == (owed(confirmed, "2027-01")
                                                 + owed(forgotten, "2027-01"))
    health = await cycle.pay(RunPlan(HEALTH, "2027-01"))
    assert health["amounts_fen"]["settled"] == owed(minor, "2027-01")
    assert await _paid(cluster, ids[turns_18.resident_id], "2027-01") == 0

    # 1 February: the grace is over, the loop lapses it; February pays the confirmed alone.
    cluster.clock.set(at(date(2027, 1, 31)))
    await _status_is(cluster, ids[forgotten.resident_id], "active")
    cluster.clock.set(at(date(2027, 2, 1)))
    lapsed = await _status_is(cluster, ids[forgotten.resident_id], "lapsed")
    assert lapsed["ended_on"] == date(2027, 2, 1)
    assert (await _worklist(cycle))[ids[forgotten.resident_id]]["status"] == "lapsed"
    assert await _ended_in_disbursement(cluster, ids[forgotten.resident_id]) == date(2027, 2, 1)
    cluster.clock.set(at(date(2027, 2, 10)))
    february = await cycle.pay(RunPlan(SPECIAL, "2027-02"))
    assert february["amounts_fen"]["settled"] == owed(confirmed, "2027-02")
    assert await _paid(cluster, ids[forgotten.resident_id], "2027-02") == 0
    assert await _paid(cluster, ids[confirmed.resident_id], "2027-02") == 1

    async def seen_by_oversight() -> list[Any] | None:
        rows = await cluster.env.fetch(
            "oversight", "SELECT certification_id::text, kind, effective_from"
            " FROM watched_changes WHERE certification_id::text = ANY($1::text[])"
            " ORDER BY kind", [ids[forgotten.resident_id], ids[turns_18.resident_id]])
        return rows if len(rows) == 2 else None
    seen = await eventually(seen_by_oversight, timeout=60, what="oversight saw both ends")
    assert [(r["certification_id"], r["kind"], r["effective_from"]) for r in seen] == [
        (ids[forgotten.resident_id], "lapsed", date(2027, 2, 1)),
        (ids[turns_18.resident_id], "revoked", date(2027, 1, 1))]


async def _worklist(cycle: CountyCycle) -> dict[str, dict[str, Any]]:
    page = await cycle.eligibility.call("GET", "/reconfirmations/2027", Officers.reviewer,
                                        params={"division_code": DIVISION})
    assert page["year"] == 2027 and page["division_code"] == DIVISION
    return {item["certification_id"]: item for item in page["items"]}


async def _status_is(cluster: Cluster, certification_id: str, status: str
                     ) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        rows = await cluster.env.fetch(
            "eligibility", "SELECT status, ended_on, ended_reason FROM certifications"
            " WHERE id = $1::uuid", certification_id)
        return dict(rows[0]) if rows[0]["status"] == status else None
    return await eventually(reached, timeout=60, what=f"{certification_id} {status}")


async def _ended_in_disbursement(cluster: Cluster, certification_id: str) -> date:
    async def ended() -> date | None:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT effective_from FROM certification_revocations"
            " WHERE certification_id = $1", certification_id)
        return rows[0]["effective_from"] if rows else None
    found: date = await eventually(ended, timeout=60, what="disbursement knows the end")
    return found


async def _paid(cluster: Cluster, certification_id: str, period: str) -> int:
    rows = await cluster.env.fetch(
        "disbursement", "SELECT count(*) AS n FROM payments WHERE certification_id::text = $1"
        " AND period = $2 AND status = 'settled'", certification_id, period)
    return int(rows[0]["n"])
