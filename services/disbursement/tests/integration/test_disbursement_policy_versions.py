"""Published policy versions reaching disbursement as a process: applied without restart,
in any order, once however often they arrive; a label published again with other content
is dead-lettered with the reason and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import Citation, PolicyVersion, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

from .conftest import DISBURSER, DIVISION, PROGRAM

pytestmark = pytest.mark.integration
CITATION = Citation(document="鄂卫健发〔2031〕1号", clause="提高特别扶助金标准")


def _version(label: str, day: date, death_fen: int) -> PolicyVersion:
    base = seed_catalogue().in_force(PROGRAM, day, DIVISION)
    return amend(base, PolicyChanges(amounts_fen={"death": death_fen}), version=label,
                 effective_from=day, citation=CITATION)


def _published(policy: PolicyVersion, base: str) -> PolicyVersionPublished:
    return PolicyVersionPublished(
        version_id=str(uuid.uuid4()), program_code=PROGRAM, version=policy.version,
        base_version=base, effective_from=policy.effective_from,
        changes=PolicyChanges(amounts_fen={"death": policy.benefit("death").amount_fen}),
        policy=policy, drafted_by="policy-420000-01", approved_by="policy-420000-02",
        published_at=datetime.now(UTC))


async def _catalogue(world: Any) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        response = await client.get("/policy-catalogue", headers=DISBURSER)
    response.raise_for_status()
    return [v for v in response.json()["versions"] if v["source"] == "published"]


async def test_versions_out_of_order_and_twice_leave_one_catalogue_and_runs_pay_it(
        world: Any) -> None:
    world.start()
    later = _version("raise-b", date(2031, 6, 1), 30_000)
    earlier = _version("raise-a", date(2031, 3, 1), 25_000)
    base = seed_catalogue().in_force(PROGRAM, date(2031, 3, 1), DIVISION).version
    first = await publish_as(world.env, _published(later, "raise-a"))
    await publish_as(world.env, _published(earlier, base))
    await publish_as(world.env, _published(later, "raise-a"), message_id=first)
    await publish_as(world.env, _published(later, "raise-a"))

    async def both() -> bool:
        consumed = await world.db_value(
            "SELECT count(*) FROM inbox WHERE message_type = 'policy_version.published.v1'")
        return bool(consumed == 3 and len(await _catalogue(world)) == 2)

    await eventually(both, what="the versions applied")
    shown = {v["version"]: v["amounts_fen"]["death"] for v in await _catalogue(world)}
    assert shown == {"raise-a": 25_000, "raise-b": 30_000}
    assert await world.db_value("SELECT count(*) FROM policy_versions") == 2

    await world.grant(1, effective_from=date(2031, 1, 1))
    assert (await world.register(1)).status_code == 201
    async with tap(world.env, "disbursement") as seen:
        for period in ("2031-04", "2031-07"):
            assert (await world.start_run(period)).status_code == 201
        requested = await seen.wait_for("allocation.requested.v1", count=2)
    def owed(month: int) -> int:  # each version from its first day, whatever the arrival
        return 30_000 if month >= 6 else 25_000

    # July's run pays May and June as arrears (April's run was the first)
    assert sorted((r.body["period"], r.body["total_fen"]) for r in requested) == [
        ("2031-04", owed(4)), ("2031-07", owed(5) + owed(6) + owed(7))]


async def test_a_label_published_again_with_other_content_is_dead_lettered(
        world: Any) -> None:
    world.start()
    kept = _version("raise-c", date(2031, 3, 1), 25_000)
    base = seed_catalogue().in_force(PROGRAM, date(2031, 3, 1), DIVISION).version
    await publish_as(world.env, _published(kept, base))

    async def applied() -> bool:
        return len(await _catalogue(world)) == 1

    await eventually(applied, what="the first version applied")
    other = _version("raise-c", date(2031, 3, 1), 26_000)
    await publish_as(world.env, _published(other, base))

    async def dead_lettered() -> list[dict[str, Any]]:
        return await list_dead_letters(world.env.amqp_url("disbursement"), "disbursement")

    letters = await eventually(dead_lettered, what="the other content dead-lettered")
    assert "published before with other content" in letters[0]["reason"]
    assert [v["amounts_fen"]["death"] for v in await _catalogue(world)] == [25_000]
