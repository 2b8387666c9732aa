"""Importing the bank's statement for a run: the entry point reads the file, trusting it
only once its digest and control totals hold (`adapters/gbk_batch_file.py`; 422
otherwise); here each line is reconciled with the run's payments on payment id, amount and
account (`domain/statement.py`). The import and every
difference are stored and, in the same unit of work, each difference is published as
`bank_statement.difference.v1` with its evidence. The same file imported again is the
same import: it is answered as before and publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.application.runs import correlate
from siquan.disbursement.domain.statement import Difference, StatementLine, reconcile
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class ImportStatement:
    officer: Officer
    run_id: str
    batch: str
    """The bank's own identifier of the statement."""
    sha256: str
    """Of the file as imported: the same file again is the same import."""
    lines: list[StatementLine]
    total_fen: int


@dataclass(frozen=True)
class ImportedStatement:
    statement_id: str
    run_id: str
    batch: str
    sha256: str
    line_count: int
    total_fen: int
    matched: int
    imported_by: str
    imported_at: datetime
    differences: list[Difference] = field(default_factory=list)
    already_imported: bool = False


async def import_statement(command: ImportStatement, uow: Work) -> ImportedStatement:
    run = await uow.runs.get(command.run_id)
    command.officer.check_scope(run.division_code)
    sha256, lines = command.sha256, command.lines
    await uow.statements.lock(run.id)
    earlier: dict[str, Any] | None = await uow.statements.imported(run.id, sha256)
    if earlier is not None:
        return ImportedStatement(run_id=run.id, already_imported=True, **earlier)
    held, settled_not_stated = await uow.statements.held(run.id, [x.payment_id
                                                                  for x in lines])
    found = reconcile(lines, held, settled_not_stated)
    now = uow.clock.now()
    statement_id = await uow.statements.add(
        run_id=run.id, batch=command.batch, sha256=sha256, line_count=len(lines),
        total_fen=command.total_fen, matched=found.matched, differences=found.differences,
        imported_by=command.officer.id, imported_at=now)
    correlate(uow, run.id)
    for difference in found.differences:
        uow.publish(events.BankStatementDifference(
            statement_id=statement_id, statement_batch=command.batch,
            statement_sha256=sha256, run_id=run.id, program_code=run.program_code,
            period=run.period, division_code=run.division_code, kind=difference.kind,
            line=difference.line, payment_id=difference.payment_id,
            expected_amount_fen=difference.expected_amount_fen,
            stated_amount_fen=difference.stated_amount_fen,
            expected_account=difference.expected_account,
            stated_account=difference.stated_account, held_status=difference.held_status,
            bank_reference=difference.bank_reference, imported_by=command.officer.id,
            imported_at=now))
    return ImportedStatement(statement_id, run.id, command.batch, sha256, len(lines),
                             command.total_fen, found.matched, command.officer.id, now,
                             found.differences)
