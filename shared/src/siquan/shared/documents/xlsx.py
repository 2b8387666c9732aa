"""Spreadsheets (XLSX, written with openpyxl): one or more sheets, each a few heading lines
(title, what it covers) then a table with a header row. Money stays integer fen in its own
cells, so a spreadsheet sums to the fen what the API reports; a yuan column may sit beside
it for reading."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Sheet:
    title: str
    """The sheet's name (at most 31 characters) and its first line."""
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    about: Sequence[tuple[str, Cell]] = field(default=())
    """Lines under the title: a label and its value (division, period, produced at …)."""

    @property
    def header_row(self) -> int:
        """The 1-based row of the column headers (the data starts on the next row)."""
        return len(self.about) + 3


def workbook(sheets: Sequence[Sheet], zone: tzinfo) -> bytes:
    """The sheets as one XLSX file, its times in the office's zone (`zone`)."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(str(_plain(sheet.title, zone))[:31])
        ws.append([_plain(sheet.title, zone)])
        ws.cell(row=1, column=1).font = Font(bold=True, size=14)
        for label, value in sheet.about:
            ws.append([label, _plain(value, zone)])
        ws.append([])
        ws.append([_plain(name, zone) for name in sheet.columns])
        for cell in ws[sheet.header_row]:
            cell.font = bold
        for row in sheet.rows:
            ws.append([_plain(value, zone) for value in row])
        for index, name in enumerate(sheet.columns, 1):
            width = max([len(str(name)) * 2, *(len(str(r[index - 1])) for r in sheet.rows
                                               if index - 1 < len(r))], default=8)
            ws.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
        ws.freeze_panes = ws.cell(row=sheet.header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: Cell, zone: tzinfo) -> Cell:
    # Excel has no time zones: an aware time is written as its ISO text, in the office's
    # zone to the second ("2026-11-03T10:00:00+08:00"). A control character a cell cannot
    # hold (echoed filters, a bank's reason) is dropped.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def yuan(fen: int) -> str:
    """Fen as yuan text with two decimals, exact (no float)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
