"""Disbursement's unit of work on PostgreSQL: one transaction, and every repository built on
its connection."""

from __future__ import annotations

from siquan.disbursement.adapters.accounts import PgPayeeAccounts
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.facts import PgCertifications, PgDeaths, PgHolds
from siquan.disbursement.adapters.payments import PgPayments
from siquan.disbursement.adapters.receivables import PgReceivables
from siquan.disbursement.adapters.retries import PgRetries
from siquan.disbursement.adapters.returns import PgReturnCursor
from siquan.disbursement.adapters.runs import PgRuns
from siquan.disbursement.adapters.statements import PgStatements
from siquan.shared.clock import Clock
from siquan.shared.outbox import Outbox
from siquan.shared.unit_of_work import Cause, PgUnitOfWork


class DisbursementWork(PgUnitOfWork):
    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock,
                 cause: Cause | None = None) -> None:
        super().__init__(conn, outbox, clock, cause)
        self.accounts = PgPayeeAccounts(conn)
        self.certifications = PgCertifications(conn)
        self.holds = PgHolds(conn)
        self.deaths = PgDeaths(conn)
        self.runs = PgRuns(conn)
        self.payments = PgPayments(conn)
        self.retries = PgRetries(conn)
        self.return_cursor = PgReturnCursor(conn)
        self.statements = PgStatements(conn)
        self.receivables = PgReceivables(conn)
