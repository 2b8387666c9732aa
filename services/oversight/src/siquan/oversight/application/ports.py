"""What oversight's core handlers need from a unit of work: the audit log and the report
projections. PostgreSQL implements them in `adapters`, memory in `adapters.memory`.

Writes a handler makes for every event (an audit entry, a projection row) are recorded on
the spot and written when the transaction commits, for the whole batch at once; reads and
the checkpoint's writes happen when called.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from siquan.contracts.base import Event
from siquan.oversight.application.deferred import Origin, Step, T
from siquan.oversight.domain.chain import AuditEntry, ChainHead, Envelope
from siquan.oversight.domain.reconciliation import ProgramReport
from siquan.shared.clock import Clock
from siquan.shared.unit_of_work import Cause


class AuditLog(Protocol):
    def append(self, envelope: Envelope) -> None:
        """Log an event; it is linked into the chain, after everything logged before, when
        the transaction commits."""

    async def lock_head(self) -> ChainHead:
        """The chain's head, locked until the transaction ends."""

    async def moved_since_checkpoint(self, checkpoint_type: str) -> bool:
        """Whether anything but checkpoints was logged after the last checkpoint."""

    async def record_checkpoint(self, head: ChainHead, message_id: str,
                                taken_at: datetime) -> None: ...


class AuditReader(Protocol):
    """The auditor's questions to the log (PostgreSQL only)."""

    async def read_head(self) -> ChainHead: ...

    def walk(self) -> AsyncIterator[AuditEntry]: ...

    async def find(self, query: Any) -> list[AuditEntry]: ...

    async def about(self, subject: str, key: str, page: Any) -> list[AuditEntry]: ...


class Projections(Protocol):
    """The figures of the program reports. Each change commutes with the others, so events
    may be projected in any order."""

    def certification(self, certification_id: str, program_code: str, division_code: str,
                      *, revoked: bool) -> None: ...

    def run_moved(self, run_id: str, program_code: str, period: str, division_code: str,
                  status: str) -> None:
        """Create the run if new; move its status forward (never back)."""

    def allocation(self, allocation_id: str, run_id: str, amount_fen: int) -> None: ...

    def chunk(self, run_id: str, outcome: str, chunk: int, count: int,
              amount_fen: int) -> None: ...

    def run_settled(self, run_id: str, paid_fen: int) -> None: ...

    def receivable(self, receivable_id: str, program_code: str, division_code: str,
                   fiscal_year: int, cause: str, total_fen: int, periods: dict[str, int],
                   recorded_at: datetime) -> None: ...

    def recovery(self, recovery_id: str, receivable_id: str, program_code: str,
                 division_code: str, fiscal_year: int, kind: str, amount_fen: int,
                 recorded_at: datetime) -> None: ...


class ReportReader(Protocol):
    async def program_report(self, program_code: str, period: str,
                             division_code: str | None, prefix: str) -> ProgramReport: ...


class Unit(Protocol):
    """What every oversight unit of work offers, whatever stores its state."""

    @property
    def clock(self) -> Clock: ...

    @property
    def cause(self) -> Cause: ...

    @property
    def message(self) -> Any:
        """The `consumer.Delivery` being handled (None for a request or a timer)."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    @property
    def zone(self) -> tzinfo:
        """The office's time zone: where its days begin."""

    def publish(self, event: Event) -> str: ...

    def publish_for(self, origin: Origin | None, event: Event) -> str:
        """Queue an event caused by the message `origin` names (None: by this unit's)."""

    def later(self, step: Step[T], item: T) -> None:
        """Run `step` with `item` (and the batch's other items) before committing."""


class AuditUnit(Unit, Protocol):
    @property
    def audit(self) -> AuditLog: ...

    @property
    def projections(self) -> Projections: ...
