"""What auditors ask: is the chain intact, what do the figures say, which entries match."""

from __future__ import annotations

from siquan.oversight.adapters import audit_log, projections
from siquan.oversight.adapters.audit_log import EntryFilter
from siquan.oversight.domain.chain import AuditEntry, ChainVerifier, Verification
from siquan.oversight.domain.reconciliation import ProgramReport, division_prefix
from siquan.shared.database import Connection


async def verify_chain(conn: Connection) -> Verification:
    """Walk the whole chain in one consistent snapshot, recomputing every hash."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await audit_log.read_head(conn)
        verifier = ChainVerifier()
        async for entry in audit_log.walk(conn):
            verifier.feed(entry)
    return verifier.finish(head)


async def program_report(conn: Connection, program_code: str, period: str,
                         division_code: str | None = None) -> ProgramReport:
    prefix = division_prefix(division_code) if division_code else ""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await projections.program_report(conn, program_code, period, division_code,
                                                 prefix)


async def find_entries(conn: Connection, query: EntryFilter) -> list[AuditEntry]:
    return await audit_log.find(conn, query)
