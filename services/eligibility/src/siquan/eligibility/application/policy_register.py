"""The policy register: a policy officer drafts a version (only what changes over the
version in force, with its legal citation and effective date), another approves it, and
approval publishes it — kept in this service's catalogue and announced as a signed
`policy_version.published.v1` (outbox, same transaction) that every service applies
without restart. The seed files are the first versions of the history (`history`).

The draft is checked when it is written (a version that could not be resolved is refused
at once) and resolved again on approval, against the versions published by then."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import Citation, PolicyVersion, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.domain.policy_draft import PolicyDraft
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class DraftPolicyVersion:
    officer: Officer
    program_code: str
    version: str
    effective_from: date
    division_code: str | None
    changes: PolicyChanges
    citation: Citation


async def draft_version(command: DraftPolicyVersion, uow: Work) -> PolicyDraft:
    if command.division_code is not None:
        command.officer.check_scope(command.division_code)
    if command.program_code not in seed_catalogue().programs():
        raise InvalidRequest(f"no program {command.program_code}")
    draft = PolicyDraft(
        version_id=str(uuid.uuid4()), program_code=command.program_code,
        version=command.version, effective_from=command.effective_from,
        division_code=command.division_code, changes=command.changes,
        citation=command.citation, drafted_by=command.officer.id, drafted_at=uow.now())
    draft.resolve(await uow.policy_drafts.published())  # refuse at once what cannot be
    await uow.policy_drafts.add(draft)
    return draft


async def approve_version(officer: Officer, version_id: str, uow: Work) -> PolicyDraft:
    await uow.policy_drafts.lock_register()
    draft = await uow.policy_drafts.get(version_id, for_update=True)
    if draft.division_code is not None:
        officer.check_scope(draft.division_code)
    approved = draft.approve(officer.id, uow.now(), await uow.policy_drafts.published())
    assert approved.policy is not None and approved.base_version is not None
    assert approved.approved_by is not None and approved.published_at is not None
    event = PolicyVersionPublished(
        version_id=approved.version_id, program_code=approved.program_code,
        version=approved.version, base_version=approved.base_version,
        effective_from=approved.effective_from, changes=approved.changes,
        policy=approved.policy, drafted_by=approved.drafted_by,
        approved_by=approved.approved_by, published_at=approved.published_at)
    await uow.policy_drafts.publish(approved)
    await uow.policy_drafts.keep_published(event, approved.published_at)
    await uow.certification_ends.reassess(program_code=approved.program_code)  # age limits
    uow.publish(event)
    return approved


def shown(draft: PolicyDraft) -> dict[str, Any]:
    return {"version_id": draft.version_id, "program_code": draft.program_code,
            "version": draft.version, "status": draft.status,
            "effective_from": draft.effective_from.isoformat(),
            "division_code": draft.division_code,
            "changes": draft.changes.model_dump(mode="json", exclude_none=True),
            "citation": draft.citation.model_dump(), "drafted_by": draft.drafted_by,
            "drafted_at": draft.drafted_at.isoformat(), "approved_by": draft.approved_by,
            "published_at": draft.published_at.isoformat() if draft.published_at else None,
            "base_version": draft.base_version,
            "policy": draft.policy.model_dump(mode="json") if draft.policy else None}


def seed_entry(version: PolicyVersion) -> dict[str, Any]:
    return {"version_id": None, "program_code": version.program_code,
            "version": version.version, "status": "seed",
            "effective_from": version.effective_from.isoformat(),
            "division_code": version.division_scope, "changes": None,
            "citation": version.citation.model_dump(), "drafted_by": None,
            "drafted_at": None, "approved_by": None, "published_at": None,
            "base_version": None, "policy": version.model_dump(mode="json")}


async def history(uow: Work, program_code: str | None) -> list[dict[str, Any]]:
    """The seed versions first, then every drafted or published version in order."""
    seeds = [seed_entry(v) for v in seed_catalogue().versions
             if program_code is None or v.program_code == program_code]
    return [*seeds, *(shown(d) for d in await uow.policy_drafts.listed(program_code))]
