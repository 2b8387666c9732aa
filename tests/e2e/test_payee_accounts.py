"""Where a beneficiary is paid, across the running services: an officer of another county
cannot redirect a payee's account, a change is confirmed by a second disbursement officer
(never its maker), and oversight's audit log names both of them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.shared.operator.client import Officers, RefusedByService, ServiceClient
from siquan.shared.operator.county_cycle import register_payee_account
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e
FIRST, CHANGED, REDIRECTED = "62284800000000017", "62284800000000025", "62284800000000033"


async def refusal(call: Any) -> RefusedByService:
    with pytest.raises(RefusedByService) as refused:
        await call
    return refused.value


async def test_a_redirect_across_counties_is_refused_and_oversight_sees_maker_and_checker(
        cluster: Cluster) -> None:
    resident = ResidentFactory("420117", birth_year=1961).next()
    key = person_key(TEST_PERSON_KEY_SECRET, resident)
    await publish_as(cluster.env, CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code="special_assistance", category="death", policy_version="wuhan-2012",
        person_key=key, masked_name="王*",
        masked_resident_id=f"{resident[:4]}**********{resident[-4:]}", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by=Officers.reviewer,
        approved_by=Officers.approver, approved_at=datetime.now(UTC)))
    disbursement = ServiceClient(cluster.url("disbursement"))
    oversight = ServiceClient(cluster.url("oversight"))

    def body(account: str) -> dict[str, str]:
        return {"resident_id": resident, "bank_code": "ABC", "account_number": account}
    try:
        await register_payee_account(disbursement, resident, FIRST)
        redirected = await refusal(disbursement.call(
            "POST", "/payee-accounts", Officers.other_county_disburser,
            json={**body(REDIRECTED), "division_code": "420102"}))
        change = await register_payee_account(disbursement, resident, CHANGED, confirm=False)
        by_maker = await refusal(disbursement.call(
            "POST", "/payee-accounts/confirmations", Officers.disburser, json=body(CHANGED)))
        confirmed = await disbursement.call("POST", "/payee-accounts/confirmations",
                                            Officers.checker, json=body(CHANGED))

        async def recorded() -> dict[str, Any] | None:
            answer = await oversight.call("GET", f"/audit/persons/{key}?limit=500",
                                          Officers.auditor)
            found = [e["body"] for e in answer["entries"]
                     if e["message_type"] == "payee_account.confirmed.v1"]
            return found[0] if found else None
        entry = await eventually(recorded, timeout=60, what="the confirmation audited")
    finally:
        await disbursement.close()
        await oversight.close()

    assert redirected.response.status_code == 403
    for personal in (resident, key, REDIRECTED):
        assert personal not in redirected.response.text
    assert change["awaiting_confirmation"] is True
    assert by_maker.response.status_code == 403
    assert (confirmed["registered_by"], confirmed["confirmed_by"]) == (
        Officers.disburser, Officers.checker)
    assert (entry["registered_by"], entry["confirmed_by"], entry["masked_account"]) == (
        Officers.disburser, Officers.checker, "*************0025")
