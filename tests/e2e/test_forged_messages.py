"""A message that is not signed by its producer's key is dead-lettered with the reason by
every consumer, and changes nothing."""

import base64
from datetime import UTC, date, datetime

import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.operator.client import Officers, ServiceClient
from siquan.shared.person import person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e


def _certification() -> CertificationGranted:
    key = person_key("a forger does not hold the secret", ResidentFactory().next())
    return CertificationGranted(
        certification_id="7d1f6a4e-0000-4000-8000-000000000001",
        application_id="7d1f6a4e-0000-4000-8000-000000000002",
        program_code="special_assistance", category="death", policy_version="wuhan-2012",
        person_key=key, masked_name="赵*", masked_resident_id="4201**********0011",
        division_code="420117", effective_from=date(2026, 1, 1),
        reviewed_by="reviewer-420117-01", approved_by="approver-420117-01",
        approved_at=datetime.now(UTC))


async def _active(cluster: Cluster) -> int:
    client = ServiceClient(cluster.url("disbursement"))
    try:
        roster = await client.call("GET", "/certifications?program_code=special_assistance"
                                   "&division_code=420117", Officers.disburser)
        return int(roster["active"])
    finally:
        await client.close()


async def _dead_letter(cluster: Cluster, service: str, message_id: str) -> dict[str, object]:
    url = cluster.env.amqp_url(service)

    async def found() -> dict[str, object] | None:
        for letter in await list_dead_letters(url, service):
            if letter["message_id"] == message_id:
                return letter
        return None

    return await eventually(found, timeout=30, what=f"{message_id} dead-lettered by {service}")


@pytest.mark.parametrize("signature,reason", [
    (base64.b64encode(bytes(64)).decode(), "signature does not verify"),
    (None, "message is not signed"),
])
async def test_a_certification_with_a_bad_or_missing_signature_is_dead_lettered(
        cluster: Cluster, signature: str | None, reason: str) -> None:
    before = await _active(cluster)
    message_id = await publish_as(cluster.env, _certification(),
                                  headers_override={"x-siquan-signature": signature})
    for service in ("disbursement", "fund_custody", "oversight"):
        letter = await _dead_letter(cluster, service, message_id)
        assert reason in str(letter["reason"])
    assert await _active(cluster) == before
