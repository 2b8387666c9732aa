"""A message whose signature is forged or missing never enters the audit log; the shared
consumer dead-letters it with the reason."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from siquan.contracts import public_security_v1 as public_security
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually

Entries = Callable[..., Awaitable[list[dict[str, Any]]]]
FORGED = base64.b64encode(bytes(64)).decode()


def death() -> public_security.DeathReported:
    return public_security.DeathReported(report_id=f"PS-{uuid.uuid4()}",
                                         person_key=secrets.token_hex(32),
                                         date_of_death=date(2026, 11, 2))


async def dead_letter(env: Environment, message_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        letters = await list_dead_letters(env.amqp_url("oversight"), "oversight", limit=1000)
        return next((d for d in letters if d["message_id"] == message_id), None)

    return await eventually(found, what=f"dead letter {message_id}")


async def rejected_and_not_logged(env: Environment, signature: str | None,
                                  audit_entries: Entries) -> dict[str, Any]:
    correlation = f"dead-letter-{uuid.uuid4()}"
    message_id = await publish_as(env, death(), correlation_id=correlation,
                                  headers_override={"x-siquan-signature": signature})
    letter = await dead_letter(env, message_id)
    assert await audit_entries(correlation_id=correlation) == []
    return letter


async def test_a_message_with_a_forged_signature_is_dead_lettered_and_not_logged(
        siquan_env: Environment, audit_entries: Entries) -> None:
    letter = await rejected_and_not_logged(siquan_env, FORGED, audit_entries)

    assert letter["queue"] == "siquan.oversight.audit-partner.public_security"
    assert "signature" in letter["reason"]


async def test_an_unsigned_message_is_dead_lettered_and_not_logged(
        siquan_env: Environment, audit_entries: Entries) -> None:
    letter = await rejected_and_not_logged(siquan_env, None, audit_entries)

    assert "not signed" in letter["reason"]
