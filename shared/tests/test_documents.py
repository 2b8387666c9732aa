"""The shared document helpers: money as exact yuan text, a workbook read back cell by
cell, a PDF refused (406) without its font and a service that will not start without it
outside development mode."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from siquan.shared.documents import xlsx
from siquan.shared.documents.pdf import (
    DocumentUnavailable,
    FontFile,
    MissingFont,
    Printed,
    render,
    require_font,
)

MISSING = FontFile(Path("/nonexistent/NotoSansCJK-Regular.ttc"))


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (1, "0.01"), (21_000, "210.00"),
                                            (123_456_789, "1,234,567.89"), (-5, "-0.05")])
def test_yuan_is_exact(fen: int, text: str) -> None:
    assert xlsx.yuan(fen) == text


def test_a_workbook_reads_back_to_the_cell() -> None:
    sheet = xlsx.Sheet("名册", ("姓名", "金额（分）"), [("张**", 21_000), ("李*", 15_001)],
                       about=[("区划", "420117"), ("日期", date(2026, 3, 1))])
    book = load_workbook(io.BytesIO(xlsx.workbook([sheet], UTC)))
    rows = list(book["名册"].iter_rows(values_only=True))
    assert rows[0][0] == "名册" and rows[1][:2] == ("区划", "420117")
    assert rows[sheet.header_row - 1] == ("姓名", "金额（分）")
    assert rows[sheet.header_row:] == [("张**", 21_000), ("李*", 15_001)]


@pytest.mark.parametrize(("zone", "text"), [("Asia/Shanghai", "2026-12-01T02:05:07+08:00"),
                                             ("Asia/Urumqi", "2026-12-01T00:05:07+06:00")])
def test_an_instant_reads_in_the_office_zone_it_is_given(zone: str, text: str) -> None:
    produced = datetime(2026, 11, 30, 18, 5, 7, 123456, tzinfo=UTC)
    sheet = xlsx.Sheet("结算", ("项目",), [], about=[("编制时间", produced)])
    book = xlsx.workbook([sheet], ZoneInfo(zone))
    rows = list(load_workbook(io.BytesIO(book))["结算"].iter_rows(values_only=True))
    assert rows[1][:2] == ("编制时间", text)


def test_without_its_font_a_pdf_is_refused_and_the_service_does_not_start() -> None:
    with pytest.raises(DocumentUnavailable) as refused:
        render(Printed("公示"), MISSING)
    assert refused.value.status == 406 and "fonts-noto-cjk" in str(refused.value)
    with pytest.raises(MissingFont, match="refuses to start"):
        require_font(MISSING, "eligibility", "production")
    require_font(MISSING, "eligibility", "development")  # starts; PDFs answer 406


def test_control_characters_never_break_a_document() -> None:
    sheet = xlsx.Sheet("名\x01册", ("状态\x02",), [("active\x03\x1f",)], about=[("项目", "a\x0b")])
    rows = list(load_workbook(io.BytesIO(xlsx.workbook([sheet], UTC))).active.iter_rows(
        values_only=True))
    assert rows[0][0] == "名册" and rows[-1][0] == "active" and rows[1][1] == "a"
    printed = render(Printed("公\x01示", ["行\x02"], ("列\x03",), [("值\x04",)],
                             closing=["尾\x05"]), FontFile(), footer="页\x06")
    assert printed.startswith(b"%PDF-")
