"""The policy versions a service has received, kept in its own database, and the catalogue
its process applies: the seed files with those versions layered over them.

- `apply_policy_version` handles `policy_version.published.v1` (eligibility's policy
  register signs and publishes it): one row per (program, label) in the service's
  `policy_versions` table, in the message's transaction, then a NOTIFY on
  `siquan_policy`. A redelivery finds the row and changes nothing; the same label with
  other content, or a version the catalogue cannot take, is dead-lettered with the reason.
- `PolicyFollower` loads the rows at start and again whenever the channel is notified
  (after the commit, so every instance of the service over the same database follows),
  and installs the layered catalogue (`load_catalogue` returns it): no restart.
  It also reloads every `interval` seconds, in case a notification was missed while its
  listening connection was down.
The order in which versions arrive does not matter (`policy_versions.layered`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import PolicyVersion, load_catalogue, seed_catalogue
from siquan.contracts.policy_versions import VersionRefused, apply_published, layered
from siquan.shared.database import Connection
from siquan.shared.errors import RuleBroken
from siquan.shared.registry import handles

log = logging.getLogger(__name__)
CHANNEL = "siquan_policy"

TABLE_DDL = """
CREATE TABLE policy_versions (
    program_code   text NOT NULL,
    version        text NOT NULL,
    effective_from date NOT NULL,
    policy         jsonb NOT NULL,
    changes        jsonb NOT NULL,
    base_version   text NOT NULL,
    drafted_by     text NOT NULL,
    approved_by    text NOT NULL CHECK (approved_by <> drafted_by),
    published_at   timestamptz NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (program_code, version)
)
"""
"""The table each service's migration creates (the same in every service)."""


async def published_versions(conn: Connection) -> list[PolicyVersion]:
    rows = await conn.fetch("SELECT policy FROM policy_versions"
                            " ORDER BY program_code, effective_from, version")
    return [PolicyVersion.model_validate(_json(r["policy"])) for r in rows]


async def record(conn: Connection, event: PolicyVersionPublished, received_at: Any) -> bool:
    """Keep a published version (False: it was already kept, with the same content)."""
    policy = event.policy.model_dump(mode="json")
    kept = await conn.fetchval(
        "SELECT policy FROM policy_versions WHERE program_code = $1 AND version = $2",
        event.program_code, event.version)
    if kept is not None:
        if PolicyVersion.model_validate(_json(kept)) != event.policy:
            raise RuleBroken(f"policy {event.program_code}/{event.version} was published "
                             "before with other content")
        return False
    if (event.policy.program_code, event.policy.version) != (event.program_code,
                                                             event.version):
        raise RuleBroken("the published policy is not the version the message names")
    try:
        layered(seed_catalogue(), [*await published_versions(conn), event.policy])
    except VersionRefused as exc:
        raise RuleBroken(f"policy {event.program_code}/{event.version}: {exc}") from exc
    await conn.execute(
        "INSERT INTO policy_versions (program_code, version, effective_from, policy,"
        " changes, base_version, drafted_by, approved_by, published_at, received_at)"
        " VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10)",
        event.program_code, event.version, event.effective_from, json.dumps(policy),
        event.changes.model_dump_json(exclude_none=True), event.base_version,
        event.drafted_by, event.approved_by, event.published_at, received_at)
    await conn.execute(f"NOTIFY {CHANNEL}")
    return True


@handles(PolicyVersionPublished)
async def apply_policy_version(event: PolicyVersionPublished, uow: Any) -> None:
    """Keep the version; the follower installs it once the transaction commits."""
    await record(uow.conn, event, uow.now())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class PolicyFollower:
    """Keeps this process's catalogue equal to the seed plus the service's kept versions."""

    def __init__(self, units: Any, interval: float = 30.0) -> None:
        self._units, self._interval = units, interval
        self._wake = asyncio.Event()
        self.applied: tuple[str, ...] = ()

    async def load(self) -> None:
        async with self._units.reading() as uow:
            versions = await published_versions(uow.conn)
        try:
            apply_published(versions)
        except VersionRefused as exc:  # kept rows were checked when kept: a bug if seen
            log.error("policy versions not applied: %s", exc)
            return
        self.applied = tuple(f"{v.program_code}/{v.version}" for v in versions)

    async def run(self) -> None:
        def notified(*_: Any) -> None:
            self._wake.set()

        async with self._units.listening(CHANNEL, notified):
            await self.load()
            while True:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                except TimeoutError:
                    pass
                self._wake.clear()
                await self.load()


def catalogue_view() -> dict[str, Any]:
    """What the catalogue in force in this process holds, per version (no personal data):
    what `GET /policy-catalogue` shows."""
    seed = {(v.program_code, v.version) for v in seed_catalogue().versions}
    return {"versions": [
        {"program_code": v.program_code, "version": v.version,
         "division_scope": v.division_scope, "effective_from": v.effective_from.isoformat(),
         "effective_until": v.effective_until.isoformat() if v.effective_until else None,
         "source": "seed" if (v.program_code, v.version) in seed else "published",
         "amounts_fen": {b.category: b.amount_fen for b in v.benefits},
         "fiscal_shares": v.fiscal_shares.model_dump()}
        for v in load_catalogue().versions]}
