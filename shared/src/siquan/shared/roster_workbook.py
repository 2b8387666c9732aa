"""An existing roster brought in from another system (存量名册迁移): the XLSX workbook a
county fills in, read and checked row by row. Eligibility takes the certification columns
from it and disbursement the payment columns (paid through, payee account), each from the
same workbook, so neither writes the other's data.

Layout (first sheet, header in row 1, one beneficiary per row from row 2; see
docs/ROSTER_IMPORT.md): resident_id, name, program_code, category, division_code (the
county's 6 digits or the township's 9), certified_since (YYYY-MM-DD), paid_through (the
last period the old system already paid, YYYY-MM for a monthly program; empty when it paid
nothing), bank_code, account_number. Resident IDs and account numbers must be stored as
text cells.

A refused row is reported by its spreadsheet row number and a reason code (`REASONS`),
never with the ID number or any other personal datum of the row.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from siquan.contracts.periods import next_period, period_matches, period_start
from siquan.contracts.policy import PolicyCatalogue
from siquan.contracts.types import validate_division, validate_period, validate_resident_id

COLUMNS = ("resident_id", "name", "program_code", "category", "division_code",
           "certified_since", "paid_through", "bank_code", "account_number")
ACCOUNT_COLUMNS = ("bank_code", "account_number")
"""Disbursement's alone: eligibility keeps the workbook without them (`without_accounts`)."""
XLSX_MAGIC = b"PK\x03\x04"
BANK_CODE = re.compile(r"^[A-Z0-9]{3,12}$")
ACCOUNT_NUMBER = re.compile(r"^[0-9]{12,30}$")

REASONS = {
    "resident_id_invalid": "the resident ID is not 18 characters with a GB 11643 check "
                           "character that matches",
    "resident_id_duplicate": "the same person and program appear in an earlier row",
    "name_missing": "the name is empty or longer than 50 characters",
    "program_unknown": "no such program in the policy catalogue",
    "category_unknown": "the program's policy has no such category",
    "division_invalid": "the division code is not 6 or 9 digits",
    "division_out_of_scope": "the division lies outside the officer's scope",
    "certified_since_invalid": "certified_since is not a date (YYYY-MM-DD)",
    "certified_since_future": "certified_since lies after the import date",
    "certified_since_no_policy": "no version of the program was in force on certified_since",
    "paid_through_invalid": "paid_through is not a period the program is paid for",
    "paid_through_before_certified": "paid_through ends before certified_since",
    "paid_through_future": "paid_through lies after the import date's period",
    "bank_code_invalid": "the bank code is not 3 to 12 capital letters or digits",
    "account_number_invalid": "the account number is not 12 to 30 digits",
    "person_dead": "the person was reported dead",
    "already_certified": "the person already holds a live application or certification of "
                         "the program",
    "no_certification": "no migrated certification of the program is held for the person",
    "household_not_registered": "the program pays once per household and the person is not "
                                "a member of a household in the household register",
    "household_already_certified": "the program pays once per household and another member "
                                   "of the person's household holds it (or an earlier row "
                                   "certifies them)",
}


class WorkbookUnreadable(ValueError):
    """The file is not an XLSX workbook with the roster's header."""


@dataclass(frozen=True)
class RosterRow:
    """A row that passed every check."""

    row: int
    resident_id: str
    name: str
    program_code: str
    category: str
    division_code: str
    township_code: str | None
    certified_since: date
    paid_through: str | None
    bank_code: str
    account_number: str

    @property
    def scope(self) -> str:
        return self.township_code or self.division_code

    @property
    def owed_from(self) -> date:
        """The first day the new system owes: after paid-through, never before
        certified_since."""
        if self.paid_through is None:
            return self.certified_since
        after = next_period(self.paid_through)
        assert after is not None
        return max(self.certified_since, period_start(after))


@dataclass(frozen=True)
class Refusal:
    row: int
    reason: str
    """A key of `REASONS`."""


@dataclass
class Checked:
    rows_read: int = 0
    accepted: list[RosterRow] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def refuse(self, row: int, reason: str) -> None:
        self.refused.append(Refusal(row, reason))

    def report(self) -> dict[str, object]:
        """The validation report: counts and every refused row by number and reason code."""
        counts: dict[str, int] = {}
        for r in self.refused:
            counts[r.reason] = counts.get(r.reason, 0) + 1
        return {"rows_read": self.rows_read, "accepted": len(self.accepted),
                "refused": len(self.refused), "refused_by_reason": dict(sorted(counts.items())),
                "refused_rows": [{"row": r.row, "reason": r.reason}
                                 for r in sorted(self.refused, key=lambda r: r.row)]}


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: dates as YYYY-MM-DD, whole numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_workbook(content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, column → text) for each non-empty row of the first sheet."""
    from openpyxl import load_workbook

    if not content.startswith(XLSX_MAGIC):
        raise WorkbookUnreadable("the roster is not an XLSX workbook")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise WorkbookUnreadable("the roster is not a readable XLSX workbook") from exc
    try:
        values = workbook.worksheets[0].iter_rows(values_only=True)
        header = [cell_text(h).strip().lower() for h in next(values, ())]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise WorkbookUnreadable(f"the roster lacks the columns {', '.join(missing)}")
        for number, row in enumerate(values, start=2):
            cells = dict(zip(header, (cell_text(v) for v in row), strict=False))
            if any(v.strip() for v in cells.values()):
                yield number, cells
    finally:
        workbook.close()


def check_rows(rows: Iterable[tuple[int, dict[str, str]]], catalogue: PolicyCatalogue,
               today: date, *, max_rows: int = 50_000, accounts: bool = True) -> Checked:
    """Check every row on its own, then duplicates (person and program) within the file."""
    checked = Checked()
    seen: dict[tuple[str, str], int] = {}
    for number, cells in rows:
        checked.rows_read += 1
        if checked.rows_read > max_rows:
            raise WorkbookUnreadable(f"a roster import takes at most {max_rows} rows")
        entry = check_row(number, cells, catalogue, today, accounts=accounts)
        if isinstance(entry, Refusal):
            checked.refused.append(entry)
            continue
        key = (entry.resident_id, entry.program_code)
        if key in seen:
            checked.refuse(number, "resident_id_duplicate")
            continue
        seen[key] = number
        checked.accepted.append(entry)
    return checked


def check_workbook(content: bytes, catalogue: PolicyCatalogue, today: date, *,
                   max_rows: int = 50_000, accounts: bool = True) -> Checked:
    """Every row checked; without `accounts` the payee-account columns are neither read
    nor checked (a workbook `without_accounts`)."""
    return check_rows(read_workbook(content), catalogue, today, max_rows=max_rows,
                      accounts=accounts)


def without_accounts(content: bytes) -> bytes:
    """The workbook's first sheet with its payee-account columns emptied, every row where
    it was (so row numbers still name the same rows): what eligibility keeps, since it
    certifies and never holds a bank account."""
    from openpyxl import load_workbook

    if not content.startswith(XLSX_MAGIC):
        raise WorkbookUnreadable("the roster is not an XLSX workbook")
    try:
        workbook = load_workbook(io.BytesIO(content))
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise WorkbookUnreadable("the roster is not a readable XLSX workbook") from exc
    for other in workbook.worksheets[1:]:
        workbook.remove(other)
    sheet = workbook.worksheets[0]
    header = [cell_text(cell.value).strip().lower() for cell in sheet[1]]
    for column in (header.index(c) + 1 for c in ACCOUNT_COLUMNS if c in header):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.value = None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def check_row(number: int, cells: dict[str, str], catalogue: PolicyCatalogue, today: date,
              *, accounts: bool = True) -> RosterRow | Refusal:
    """The row, or the first reason it is refused (the payee account only with
    `accounts`)."""
    def get(column: str) -> str:
        return cells.get(column, "").strip()

    try:
        resident_id = validate_resident_id(get("resident_id"))
    except ValueError:
        return Refusal(number, "resident_id_invalid")
    name = get("name")
    if not 1 <= len(name) <= 50:
        return Refusal(number, "name_missing")
    program = get("program_code")
    if program not in catalogue.programs():
        return Refusal(number, "program_unknown")
    division, township = _division(get("division_code"))
    if division is None:
        return Refusal(number, "division_invalid")
    try:
        since = date.fromisoformat(get("certified_since"))
    except ValueError:
        return Refusal(number, "certified_since_invalid")
    if since > today:
        return Refusal(number, "certified_since_future")
    try:
        policy = catalogue.in_force(program, since, division)
    except KeyError:
        return Refusal(number, "certified_since_no_policy")
    category = get("category")
    if category not in {b.category for b in policy.benefits}:
        return Refusal(number, "category_unknown")
    paid_through = get("paid_through") or None
    if paid_through is not None:
        reason = _paid_through_problem(paid_through, program, since, division, catalogue,
                                       today)
        if reason:
            return Refusal(number, reason)
    if not accounts:
        return RosterRow(number, resident_id, name, program, category, division, township,
                         since, paid_through, "", "")
    bank_code, account = get("bank_code").upper(), get("account_number")
    if not BANK_CODE.match(bank_code):
        return Refusal(number, "bank_code_invalid")
    if not ACCOUNT_NUMBER.match(account):
        return Refusal(number, "account_number_invalid")
    return RosterRow(number, resident_id, name, program, category, division, township, since,
                     paid_through, bank_code, account)


def _division(code: str) -> tuple[str | None, str | None]:
    if not re.fullmatch(r"\d{6}(\d{3})?", code):
        return None, None
    try:
        validate_division(code[:6])
    except ValueError:
        return None, None
    return code[:6], code if len(code) == 9 else None


def _paid_through_problem(period: str, program: str, since: date, division: str,
                          catalogue: PolicyCatalogue, today: date) -> str | None:
    try:
        start = period_start(validate_period(period))
        policy = catalogue.in_force(program, start, division)
    except (KeyError, ValueError):
        return "paid_through_invalid"
    if not period_matches(policy.frequency, period):
        return "paid_through_invalid"
    following = next_period(period)
    if following is None:
        return "paid_through_invalid"
    if period_start(following) <= since:
        return "paid_through_before_certified"
    if start > today:
        return "paid_through_future"
    return None


def template(rows: Sequence[Sequence[object]] = ()) -> bytes:
    """A workbook with the roster's header (and `rows`, in `COLUMNS` order), every cell
    text so that long numbers keep their digits."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "roster"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(["" if v is None else str(v) for v in row])
    for column in sheet.iter_cols(min_row=1, max_row=sheet.max_row):
        for cell in column:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def example_rows(count: int, *, division: str = "420117",
                 program_code: str = "special_assistance") -> list[list[str]]:
    """`count` made-up rows with valid resident IDs (for trying an import, never real)."""
    from siquan.shared.testing.residents import ResidentFactory

    residents = ResidentFactory(division, birth_year=1960)
    return [[residents.next(), "王秀英", program_code, "death" if n % 3 else "disability",
             division, date(2013 + n % 11, 1 + n % 12, 1 + n % 28).isoformat(),
             f"2026-{1 + n % 6:02d}", "ICBC", f"622280{n:08d}31"] for n in range(count)]


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m siquan.shared.roster_workbook OUT.xlsx [--example N]`: the empty template,
    or one with N made-up rows."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--example", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    args.out.write_bytes(template(example_rows(args.example)))


if __name__ == "__main__":
    main()
