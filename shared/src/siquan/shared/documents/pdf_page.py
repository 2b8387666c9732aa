"""The PDF page with its footer (fpdf2), apart from `pdf` so that a service imports fpdf2
only when it prints."""

from __future__ import annotations

from fpdf import FPDF


class Page(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=8)
        self.cell(0, 6, f"{self.footer_text}    第 {self.page_no()} 页 共 {{nb}} 页",
                  align="C")
