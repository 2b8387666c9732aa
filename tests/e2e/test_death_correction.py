"""A death recorded in error, corrected, through the four services as processes on the
real broker and databases.

Two special-assistance beneficiaries are certified through eligibility's API and paid
January and February 2026. On 5 March public security's daily file names the first as
dead on 20 January: the wrong person. Eligibility revokes the certification from 1
February; disbursement stops paying it and hands February (paid, not owed any more) to
fund custody as a receivable; the March run pays the second beneficiary alone. On 20 March
a county approver corrects the death on an extract of the household register: the
certification is active again from 1 February, as if never revoked. Then:

- the receivable is not pursued: nothing is outstanding, in disbursement or fund custody;
- fund custody counts the certification again; oversight dismisses the finding the death
  gave reason for (February paid after it) and lifts the hold it placed;
- the April run pays the first beneficiary April and March (as arrears);
- every month January to April is paid to each beneficiary exactly once, to the fen;
- the death is listed as corrected, and a second correction is refused.

Then the second beneficiary dies and the same death certificate is recorded with a wrong
date, corrected, and recorded again with the right one: the register lists the new
record beside the corrected one and payment stops from the month after the right date.

Every figure is computed here from the policy catalogue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts.periods import first_day_of_next_month
from siquan.contracts.policy import load_catalogue
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.messages import signed_death_file
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 5)]
CATALOGUE = load_catalogue()


def owed(category: str, period: str) -> int:
    return CATALOGUE.amount_for(PROGRAM, category, period, DIVISION)


@pytest.fixture(scope="module")
def people() -> list[Beneficiary]:
    residents = ResidentFactory(DIVISION, birth_year=1958)
    return [Beneficiary(residents.next(), "周玉兰", PROGRAM, "death"),
            Beneficiary(residents.next(), "孙桂芳", PROGRAM, "disability")]


@pytest.mark.timeout(480)
async def test_a_death_recorded_in_error_is_corrected_and_every_month_is_paid_once(
        cluster: Cluster, people: list[Beneficiary]) -> None:
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        async with httpx.AsyncClient(base_url=cluster.url("eligibility"),
                                     timeout=30.0) as partner:
            await _run(cluster, cycle, partner, people)
    finally:
        await cycle.close()


async def _run(cluster: Cluster, cycle: CountyCycle, partner: httpx.AsyncClient,
               people: list[Beneficiary]) -> None:
    wrongly, other = people
    certified = await cycle.certify_all(people, eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate(people):
        await cycle.register_account(person, f"6228480300000{n + 1:04d}")
    await cycle.appropriate(RunPlan(PROGRAM, MONTHS[0]), sum(
        owed(p.category, m) for p in people for m in MONTHS))
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    for month, period in enumerate(MONTHS[:2], start=1):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        run = await cycle.pay(RunPlan(PROGRAM, period))
        assert run["amounts_fen"]["settled"] == sum(owed(p.category, period) for p in people)

    # Public security's file names the wrong person as dead on 20 January.
    cluster.clock.set(datetime(YEAR, 3, 5, 9, tzinfo=UTC))
    died = date(YEAR, 1, 20)
    file_id = f"GA-{DIVISION}-20260305-{uuid.uuid4().hex[:6]}"
    report_id = f"GA-{uuid.uuid4().hex[:10]}"
    body = f"report_id,resident_id,date_of_death\n{report_id},{wrongly.resident_id},{died}\n"
    path = f"/partners/public-security/death-files/{file_id}"
    answer = await partner.put(path, content=body.encode(),
                               headers=signed_death_file(cluster.env, file_id, body.encode()))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    certification = certified[wrongly.resident_id]
    revoked_from = first_day_of_next_month(died)

    async def ended() -> bool:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT effective_until FROM certification_terms"
            " WHERE certification_id::text = $1", certification)
        return [r["effective_until"] for r in rows] == [revoked_from]
    await eventually(ended, timeout=60, what="disbursement ended the certification")

    async def receivable() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        return {r["certification_id"]: r for r in listed["receivables"]}.get(certification)
    raised = await eventually(receivable, timeout=60, what="the receivable of the death")
    assert (raised["cause"], raised["total_fen"], raised["status"]) == (
        "death", owed(wrongly.category, MONTHS[1]), "open")

    async def booked() -> dict[str, Any] | None:
        listed = await cycle.fund_custody.call(
            "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
        return {r["receivable_id"]: r for r in listed["receivables"]}.get(
            raised["receivable_id"])
    in_ledger = await eventually(booked, timeout=60, what="the receivable in fund custody")
    assert sum(row["receivable_fen"] for row in in_ledger["levels"]) == raised["total_fen"]

    cluster.clock.set(datetime(YEAR, 3, 10, 9, tzinfo=UTC))
    march = await cycle.pay(RunPlan(PROGRAM, MONTHS[2]))
    assert march["amounts_fen"]["settled"] == owed(other.category, MONTHS[2])

    # The county corrects the death on the household register's extract.
    cluster.clock.set(datetime(YEAR, 3, 20, 9, tzinfo=UTC))
    listed = await cycle.eligibility.call("GET", f"/deaths?died_from={died}",
                                          Officers.approver)
    [death] = [d for d in listed if d["report_id"] == report_id]
    assert (death["source"], death["file_id"], death["file_line"],
            death["revoked_certification_ids"], death["corrected"]) == (
        "public_security_file", file_id, 2, [certification], False)
    correction = {"reason": "the file named the wrong person: the register shows her alive",
                  "evidence_kind": "household_register_extract",
                  "document_number": "鄂户(2026)0320号"}
    corrected = await cycle.eligibility.call(
        "POST", f"/deaths/{report_id}/correction", Officers.approver, json=correction)
    assert corrected["reinstated_certification_ids"] == [certification]
    with pytest.raises(RefusedByService) as refused:
        await cycle.eligibility.call("POST", f"/deaths/{report_id}/correction",
                                     Officers.approver, json=correction)
    assert refused.value.response.status_code == 409

    async def owed_again() -> bool:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT effective_until FROM certification_terms"
            " WHERE certification_id::text = $1", certification)
        return [r["effective_until"] for r in rows] == [None]
    await eventually(owed_again, timeout=60, what="disbursement owes the certification again")

    async def given_up() -> dict[str, Any] | None:
        found = await receivable()
        return found if found is not None and found["outstanding_fen"] == 0 else None
    closed = await eventually(given_up, timeout=60, what="the receivable not pursued")
    assert closed["written_off_fen"] == raised["total_fen"]

    async def settled_in_ledger() -> dict[str, Any] | None:
        found = await booked()
        return found if found is not None and found["outstanding_fen"] == 0 else None
    ledger = await eventually(settled_in_ledger, timeout=60,
                              what="fund custody holds nothing outstanding for it")
    assert ledger["written_off_fen"] == raised["total_fen"]

    async def counted_again() -> bool:
        rows = await cluster.env.fetch(
            "fund_custody", "SELECT active, certified_until FROM certifications"
            " WHERE certification_id = $1", certification)
        return [(r["active"], r["certified_until"]) for r in rows] == [(True, None)]
    await eventually(counted_again, timeout=60, what="fund custody counts it again")

    async def hold_lifted() -> bool:
        rows = await cluster.env.fetch(
            "oversight", "SELECT lifted_at FROM holds WHERE person_key = $1",
            person_key(TEST_PERSON_KEY_SECRET, wrongly.resident_id))
        return bool(rows) and all(r["lifted_at"] is not None for r in rows)
    await eventually(hold_lifted, timeout=60,
                     what="oversight lifted the hold the wrong death placed")

    # April pays April, and March as arrears, to the person wrongly reported dead.
    cluster.clock.set(datetime(YEAR, 4, 10, 9, tzinfo=UTC))
    april = await cycle.pay(RunPlan(PROGRAM, MONTHS[3]))
    assert april["amounts_fen"]["settled"] == (
        owed(wrongly.category, MONTHS[3]) + owed(wrongly.category, MONTHS[2])
        + owed(other.category, MONTHS[3]))
    for person in people:
        paid = await cluster.env.fetch(
            "disbursement", "SELECT period, count(*) AS n, sum(amount_fen) AS fen"
            " FROM payments WHERE person_key = $1 AND status = 'settled'"
            " GROUP BY period ORDER BY period",
            person_key(TEST_PERSON_KEY_SECRET, person.resident_id))
        assert [(r["period"], r["n"], r["fen"]) for r in paid] == [
            (m, 1, owed(person.category, m)) for m in MONTHS], person.name
    listed = await cycle.eligibility.call("GET", f"/deaths?died_from={died}",
                                          Officers.approver)
    [death] = [d for d in listed if d["report_id"] == report_id]
    assert (death["corrected"], death["corrected_by"]) == (True, Officers.approver)

    await _recorded_again_with_the_right_date(cluster, cycle, other,
                                              certified[other.resident_id])


async def _recorded_again_with_the_right_date(
        cluster: Cluster, cycle: CountyCycle, person: Beneficiary, certification: str
        ) -> None:
    """The second beneficiary dies on 16 April; the township records it from the death
    certificate but misreads the date as 14 February. The county corrects that record and
    the township records the same certificate again with the right date: a new report,
    listed beside the corrected one, and payment stops from May (April stays paid, and
    nothing is pursued for March or April)."""
    cluster.clock.set(datetime(YEAR, 4, 20, 9, tzinfo=UTC))
    wrong, right = date(YEAR, 2, 14), date(YEAR, 4, 16)
    death = {"resident_id": person.resident_id, "evidence_kind": "death_certificate",
             "document_number": "鄂死证 2026-0416"}
    first = await cycle.eligibility.call("POST", "/deaths", Officers.reviewer,
                                         json={**death, "date_of_death": wrong.isoformat()})
    assert first["revoked_certification_ids"] == [certification]

    async def ends_on(day: date | None) -> bool:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT effective_until FROM certification_terms"
            " WHERE certification_id::text = $1", certification)
        return [r["effective_until"] for r in rows] == [day]
    await eventually(lambda: ends_on(first_day_of_next_month(wrong)), timeout=60,
                     what="disbursement ended it from the wrong date")
    await cycle.eligibility.call(
        "POST", f"/deaths/{first['report_id']}/correction", Officers.approver, json={
            "reason": "the certificate's date was misread", "evidence_kind": "in_person_check",
            "document_number": "核查 2026-0420"})
    await eventually(lambda: ends_on(None), timeout=60,
                     what="disbursement owes it again after the correction")

    again = await cycle.eligibility.call("POST", "/deaths", Officers.reviewer,
                                         json={**death, "date_of_death": right.isoformat()})
    assert again["report_id"] != first["report_id"]
    assert (again["status"], again["revoked_certification_ids"]) == (
        "recorded", [certification])
    listed = {d["report_id"]: d for d in await cycle.eligibility.call(
        "GET", f"/deaths?died_from={wrong}", Officers.approver)}
    assert (listed[first["report_id"]]["date_of_death"],
            listed[first["report_id"]]["corrected"]) == (wrong.isoformat(), True)
    assert (listed[again["report_id"]]["date_of_death"], listed[again["report_id"]][
        "corrected"], listed[again["report_id"]]["revoked_certification_ids"]) == (
        right.isoformat(), False, [certification])
    await eventually(lambda: ends_on(date(YEAR, 5, 1)), timeout=60,
                     what="disbursement stops paying it from May")

    async def nothing_pursued() -> bool:
        found = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        mine = [r for r in found["receivables"] if r["certification_id"] == certification]
        return bool(mine) and all(r["outstanding_fen"] == 0 for r in mine)
    await eventually(nothing_pursued, timeout=60,
                     what="the wrong date's receivable written off, none for the right one")
