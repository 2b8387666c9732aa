"""Reading a survey file: CSV (UTF-8, with or without BOM, or GB18030 as Chinese
spreadsheets save it) or XLSX (the first sheet). Both give a header and rows of text;
XLSX dates become YYYY-MM-DD and whole numbers lose their `.0`. Resident IDs in a
spreadsheet must be stored as text: an 18-digit number loses its last digits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from siquan.eligibility.domain.errors import InvalidRequest
from siquan.shared.roster_workbook import cell_text

XLSX_MAGIC = b"PK\x03\x04"
Rows = tuple[list[str], Iterator[dict[str, str]]]


def read_survey(filename: str, content: bytes) -> Rows:
    """The header (lower-cased, trimmed) and the rows as column → text."""
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _xlsx(content)
    return _csv(content)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidRequest("the survey file is neither UTF-8 nor GB18030 text")


def _csv(content: bytes) -> Rows:
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if not header:
        raise InvalidRequest("the survey file is empty")

    def rows() -> Iterator[dict[str, str]]:
        for values in reader:
            yield dict(zip(header, values, strict=False))

    return header, rows()


def _xlsx(content: bytes) -> Rows:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only XLSX needs it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidRequest(f"the survey file is not a readable XLSX workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = [cell_text(h).strip().lower() for h in next(values, ())]
    if not header:
        raise InvalidRequest("the survey workbook's first sheet is empty")

    def rows() -> Iterator[dict[str, str]]:
        for row in values:
            yield dict(zip(header, (cell_text(v) for v in row), strict=False))
        workbook.close()

    return header, rows()
