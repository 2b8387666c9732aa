"""A producer's signing key is rotated while the services run: consumers accept the old
and the new key side by side until the old one is retired, then refuse the old one.

Public security rotates its key (the new public key lands beside the old one in the
consumers' keys directory). A death report signed with the new key, and one still signed
with the old key, are both logged by oversight; once the old key is retired, a report
signed with it is dead-lettered with the reason, and the new key still works."""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest

from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.signing import KEY_ID_HEADER, retire_key, rotate_keypair
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e
PRODUCER = "partner.public_security"


def _report() -> DeathReported:
    return DeathReported(report_id=f"gab-{uuid.uuid4().hex[:8]}", person_key="c" * 64,
                         date_of_death=date(2026, 6, 2))


async def _logged(cluster: Cluster, message_id: str) -> dict[str, object] | None:
    rows = await cluster.env.fetch("oversight", "SELECT message_id FROM audit_entries"
                                                " WHERE message_id = $1", message_id)
    return {"message_id": message_id} if rows else None


async def _dead_lettered(cluster: Cluster, message_id: str) -> dict[str, object] | None:
    for letter in await list_dead_letters(cluster.env.amqp_url("oversight"), "oversight"):
        if letter["message_id"] == message_id:
            return letter
    return None


async def test_consumers_accept_old_and_new_keys_until_the_old_one_is_retired(
        cluster: Cluster, tmp_path: Path) -> None:
    keys = cluster.env.keys_dir
    old_private = tmp_path / "old.key"
    shutil.copy2(keys / f"{PRODUCER}.key", old_private)

    before = await publish_as(cluster.env, _report())
    old_id, new_id = rotate_keypair(keys, PRODUCER)
    with_new = await publish_as(cluster.env, _report())
    with_old = await publish_as(cluster.env, _report(), signing_key=old_private)
    for message_id in (before, with_new, with_old):
        await eventually(lambda m=message_id: _logged(cluster, m), what=f"{message_id} logged")

    retire_key(keys, PRODUCER, old_id)
    refused = await publish_as(cluster.env, _report(), signing_key=old_private)
    after = await publish_as(cluster.env, _report())

    letter = await eventually(lambda: _dead_lettered(cluster, refused),
                              what="the retired key's report dead-lettered")
    await eventually(lambda: _logged(cluster, after), what="the new key's report logged")
    assert old_id != new_id
    assert f"key {old_id} of producer '{PRODUCER}' is not accepted" in str(letter["reason"])
    assert await _logged(cluster, refused) is None


async def test_every_message_names_the_key_that_signed_it(cluster: Cluster) -> None:
    from siquan.shared.testing.messages import tap

    async with tap(cluster.env, PRODUCER) as seen:
        await publish_as(cluster.env, _report())
        (message,) = await seen.wait_for("death.reported.v1")
    assert len(str(message.headers[KEY_ID_HEADER])) == 16
