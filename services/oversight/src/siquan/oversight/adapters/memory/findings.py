"""Findings, holds and flags, in memory: a finding and a flag are unique by their key, and
at most one hold per person and program (or every program) is active."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from siquan.oversight.adapters.memory.store import Conflict, MemoryStore
from siquan.oversight.reconciliation.domain.bank import DISPUTED_KINDS, OpenDispute
from siquan.oversight.reconciliation.domain.findings import BANK_RESULT_DIFFERS, Finding, Flag


class MemoryFindings:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def insert_finding(self, finding_id: str, f: Finding, raised_at: datetime
                             ) -> bool:
        if any(x["dedup_key"] == f.dedup_key for x in self._store.findings.values()):
            return False
        self._store.findings[finding_id] = {
            "finding_id": finding_id, "dedup_key": f.dedup_key, "category": f.rule.category,
            "rule": f.rule.name, "status": "open", "reason": f.reason,
            "evidence": list(f.evidence), "decision": f.decision,
            "certification_id": f.certification_id, "person_key": f.person_key,
            "officer_id": f.officer_id, "application_id": f.application_id,
            "run_id": f.run_id, "program_code": f.program_code, "period": f.period,
            "division_code": f.division_code, "amount_fen": f.amount_fen,
            "raised_at": raised_at.isoformat(), "message_id": None, "outcome": None,
            "resolution": None, "resolved_by": None, "resolved_at": None,
            "details": None if f.details is None else dict(f.details)}
        return True

    async def set_finding_message(self, finding_id: str, message_id: str) -> None:
        self._store.findings[finding_id]["message_id"] = message_id

    async def active_hold(self, person_key: str, program_code: str | None) -> str | None:
        return next((h["hold_id"] for h in self._store.holds.values()
                     if h["person_key"] == person_key and h["lifted_at"] is None
                     and h["program_code"] in (None, program_code)), None)

    async def open_by_keys(self, dedup_keys: Iterable[str]) -> dict[str, str]:
        wanted = set(dedup_keys)
        return {f["dedup_key"]: f["finding_id"] for f in self._store.findings.values()
                if f["dedup_key"] in wanted and f["status"] == "open"}

    async def open_result_disputes(self, run_ids: Sequence[str]) -> dict[str, OpenDispute]:
        found: dict[str, OpenDispute] = {}
        for f in self._store.findings.values():
            details = f["details"] or {}
            if (f["run_id"] in run_ids and f["rule"] == BANK_RESULT_DIFFERS.name
                    and f["status"] == "open" and details.get("kind") in DISPUTED_KINDS):
                at = details.get("found_at")
                found[details["payment_id"]] = OpenDispute(
                    f["finding_id"], details["payment_id"],
                    None if at is None else datetime.fromisoformat(at))
        return found

    async def held_by_findings(self, person_key: str) -> list[dict[str, Any]]:
        found = []
        for h in self._store.holds.values():
            finding = self._store.findings.get(h["finding_id"] or "")
            if h["person_key"] == person_key and h["lifted_at"] is None and finding:
                found.append({"hold_id": h["hold_id"], "finding_id": h["finding_id"],
                              "rule": finding["rule"],
                              "certification_id": finding["certification_id"],
                              "status": finding["status"]})
        return found

    async def insert_hold(self, *, hold_id: str, person_key: str, program_code: str | None,
                          division_code: str | None, finding_id: str | None, reason: str,
                          placed_by: str, placed_at: datetime, message_id: str,
                          evidence: tuple[str, ...] = ()) -> None:
        if any(h["person_key"] == person_key and h["program_code"] == program_code
               and h["lifted_at"] is None for h in self._store.holds.values()):
            raise Conflict("one active hold per person and program")
        self._store.holds[hold_id] = {
            "hold_id": hold_id, "person_key": person_key, "run_id": None,
            "program_code": program_code,
            "division_code": division_code, "finding_id": finding_id, "reason": reason,
            "evidence": list(evidence), "placed_by": placed_by, "placed_at": placed_at.isoformat(),
            "lifted_at": None, "lifted_by": None, "lift_reason": None,
            "message_id": message_id}

    async def insert_flag(self, flag_id: str, flag: Flag, raised_at: datetime) -> bool:
        if flag.dedup_key in self._store.flags:
            return False
        self._store.flags[flag.dedup_key] = {
            "flag_id": flag_id, "kind": flag.kind, "person_key": flag.person_key,
            "run_id": flag.run_id, "evidence": list(flag.evidence), "reason": flag.reason,
            "raised_at": raised_at.isoformat()}
        return True

    async def held_persons(self, person_keys: list[str], program_code: str) -> set[str]:
        return {h["person_key"] for h in self._store.holds.values()
                if h["person_key"] in person_keys and h["lifted_at"] is None
                and h["program_code"] in (None, program_code)}

    async def get_finding(self, finding_id: str, *, lock: bool = False
                          ) -> dict[str, Any] | None:
        found = self._store.findings.get(finding_id)
        return dict(found) if found else None

    async def resolve_finding(self, finding_id: str, *, outcome: str, resolution: str,
                              resolved_by: str, resolved_at: datetime,
                              message_id: str) -> None:
        self._store.findings[finding_id].update(
            status="resolved", outcome=outcome, resolution=resolution,
            resolved_by=resolved_by, resolved_at=resolved_at.isoformat())

    async def run_division(self, run_id: str) -> str | None:
        run = self._store.watched_runs.get(run_id)
        return run.division_code if run else None

    async def active_run_hold(self, run_id: str) -> str | None:
        return next((h["hold_id"] for h in self._store.holds.values()
                     if h["run_id"] == run_id and h["lifted_at"] is None), None)

    async def insert_run_hold(self, *, hold_id: str, run_id: str, division_code: str,
                              reason: str, evidence: tuple[str, ...], placed_by: str,
                              placed_at: datetime, message_id: str) -> None:
        if await self.active_run_hold(run_id) is not None:
            raise Conflict("one active hold per run")
        self._store.holds[hold_id] = {
            "hold_id": hold_id, "person_key": None, "run_id": run_id, "program_code": None,
            "division_code": division_code, "finding_id": None, "reason": reason,
            "evidence": list(evidence), "placed_by": placed_by,
            "placed_at": placed_at.isoformat(), "lifted_at": None, "lifted_by": None,
            "lift_reason": None, "message_id": message_id}

    async def get_hold(self, hold_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        found = self._store.holds.get(hold_id)
        return dict(found) if found else None

    async def lift_hold(self, hold_id: str, *, lifted_by: str, lifted_at: datetime,
                        reason: str, message_id: str) -> None:
        self._store.holds[hold_id].update(lifted_at=lifted_at.isoformat(),
                                          lifted_by=lifted_by, lift_reason=reason)

    async def await_evidence(self, f: Finding, waiting_for: tuple[str, ...],
                             at: datetime) -> None:
        if any(x["dedup_key"] == f.dedup_key for x in self._store.findings.values()):
            return
        earlier = self._store.awaiting.get(f.dedup_key)
        self._store.awaiting[f.dedup_key] = {
            "dedup_key": f.dedup_key, "rule": f.rule.name, "status": "incomplete_evidence",
            "reason": f.reason, "evidence": list(f.evidence), "waiting_for": list(waiting_for),
            "person_key": f.person_key, "first_seen_at": earlier["first_seen_at"]
            if earlier else at, "last_seen_at": at, "settled_at": None}

    async def awaiting_keys(self, rules: Sequence[str]) -> list[str]:
        return [key for key, row in self._store.awaiting.items()
                if row["status"] == "incomplete_evidence" and row["rule"] in rules]

    async def settle_awaiting(self, rule: str, at: datetime,
                              keys: Sequence[str] | None = None) -> int:
        raised = {x["dedup_key"] for x in self._store.findings.values()}
        settled = 0
        for row in self._store.awaiting.values():
            if row["rule"] == rule and row["status"] == "incomplete_evidence" and (
                    keys is None or row["dedup_key"] in keys):
                row["status"] = "raised" if row["dedup_key"] in raised else "withdrawn"
                row["settled_at"], settled = at, settled + 1
        return settled
