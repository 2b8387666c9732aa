"""Nothing published recovers a resident ID. Against the running services, everything the
public sees (the notice board and its archive, in JSON and HTML, and a complaint's status)
and the exports an auditor prints (the program and accountability reports) is collected;
the attacker knows the person's division, birth year and masked ID from the board,
enumerates every ID that fits, and checks each against what was published: the ID itself,
its person key (under the development secret and — worst case, leaked — under the
deployment's own), and its plain hashes. Nothing matches. The control publishes a person
key beside the same board and the same attack then recovers the ID, so the attack works."""

from __future__ import annotations

import hashlib
from calendar import isleap
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from siquan.contracts.types import gb11643_check_digit
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    DIVISION,
    Beneficiary,
    CountyCycle,
    submit_application,
)
from siquan.shared.person import person_key
from siquan.shared.settings import DEVELOPMENT_PERSON_KEY_SECRET
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

BIRTH_YEAR = 1962
PROGRAM, CATEGORY = "special_assistance", "death"


def candidates(masked_id: str, division: str, birth_year: int) -> list[str]:
    """Every valid ID of the division and birth year that the masked ID fits."""
    days = 366 if isleap(birth_year) else 365
    found = []
    for offset in range(days):
        born = date(birth_year, 1, 1) + timedelta(days=offset)
        first17 = f"{division}{born:%Y%m%d}{masked_id[-4:-1]}"
        candidate = first17 + gb11643_check_digit(first17)
        if candidate[:4] == masked_id[:4] and candidate[-4:] == masked_id[-4:]:
            found.append(candidate)
    return found


def derived(resident_id: str, secrets_known: Iterable[str]) -> set[str]:
    """What an attacker compares with the published text for one candidate."""
    values = {resident_id, resident_id.lower(),
              hashlib.sha256(resident_id.encode()).hexdigest(),
              hashlib.md5(resident_id.encode(), usedforsecurity=False).hexdigest(),
              hashlib.sha1(resident_id.encode(), usedforsecurity=False).hexdigest()}
    return values | {person_key(secret, resident_id) for secret in secrets_known}


def recovered(published: str, masked_id: str, division: str, birth_year: int,
              secrets_known: Iterable[str]) -> list[str]:
    known = tuple(secrets_known)
    text = published.lower()
    return [c for c in candidates(masked_id, division, birth_year)
            if any(value.lower() in text for value in derived(c, known))]


async def on_the_board(cluster: Cluster, resident_id: str) -> str:
    """Put the person's application on a notice; its application id."""
    cycle = CountyCycle.of(cluster)
    try:
        submitted = await submit_application(
            cycle.eligibility, Beneficiary(resident_id, "欧阳春花", PROGRAM, CATEGORY),
            "2026-01-01", contact_phone="13900139000")
        application_id: str = submitted["application_id"]
        await cycle.eligibility.call("POST", "/community-reviews", Officers.clerk, json={
            "division_code": DIVISION, "held_on": cluster.clock.today().isoformat(),
            "present": 25, "passed": [application_id]})
        await cycle.eligibility.call("POST", "/township-reviews", Officers.reviewer,
                                     json={"approved": [application_id]})
        await cycle.eligibility.call("POST", "/notices", Officers.reviewer, json={
            "program_code": PROGRAM, "division_code": DIVISION,
            "application_ids": [application_id]})
    finally:
        await cycle.close()
    return application_id


async def everything_published(cluster: Cluster, application_id: str, resident_id: str
                               ) -> tuple[str, str]:
    """(all public and exported text, the masked ID the board shows for the entry)."""
    texts: list[str] = []
    async with httpx.AsyncClient(base_url=cluster.url("oversight"), timeout=30.0) as public:
        async def posted() -> dict[str, Any] | None:
            board = (await public.get("/public/notices", params={"format": "json"})).json()
            return next((e for n in board["notices"] for e in n["entries"]
                         if e["application_id"] == application_id), None)

        entry = await eventually(posted, what="the entry on the public board")
        for path in ("/public/notices", "/public/notices/archive"):
            texts.append((await public.get(path, params={"format": "json"})).text)
            texts.append((await public.get(path)).text)
        filed = await public.post("/public/complaints", json={
            "category": "not_paid_in_full", "division_code": DIVISION,
            "resident_id": resident_id, "description": "请核实发放情况"})
        number = filed.json()["tracking_number"]
        texts.append(filed.text)
        texts.append((await public.get(f"/public/complaints/{number}",
                                       params={"format": "json"})).text)
        texts.append((await public.get(f"/public/complaints/{number}")).text)
    period = f"{cluster.clock.today().year}"
    async with httpx.AsyncClient(
            base_url=cluster.url("oversight"), timeout=30.0,
            headers={"Authorization": f"Bearer dev-{Officers.auditor}"}) as auditor:
        for path in (f"/reports/{PROGRAM}/{period}",
                     f"/reports/{PROGRAM}/{period}/accountability",
                     f"/reports/{PROGRAM}/{period}/accountability.html"):
            exported = await auditor.get(path)
            assert exported.status_code == 200, (path, exported.status_code)
            texts.append(exported.text)
    return "\n".join(texts), str(entry["masked_resident_id"])


async def test_nothing_published_recovers_a_resident_id(cluster: Cluster) -> None:
    resident_id = ResidentFactory(DIVISION, BIRTH_YEAR).next()
    application_id = await on_the_board(cluster, resident_id)
    published, masked = await everything_published(cluster, application_id, resident_id)
    fits = candidates(masked, DIVISION, BIRTH_YEAR)
    worst_case = (DEVELOPMENT_PERSON_KEY_SECRET, cluster.env.person_key_secret)

    found = recovered(published, masked, DIVISION, BIRTH_YEAR, worst_case)

    assert masked == resident_id[:4] + "*" * 10 + resident_id[-4:]
    assert resident_id in fits and len(fits) > 1  # the mask alone does not pin the person
    assert found == []

    # Control: the same board with the person key beside it (what partner messages used
    # to carry) gives the ID away to the same attack.
    leaked = published + person_key(cluster.env.person_key_secret, resident_id)
    assert recovered(leaked, masked, DIVISION, BIRTH_YEAR, worst_case) == [resident_id]
