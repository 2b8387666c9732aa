"""The audit log and the report projections, in memory."""

from __future__ import annotations

from datetime import datetime

from siquan.oversight.adapters.memory.store import Conflict, MemoryStore
from siquan.oversight.domain.chain import ChainHead, Envelope, link_all
from siquan.oversight.domain.reconciliation import RUN_STATUS_RANK


class MemoryAuditLog:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._appended: list[Envelope] = []

    def append(self, envelope: Envelope) -> None:
        self._appended.append(envelope)

    def link(self) -> None:
        """What a commit does: link the appended entries after the head."""
        envelopes, self._appended = self._appended, []
        logged = {e.envelope.message_id for e in self._store.entries}
        if any(e.message_id in logged for e in envelopes):
            raise Conflict("an audit entry with this message id exists")
        entries = link_all(envelopes, self._store.head)
        if entries:
            self._store.entries.extend(entries)
            self._store.head = ChainHead(entries[-1].seq, entries[-1].entry_hash)

    async def lock_head(self) -> ChainHead:
        return self._store.head

    async def moved_since_checkpoint(self, checkpoint_type: str) -> bool:
        last = max((seq for seq, *_ in self._store.checkpoints), default=0)
        return any(e.seq > last and e.envelope.message_type != checkpoint_type
                   for e in self._store.entries)

    async def record_checkpoint(self, head: ChainHead, message_id: str,
                                taken_at: datetime) -> None:
        if any(seq == head.seq for seq, *_ in self._store.checkpoints):
            raise Conflict(f"a checkpoint of entry {head.seq} exists")
        self._store.checkpoints.append((head.seq, head.hash, message_id, taken_at))


class MemoryProjections:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def certification(self, certification_id: str, program_code: str, division_code: str,
                      *, revoked: bool) -> None:
        found = self._store.certifications.setdefault(certification_id, {
            "program_code": program_code, "division_code": division_code,
            "status": "active"})
        if revoked:
            found["status"] = "revoked"

    def run_moved(self, run_id: str, program_code: str, period: str, division_code: str,
                  status: str) -> None:
        run = self._store.runs.setdefault(run_id, {
            "program_code": program_code, "period": period, "division_code": division_code,
            "status": status, "settled_fen": None})
        if RUN_STATUS_RANK[status] > RUN_STATUS_RANK[run["status"]]:
            run["status"] = status

    def _known(self, run_id: str) -> None:
        if run_id not in self._store.runs:
            raise Conflict(f"no payment run {run_id} (foreign key)")

    def allocation(self, allocation_id: str, run_id: str, amount_fen: int) -> None:
        self._known(run_id)
        self._store.allocations.setdefault(allocation_id, (run_id, amount_fen))

    def chunk(self, run_id: str, outcome: str, chunk: int, count: int,
              amount_fen: int) -> None:
        self._known(run_id)
        self._store.chunks.setdefault((run_id, outcome, chunk), (count, amount_fen))

    def run_settled(self, run_id: str, paid_fen: int) -> None:
        if run_id in self._store.runs:
            self._store.runs[run_id]["settled_fen"] = paid_fen

    def receivable(self, receivable_id: str, program_code: str, division_code: str,
                   fiscal_year: int, cause: str, total_fen: int, periods: dict[str, int],
                   recorded_at: datetime) -> None:
        self._store.receivables.setdefault(receivable_id, {
            "program_code": program_code, "division_code": division_code,
            "fiscal_year": fiscal_year, "cause": cause, "total_fen": total_fen,
            "periods": dict(periods), "recorded_at": recorded_at})

    def recovery(self, recovery_id: str, receivable_id: str, program_code: str,
                 division_code: str, fiscal_year: int, kind: str, amount_fen: int,
                 recorded_at: datetime) -> None:
        self._store.recoveries.setdefault(recovery_id, {
            "receivable_id": receivable_id, "kind": kind, "amount_fen": amount_fen})
