"""Disbursement's part of a roster migrated from another system (存量名册迁移): from the same
workbook eligibility certified, the payee account of each beneficiary and the last period
the old system already paid ("paid through").

- A row is taken only for a person whose certification disbursement holds (granted by
  eligibility's approval of the import: the row's program and category, effective from
  its certified_since) lies in the officer's scope; eligibility's data is never written
  here, and nothing here is sent to eligibility.
- The account goes through the ordinary registration (`accounts.register_payee_account`):
  a first account is paid at once, a change of an existing one (or one shared outside the
  household) waits for a second officer, and `PayeeAccountRegistered` tells oversight who
  registered it and the account's keyed fingerprint.
- The paid-through period is kept per certification; a run treats every period that ends
  before the first day owed as paid (`PaidOncePerPeriod`), and the arrears window reaches
  back to the earliest day owed (`amounts.ArrearsWindow`, at most its usual number of
  periods), so the first run pays the months still owed and nothing the old system paid.
- The reconciliation compares, for a run, what the import's rows are owed by the policy
  catalogue with what the run paid them, and shows what they are still owed beyond the
  run's arrears window (`OwedBeyondTheWindowIsShown`): the periods after paid-through
  that lie before the window's first period and no payment paid, which no run pays and
  which must be settled by hand; nothing owed disappears from view.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from siquan.contracts.periods import (
    frequency_of,
    period_end,
    period_of,
    periods_between,
)
from siquan.contracts.policy import PolicyCatalogue, load_catalogue
from siquan.disbursement.adapters.roster_imports import MigratedRow, PgRosterImports
from siquan.disbursement.application import accounts
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.amounts import amount_table, arrears_window
from siquan.disbursement.domain.errors import InvalidRequest
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer
from siquan.shared.errors import Refused
from siquan.shared.person import account_fingerprint, person_key
from siquan.shared.roster_workbook import WorkbookUnreadable, check_workbook

_ACCOUNT_REFUSALS = {accounts.NO_CERTIFICATION: "no_certification",
                     accounts.OUT_OF_SCOPE: "division_out_of_scope"}


@dataclass(frozen=True)
class ImportRoster:
    officer: Officer
    content: bytes
    person_key_secret: str
    max_rows: int = 50_000


def _imports(uow: Work) -> PgRosterImports:
    return PgRosterImports(uow.conn)  # type: ignore[attr-defined]


async def import_roster(command: ImportRoster, uow: Work) -> dict[str, Any]:
    """Register each accepted row's account and paid-through; the report by row number and
    reason code."""
    if not command.content:
        raise InvalidRequest("the roster workbook is empty")
    try:
        checked = check_workbook(command.content, load_catalogue(), uow.clock.today(),
                                 max_rows=command.max_rows)
    except WorkbookUnreadable as exc:
        raise InvalidRequest(str(exc)) from exc
    imports, import_id = _imports(uow), str(uuid.uuid4())
    kept: list[MigratedRow] = []
    registered = 0
    for row in checked.accepted:
        key = person_key(command.person_key_secret, row.resident_id)
        certification = await imports.certification_of(key, row.program_code, row.category,
                                                         row.certified_since)
        if certification is None:
            checked.refuse(row.row, "no_certification")
            continue
        try:
            registration = await accounts.register_payee_account(accounts.RegisterPayeeAccount(
                command.officer, key, PayeeAccount(row.bank_code, row.account_number),
                account_fingerprint(command.person_key_secret, row.bank_code,
                                    row.account_number)), uow)
        except Refused as exc:
            checked.refuse(row.row, _ACCOUNT_REFUSALS.get(str(exc), "no_certification"))
            continue
        registered += registration.changed
        kept.append(MigratedRow(certification[0], key, row.program_code, certification[1],
                                row.category, row.certified_since, row.paid_through,
                                row.owed_from))
    checked.accepted = [r for r in checked.accepted
                        if r.row not in {x.row for x in checked.refused}]
    report = checked.report()
    await imports.add(import_id, hashlib.sha256(command.content).hexdigest(), report,
                      registered, command.officer.id, uow.clock.now(), kept)
    return await imports.show(import_id)


async def reconcile(uow: Work, officer: Officer, import_id: str, run_id: str,
                    arrears_max_periods: int) -> dict[str, Any]:
    """The import's report beside one run: what its rows are owed for the run's period and
    arrears window (from the policy catalogue, after paid-through) and what the run paid
    them, settled."""
    imports = _imports(uow)
    shown = await imports.show(import_id)
    run = await uow.runs.get(run_id)
    officer.check_scope(run.division_code)
    rows = await imports.rows(import_id, run.program_code, run.division_code)
    first = await uow.runs.first_regular_period(run.program_code, run.division_code)
    table = amount_table(load_catalogue(), run.program_code, run.period, run.division_code,
                         arrears_window(run.period, first, arrears_max_periods))
    expected = 0
    for row in rows:
        for amounts in (*table.arrears, table.run):
            end = period_end(amounts.period)
            fen = amounts.amount(row.category)
            if fen is not None and end >= row.owed_from and end >= row.certified_since:
                expected += fen
    paid = await imports.paid_in_run(import_id, run_id)
    window_from = table.arrears[0].period if table.arrears else run.period
    beyond = owed_beyond_window(rows, window_from, run.division_code,
                                await imports.paid_periods(import_id, run.program_code,
                                                           run.division_code))
    return {**shown, "run_id": run_id, "period": run.period,
            "rows_in_run_division": len(rows), "expected_fen": expected,
            "paid_fen": paid["settled_fen"], "payments": paid["payments"],
            "pending_fen": paid["pending_fen"],
            "difference_fen": expected - paid["settled_fen"],
            "window_from": window_from, "beyond_window_people": beyond.people,
            "beyond_window_periods": beyond.periods, "beyond_window_fen": beyond.fen}


@dataclass(frozen=True)
class BeyondWindow:
    people: int
    periods: int
    fen: int


def owed_beyond_window(rows: Sequence[MigratedRow], window_from: str, division_code: str,
                       paid: Mapping[str, frozenset[str]]) -> BeyondWindow:
    """`OwedBeyondTheWindowIsShown`: each row's periods of the program that end on or
    after its first day owed (never before certified since) and start before the run's
    arrears window (`window_from`, its first period, or the run's own when it has none),
    less those a live payment paid the person (`paid`, by person key), at each period's
    amount for the row's category (a period no version pays the category in owes
    nothing)."""
    catalogue = load_catalogue()
    people = periods = fen = 0
    for row in rows:
        first = period_of(frequency_of(window_from),
                          max(row.owed_from, row.certified_since))
        owed = [period for period in periods_between(first, window_from, _ALL)
                if period not in paid.get(row.person_key, frozenset())]
        amounts = [a for a in map(_amount(catalogue, row, division_code), owed)
                   if a is not None]
        if amounts:
            people += 1
            periods += len(amounts)
            fen += sum(amounts)
    return BeyondWindow(people, periods, fen)


_ALL = 100_000
"""Every period back to the first day owed (`periods_between`'s limit)."""


def _amount(catalogue: PolicyCatalogue, row: MigratedRow, division_code: str
            ) -> Callable[[str], int | None]:
    def amount(period: str) -> int | None:
        try:
            return catalogue.amount_for(row.program_code, row.category, period,
                                        division_code)
        except (KeyError, ValueError):
            return None
    return amount
