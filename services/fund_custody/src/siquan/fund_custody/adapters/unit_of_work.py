"""Fund custody's unit of work on PostgreSQL: one transaction reaching every repository of
the service, the outbox and the injected clock. `runtime.units` opens one per HTTP command,
per timer tick, and per message (bound to its consumer batch's transaction)."""

from __future__ import annotations

from siquan.fund_custody.adapters.allocations import PgAllocations, PgSettlements
from siquan.fund_custody.adapters.certifications import PgHeadCounts
from siquan.fund_custody.adapters.forecasts import PgForecasts
from siquan.fund_custody.adapters.ledger import PgAppropriations, PgLedger, PgSpecialAccounts
from siquan.fund_custody.adapters.receivables import PgReceivables
from siquan.fund_custody.adapters.statements import PgStatements
from siquan.fund_custody.application.ports import (
    Allocations,
    Appropriations,
    Forecasts,
    HeadCounts,
    Ledger,
    Receivables,
    Settlements,
    SpecialAccounts,
    Statements,
)
from siquan.shared.clock import Clock
from siquan.shared.database import Connection
from siquan.shared.outbox import Outbox
from siquan.shared.unit_of_work import Cause, PgUnitOfWork


def caused_by(cause: Cause, message_id: str) -> Cause:
    """The cause of what follows an event published in the same unit: that event, in the
    conversation already under way (or the one the event starts)."""
    return Cause(cause.correlation_id or message_id, message_id)


class FundCustodyWork(PgUnitOfWork):
    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock,
                 cause: Cause | None = None) -> None:
        super().__init__(conn, outbox, clock, cause)
        self.accounts: SpecialAccounts = PgSpecialAccounts(conn)
        self.ledger: Ledger = PgLedger(conn)
        self.appropriations: Appropriations = PgAppropriations(conn)
        self.allocations: Allocations = PgAllocations(conn)
        self.settlements: Settlements = PgSettlements(conn)
        self.head_counts: HeadCounts = PgHeadCounts(conn)
        self.forecasts: Forecasts = PgForecasts(conn)
        self.statements: Statements = PgStatements(conn)
        self.receivables: Receivables = PgReceivables(conn)

    def follow(self, message_id: str) -> None:
        self.cause = caused_by(self.cause, message_id)
