"""What auditors ask: is the chain intact, what do the figures say, which entries match.
Each runs in the caller's read-only unit (repeatable read: one consistent snapshot)."""

from __future__ import annotations

from typing import Any, Protocol

from siquan.contracts.types import division_scope as division_prefix
from siquan.oversight.application.ports import AuditReader, ReportReader
from siquan.oversight.domain.chain import AuditEntry, ChainVerifier, Verification
from siquan.oversight.domain.reconciliation import ProgramReport


class ReadUnit(Protocol):
    @property
    def audit(self) -> AuditReader: ...

    @property
    def figures(self) -> ReportReader: ...


async def verify_chain(uow: ReadUnit) -> Verification:
    """Walk the whole chain, recomputing every hash."""
    head = await uow.audit.read_head()
    verifier = ChainVerifier()
    async for entry in uow.audit.walk():
        verifier.feed(entry)
    return verifier.finish(head)


async def program_report(uow: ReadUnit, program_code: str, period: str,
                         division_code: str | None = None) -> ProgramReport:
    prefix = division_prefix(division_code) if division_code else ""
    return await uow.figures.program_report(program_code, period, division_code, prefix)


async def find_entries(uow: ReadUnit, query: Any) -> list[AuditEntry]:
    return await uow.audit.find(query)
