"""Importing the bank's statement for a run: the file is trusted only once its digest and
control totals hold (`EditedFile` → 422), then each line is reconciled with the run's
payments on payment id, amount and account (`domain/statement.py`). The import and every
difference are stored and, in the same unit of work, each difference is published as
`bank_statement.difference.v1` with its evidence. The same file imported again is the
same import: it is answered as before and publishes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.adapters import gbk_batch_file as gbk
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.application.runs import correlate
from siquan.disbursement.domain.errors import InvalidRequest
from siquan.disbursement.domain.statement import Difference, StatementLine, reconcile
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class ImportStatement:
    officer: Officer
    run_id: str
    content: bytes
    key: str


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


def read_statement(content: bytes, key: str) -> gbk.BankFile:
    """The statement's lines once the file can be trusted (422 otherwise; the reason names
    no account or amount)."""
    try:
        return gbk.read_file(content, key.encode("utf-8"), kind="STM")
    except gbk.EditedFile as exc:
        raise InvalidRequest(f"statement refused: {exc}") from None
    except gbk.MalformedFile as exc:
        raise InvalidRequest(f"statement refused: not a GBK statement file ({exc})") from None


async def import_statement(command: ImportStatement, uow: Work) -> ImportedStatement:
    run = await uow.runs.get(command.run_id)
    command.officer.check_scope(run.division_code)
    statement = read_statement(command.content, command.key)
    sha256 = hashlib.sha256(command.content).hexdigest()
    await uow.statements.lock(run.id)
    earlier: dict[str, Any] | None = await uow.statements.imported(run.id, sha256)
    if earlier is not None:
        return ImportedStatement(run_id=run.id, already_imported=True, **earlier)
    lines = [StatementLine(n, d["payment_id"], d["account_number"], int(d["amount_fen"]),
                           d["bank_reference"])
             for n, d in enumerate(statement.details, start=1)]
    held, settled_not_stated = await uow.statements.held(run.id, [x.payment_id
                                                                  for x in lines])
    found = reconcile(lines, held, settled_not_stated)
    now = uow.clock.now()
    statement_id = await uow.statements.add(
        run_id=run.id, batch=statement.batch, sha256=sha256, line_count=len(lines),
        total_fen=statement.total_fen, matched=found.matched, differences=found.differences,
        imported_by=command.officer.id, imported_at=now)
    correlate(uow, run.id)
    for difference in found.differences:
        uow.publish(events.BankStatementDifference(
            statement_id=statement_id, statement_batch=statement.batch,
            statement_sha256=sha256, run_id=run.id, program_code=run.program_code,
            period=run.period, division_code=run.division_code, kind=difference.kind,
            line=difference.line, payment_id=difference.payment_id,
            expected_amount_fen=difference.expected_amount_fen,
            stated_amount_fen=difference.stated_amount_fen,
            expected_account=difference.expected_account,
            stated_account=difference.stated_account, held_status=difference.held_status,
            bank_reference=difference.bank_reference, imported_by=command.officer.id,
            imported_at=now))
    return ImportedStatement(statement_id, run.id, statement.batch, sha256, len(lines),
                             statement.total_fen, found.matched, command.officer.id, now,
                             found.differences)
