"""Deaths from any source through the four services as processes, on the real broker and
databases (issue 14, "deaths from any source").

Three special-assistance beneficiaries are certified through eligibility's API and paid
January to March 2026. On 20 March a township reviewer records the first one's death
(15 March, on a death certificate); a county approver records it again from the village's
report, which changes nothing. The same day public security sends its daily death file,
signed with its key: the second beneficiary died on 10 February; the file also names the
first (a duplicate of the officer's record), someone who holds nothing, and lines that
are refused (a bad resident ID, a date in the future). Sent again, the same report comes
back and nothing changes. Then:

- the first's certification ends from 1 April: March was owed, nothing is recovered;
- the second's ends from 1 March: March went out and was not owed, so disbursement
  records it as a receivable and fund custody books it per fiscal level;
- the April run pays the third beneficiary alone.

Every figure is computed here from the policy catalogue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts.periods import first_day_of_next_month, period_start
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
PAID = [f"{YEAR}-{m:02d}" for m in range(1, 4)]
CATALOGUE = load_catalogue()


def owed(category: str, period: str) -> int:
    return CATALOGUE.amount_for(PROGRAM, category, period, DIVISION)


@pytest.fixture(scope="module")
def people() -> list[Beneficiary]:
    residents = ResidentFactory(DIVISION, birth_year=1959)
    return [Beneficiary(residents.next(), "陈桂英", PROGRAM, "death"),
            Beneficiary(residents.next(), "李淑珍", PROGRAM, "disability"),
            Beneficiary(residents.next(), "赵秀梅", PROGRAM, "death")]


@pytest.mark.timeout(480)
async def test_deaths_recorded_by_an_officer_and_from_public_securitys_file_stop_payment(
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
    by_officer, by_file, living = people
    certified = await cycle.certify_all(people, eligible_from=f"{YEAR}-01-01")
    for n, person in enumerate(people):
        await cycle.register_account(person, f"6228480200000{n + 1:04d}")
    await cycle.appropriate(RunPlan(PROGRAM, PAID[0]), sum(
        owed(p.category, m) for p in people for m in [*PAID, f"{YEAR}-04"]))
    await cycle.wait_until_disbursement_knows(3, PROGRAM)
    for month, period in enumerate(PAID, start=1):
        cluster.clock.set(datetime(YEAR, month, 10, 9, tzinfo=UTC))
        run = await cycle.pay(RunPlan(PROGRAM, period))
        assert run["amounts_fen"]["settled"] == sum(owed(p.category, period) for p in people)

    cluster.clock.set(datetime(YEAR, 3, 20, 9, tzinfo=UTC))
    officer_died, file_died = date(YEAR, 3, 15), date(YEAR, 2, 10)

    # An officer records a death on a death certificate; a second officer again.
    recorded = await cycle.eligibility.call("POST", "/deaths", Officers.reviewer, json={
        "resident_id": by_officer.resident_id, "date_of_death": officer_died.isoformat(),
        "evidence_kind": "death_certificate", "document_number": "鄂D2026-000315"})
    assert (recorded["status"], recorded["revoked_certification_ids"]) == (
        "recorded", [certified[by_officer.resident_id]])
    again = await cycle.eligibility.call("POST", "/deaths", Officers.approver, json={
        "resident_id": by_officer.resident_id, "date_of_death": officer_died.isoformat(),
        "evidence_kind": "village_report", "document_number": "村委会(2026)07号"})
    assert (again["status"], again["revoked_certification_ids"]) == ("already_recorded", [])
    await _officer_refusals(cycle, by_officer.resident_id)

    # Public security's daily file, signed; the same file again answers the same.
    file_id = f"GA-{DIVISION}-20260320-{uuid.uuid4().hex[:6]}"
    stranger = ResidentFactory(DIVISION, birth_year=1940).next()
    body = "\n".join([
        "report_id,resident_id,date_of_death",
        f"GA-{uuid.uuid4().hex[:10]},{by_file.resident_id},{file_died}",
        f"GA-{uuid.uuid4().hex[:10]},{by_officer.resident_id},{officer_died}",
        f"GA-{uuid.uuid4().hex[:10]},{stranger},{YEAR}-03-01",
        f"GA-{uuid.uuid4().hex[:10]},110105194912310021,{YEAR}-03-02",
        f"GA-{uuid.uuid4().hex[:10]},{living.resident_id},{YEAR + 1}-01-01",
    ]).encode() + b"\n"
    path = f"/partners/public-security/death-files/{file_id}"
    answer = await partner.put(path, content=body,
                               headers=signed_death_file(cluster.env, file_id, body))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [(r["line"], r["result"], r.get("reason")) for r in report["results"]] == [
        (2, "accepted", None), (3, "duplicate", None), (4, "accepted", None),
        (5, "refused", "resident_id_invalid"), (6, "refused", "date_in_future")]
    assert (report["accepted"], report["duplicate"], report["refused"]) == (2, 1, 2)
    assert all(p.resident_id not in answer.text for p in people)
    resent = await partner.put(path, content=body,
                               headers=signed_death_file(cluster.env, file_id, body))
    assert (resent.status_code, resent.json()) == (200, report)
    await _file_refusals(cluster, partner, file_id, body)

    revocations = await cluster.env.fetch(
        "eligibility", "SELECT certification_id::text AS id, effective_from"
        " FROM certification_history WHERE status_to = 'revoked' ORDER BY effective_from")
    assert [(r["id"], r["effective_from"]) for r in revocations] == [
        (certified[by_file.resident_id], first_day_of_next_month(file_died)),
        (certified[by_officer.resident_id], first_day_of_next_month(officer_died))]

    told = await cluster.env.fetch(
        "eligibility", "SELECT count(*) AS n FROM outbox"
        " WHERE routing_key = 'public_security.certification.ended.v1'")
    assert told[0]["n"] == 2  # public security learns of both ends, whatever the source

    # Disbursement stops paying both, and hands the March paid to the second back as a
    # receivable; the first was owed March (died in it): nothing to recover.
    ends = {certified[by_file.resident_id]: first_day_of_next_month(file_died),
            certified[by_officer.resident_id]: first_day_of_next_month(officer_died)}

    async def ended() -> bool:
        rows = await cluster.env.fetch(
            "disbursement", "SELECT certification_id::text AS id, effective_until"
            " FROM certification_terms WHERE certification_id::text = ANY($1::text[])",
            list(ends))
        return {r["id"]: r["effective_until"] for r in rows} == ends
    await eventually(ended, timeout=60, what="disbursement ended both from their months")
    not_owed = [m for m in PAID if period_start(m) >= first_day_of_next_month(file_died)]
    assert not_owed == [f"{YEAR}-03"]

    async def found() -> dict[str, Any] | None:
        listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
        by_cert = {r["certification_id"]: r for r in listed["receivables"]}
        return by_cert.get(certified[by_file.resident_id])
    receivable = await eventually(found, timeout=60, what="the receivable of the file's death")
    assert (receivable["total_fen"], receivable["cause"], receivable["status"]) == (
        sum(owed(by_file.category, m) for m in not_owed), "death", "open")
    assert receivable["person_key"] == person_key(TEST_PERSON_KEY_SECRET,
                                                  by_file.resident_id)
    listed = await cycle.disbursement.call("GET", "/receivables", Officers.disburser)
    assert certified[by_officer.resident_id] not in {
        r["certification_id"] for r in listed["receivables"]}

    async def booked() -> dict[str, Any] | None:
        listed = await cycle.fund_custody.call(
            "GET", f"/receivables?program_code={PROGRAM}&fiscal_year={YEAR}", Officers.treasury)
        return {r["receivable_id"]: r for r in listed["receivables"]}.get(
            receivable["receivable_id"])
    in_ledger = await eventually(booked, timeout=60, what="the receivable in fund custody")
    assert sum(row["receivable_fen"] for row in in_ledger["levels"]) == receivable["total_fen"]

    # April: the living beneficiary alone is paid.
    cluster.clock.set(datetime(YEAR, 4, 10, 9, tzinfo=UTC))
    run = await cycle.pay(RunPlan(PROGRAM, f"{YEAR}-04"))
    assert run["amounts_fen"]["settled"] == owed(living.category, f"{YEAR}-04")
    paid = await cluster.env.fetch(
        "disbursement", "SELECT DISTINCT person_key FROM payments WHERE period = $1",
        f"{YEAR}-04")
    assert [r["person_key"] for r in paid] == [person_key(TEST_PERSON_KEY_SECRET,
                                                          living.resident_id)]


async def _officer_refusals(cycle: CountyCycle, resident_id: str) -> None:
    """4xx with a reason that does not hold what was sent."""
    bad_id = "110105194912310021"
    refusals = [
        (Officers.reviewer, {"resident_id": bad_id, "date_of_death": f"{YEAR}-03-01"}, 422),
        (Officers.reviewer, {"resident_id": resident_id,
                             "date_of_death": f"{YEAR}-03-21"}, 422),
        (Officers.reviewer, {"resident_id": resident_id,
                             "date_of_death": f"{YEAR}-03-14"}, 409),
        (Officers.clerk, {"resident_id": resident_id, "date_of_death": f"{YEAR}-03-15"}, 403),
    ]
    for officer, fields, status in refusals:
        with pytest.raises(RefusedByService) as refused:
            await cycle.eligibility.call("POST", "/deaths", officer, json={
                **fields, "evidence_kind": "hospital_record", "document_number": "H-1"})
        text = refused.value.response.text
        assert refused.value.response.status_code == status, text
        assert fields["resident_id"] not in text and fields["date_of_death"] not in text


async def _file_refusals(cluster: Cluster, partner: httpx.AsyncClient, file_id: str,
                         body: bytes) -> None:
    path = f"/partners/public-security/death-files/{file_id}"
    tampered = body.replace(b"2026-02-10", b"2026-02-11")
    forged = await partner.put(path, content=tampered,
                               headers=signed_death_file(cluster.env, file_id, body))
    assert forged.status_code == 401
    unsigned = await partner.put(path, content=body, headers={"content-type": "text/csv"})
    assert unsigned.status_code == 401
    other = await partner.put(path, content=tampered,
                              headers=signed_death_file(cluster.env, file_id, tampered))
    assert other.status_code == 409 and "2026-02" not in other.json()["detail"]
