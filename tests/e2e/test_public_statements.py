"""A person's benefits are nobody else's business: no anonymous caller reads a statement
(the complaint tracking number shows the complaint's own status only), and a beneficiary
opens their own statement only with a one-time code sent to the mobile number on file —
expiring, single-use, limited in attempts and rate-limited. The four services run as
separate processes on the real broker and database; the codes are read from the simulated
SMS gateway's table."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from siquan.shared.operator.client import ServiceClient
from siquan.shared.operator.county_cycle import DIVISION, Beneficiary, submit_application
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

RESIDENTS = ResidentFactory()


@pytest.fixture(autouse=True)
def fresh_window(cluster: Cluster) -> Iterator[None]:
    """Each test starts 20 minutes after the last one: the 15-minute rate windows of the
    earlier tests are over."""
    now = cluster.clock.now()
    cluster.clock.set(max(now, datetime.now(UTC)) + timedelta(minutes=20))
    yield


@pytest.fixture
async def public(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.url("oversight"), timeout=30.0) as client:
        yield client


async def on_file(cluster: Cluster, phone: str | None) -> str:
    """A resident whose application (with this phone) eligibility took and oversight saw."""
    resident_id = RESIDENTS.next()
    clerk = ServiceClient(cluster.url("eligibility"))
    try:
        extra = {"contact_phone": phone} if phone else {}
        await submit_application(clerk, Beneficiary(
            resident_id, "周秀英", "special_assistance", "death"), "2026-01-01", **extra)
    finally:
        await clerk.close()
    key = person_key(cluster.env.person_key_secret, resident_id)

    async def seen() -> bool:
        rows = await cluster.env.fetch(
            "oversight", "SELECT 1 FROM audit_entries WHERE body->>'person_key' = $1", key)
        return bool(rows)

    await eventually(seen, what="oversight recorded the application")
    return resident_id


async def sent_code(cluster: Cluster, request_id: str) -> str | None:
    rows = await cluster.env.fetch(
        "oversight", "SELECT body FROM sms_outbox WHERE request_id = $1",
        uuid.UUID(request_id))
    if not rows:
        return None
    [digits] = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", rows[0]["body"])
    return str(digits)


async def ask(public: httpx.AsyncClient, resident_id: str) -> httpx.Response:
    return await public.post("/public/statements/codes", json={"resident_id": resident_id})


async def open_with(public: httpx.AsyncClient, request_id: str, code: str) -> httpx.Response:
    return await public.post("/public/statements/open",
                             json={"request_id": request_id, "code": code})


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_an_anonymous_caller_reads_no_statement(cluster: Cluster,
                                                      public: httpx.AsyncClient) -> None:
    resident_id = await on_file(cluster, "13800138001")
    filed = await public.post("/public/complaints", json={
        "category": "not_paid_in_full", "division_code": DIVISION,
        "resident_id": resident_id, "description": "想核对发放情况"})
    number = filed.json()["tracking_number"]

    status = await public.get(f"/public/complaints/{number}", params={"format": "json"})
    by_tracking = await public.get(f"/public/statements/{number}", params={"format": "json"})
    guessed = await open_with(public, str(uuid.uuid4()), "000000")
    by_key = await public.get(
        f"/statements/{person_key(cluster.env.person_key_secret, resident_id)}")

    assert status.status_code == 200
    assert "periods" not in status.text and "certifications" not in status.text
    assert by_tracking.status_code in (404, 405)
    assert guessed.status_code == 403
    assert by_key.status_code == 401


async def test_the_person_opens_their_own_statement_once_with_the_code_sent_to_their_phone(
        cluster: Cluster, public: httpx.AsyncClient) -> None:
    resident_id = await on_file(cluster, "13800138002")

    asked = await ask(public, resident_id)
    request_id = asked.json()["request_id"]
    code = await eventually(lambda: sent_code(cluster, request_id), what="the SMS")
    wrong = await open_with(public, request_id, other_than(code))
    opened = await open_with(public, request_id, code)
    again = await open_with(public, request_id, code)

    assert asked.status_code == 202
    assert wrong.status_code == 403
    assert opened.status_code == 200, opened.text
    statement = opened.json()
    assert {"certifications", "periods", "totals"} <= statement.keys()
    assert "person_key" not in statement and resident_id not in opened.text
    assert again.status_code == 403
    stored = await cluster.env.fetch(
        "oversight", "SELECT code_hash FROM statement_codes WHERE request_id = $1",
        uuid.UUID(request_id))
    assert stored[0]["code_hash"] not in (None, code) and code not in stored[0]["code_hash"]


async def test_the_answer_is_the_same_for_a_person_with_no_phone_and_for_nobody(
        cluster: Cluster, public: httpx.AsyncClient) -> None:
    without_phone = await on_file(cluster, None)
    nobody = RESIDENTS.next()

    answers = [await ask(public, without_phone), await ask(public, nobody)]

    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json().keys() == answers[1].json().keys()
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    for answer in answers:
        request_id = answer.json()["request_id"]
        assert await sent_code(cluster, request_id) is None
        assert (await open_with(public, request_id, "123456")).status_code == 403


async def test_a_malformed_resident_id_is_refused_without_echoing_it(
        public: httpx.AsyncClient) -> None:
    resident_id = RESIDENTS.next()
    wrong_check = resident_id[:17] + ("0" if resident_id[17] != "0" else "1")

    refused = await ask(public, wrong_check)

    assert refused.status_code == 422
    assert resident_id[:17] not in refused.text and "check digit" in refused.text


async def test_a_code_expires_after_five_minutes(cluster: Cluster,
                                                 public: httpx.AsyncClient) -> None:
    resident_id = await on_file(cluster, "13800138003")
    request_id = (await ask(public, resident_id)).json()["request_id"]
    code = await eventually(lambda: sent_code(cluster, request_id), what="the SMS")

    cluster.clock.set(cluster.clock.now() + timedelta(minutes=5, seconds=1))
    late = await open_with(public, request_id, code)

    assert late.status_code == 403


async def test_five_wrong_codes_lock_the_request_even_against_the_right_code(
        cluster: Cluster, public: httpx.AsyncClient) -> None:
    resident_id = await on_file(cluster, "13800138004")
    request_id = (await ask(public, resident_id)).json()["request_id"]
    code = await eventually(lambda: sent_code(cluster, request_id), what="the SMS")

    wrong = [(await open_with(public, request_id, other_than(code))).status_code
             for _ in range(5)]
    right = await open_with(public, request_id, code)

    assert wrong == [403] * 5
    assert right.status_code == 429


async def test_codes_are_rate_limited_per_person_and_per_client(
        cluster: Cluster, public: httpx.AsyncClient) -> None:
    resident_id = await on_file(cluster, "13800138005")

    per_person = [(await ask(public, resident_id)).status_code for _ in range(4)]
    others = [(await ask(public, RESIDENTS.next())).status_code for _ in range(8)]
    sent = await cluster.env.fetch(
        "oversight", "SELECT count(*) AS n FROM sms_outbox WHERE phone = '13800138005'")

    assert per_person == [202, 202, 202, 429]
    assert others == [202] * 7 + [429]  # 10 accepted from this client, then refused
    assert sent[0]["n"] == 3
