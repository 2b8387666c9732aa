"""The policy register's drafts on PostgreSQL (`policy_drafts`); the published versions
themselves are kept in `policy_versions` (`siquan.shared.policy_store`), the table every
service applies its catalogue from."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import Citation, PolicyVersion
from siquan.contracts.policy_versions import PolicyChanges
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.eligibility.domain.policy_draft import PolicyDraft
from siquan.shared.database import Connection
from siquan.shared.policy_store import published_versions, record

_COLUMNS = ("version_id::text, program_code, version, division_code, effective_from, changes,"
            " citation, status, drafted_by, drafted_at, approved_by, published_at,"
            " base_version, policy")


class PgPolicyDrafts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_register(self) -> None:
        """One approval at a time: each is checked against every version published."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('policy_register'))")

    async def add(self, draft: PolicyDraft) -> None:
        try:
            await self._conn.execute(
                "INSERT INTO policy_drafts (version_id, program_code, version, division_code,"
                " effective_from, changes, citation, status, drafted_by, drafted_at)"
                " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10)",
                draft.version_id, draft.program_code, draft.version, draft.division_code,
                draft.effective_from, draft.changes.model_dump_json(exclude_none=True),
                draft.citation.model_dump_json(), draft.status, draft.drafted_by,
                draft.drafted_at)
        except asyncpg.UniqueViolationError as exc:
            raise Refused(f"{draft.program_code} already has a version {draft.version}"
                          ) from exc

    async def get(self, version_id: str, *, for_update: bool = False) -> PolicyDraft:
        lock = " FOR UPDATE" if for_update else ""
        try:
            row = await self._conn.fetchrow(
                f"SELECT {_COLUMNS} FROM policy_drafts WHERE version_id = $1::uuid{lock}",
                version_id)
        except asyncpg.DataError:
            row = None
        if row is None:
            raise NotFound(f"no policy version {version_id}")
        return _draft(row)

    async def publish(self, draft: PolicyDraft) -> None:
        assert draft.policy is not None
        await self._conn.execute(
            "UPDATE policy_drafts SET status = $2, approved_by = $3, published_at = $4,"
            " base_version = $5, policy = $6::jsonb WHERE version_id = $1::uuid",
            draft.version_id, draft.status, draft.approved_by, draft.published_at,
            draft.base_version, draft.policy.model_dump_json())

    async def listed(self, program_code: str | None) -> list[PolicyDraft]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM policy_drafts WHERE $1::text IS NULL"
            " OR program_code = $1 ORDER BY drafted_at, version_id", program_code)
        return [_draft(r) for r in rows]

    async def published(self) -> list[PolicyVersion]:
        return await published_versions(self._conn)

    async def keep_published(self, event: PolicyVersionPublished, at: datetime) -> None:
        await record(self._conn, event, at)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _draft(r: asyncpg.Record) -> PolicyDraft:
    return PolicyDraft(
        version_id=r["version_id"], program_code=r["program_code"], version=r["version"],
        effective_from=r["effective_from"], division_code=r["division_code"],
        changes=PolicyChanges.model_validate(_json(r["changes"])),
        citation=Citation.model_validate(_json(r["citation"])), drafted_by=r["drafted_by"],
        drafted_at=r["drafted_at"], status=r["status"], approved_by=r["approved_by"],
        published_at=r["published_at"], base_version=r["base_version"],
        policy=(PolicyVersion.model_validate(_json(r["policy"])) if r["policy"] is not None
                else None))
