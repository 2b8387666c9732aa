"""Printable PDFs with Chinese text (fpdf2): a title, lines saying what the page covers, a
table, closing lines. The CJK font is embedded (subset) from a TrueType/OpenType file or
collection; by default Debian's `fonts-noto-cjk` (Noto Sans CJK SC), which `make install`
installs. A service that prints refuses to start without its font outside development
mode (`require_font`); in development mode a PDF is refused (406) with the reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from siquan.shared.errors import Refused

DEFAULT_CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_CJK_FONT_INDEX = 2
"""Noto Sans CJK SC in Debian's collection (`fc-list -f '%{file} %{index} %{family}\\n'`)."""
FONT_HINT = ("install Debian's fonts-noto-cjk (`make fonts`) or set SIQUAN_PDF_FONT_FILE "
             "(and SIQUAN_PDF_FONT_INDEX for a collection) to a CJK TrueType/OpenType font")


class PrintingSettings(BaseSettings):
    """The settings of a service that prints PDFs (mixed into its settings class)."""

    model_config = SettingsConfigDict(env_prefix="SIQUAN_", extra="ignore")

    pdf_font_file: Path = Field(
        default=DEFAULT_CJK_FONT,
        description="The CJK TrueType/OpenType font (or collection) PDFs embed; without it "
                    "the service refuses to start outside development mode")
    pdf_font_index: int = Field(default=DEFAULT_CJK_FONT_INDEX, ge=0, le=64,
                                description="Which font of a collection (.ttc) file")

    @property
    def pdf_font(self) -> FontFile:
        return FontFile(self.pdf_font_file, self.pdf_font_index)


class DocumentUnavailable(Refused):
    """This server cannot produce the document in the format asked (406)."""

    status = 406


class MissingFont(SystemExit):
    """The service refuses to start: it prints PDFs and has no CJK font."""


@dataclass(frozen=True)
class FontFile:
    path: Path = DEFAULT_CJK_FONT
    index: int = DEFAULT_CJK_FONT_INDEX
    """Which font of a collection (.ttc); 0 for a single font file."""

    @property
    def present(self) -> bool:
        return self.path.is_file()


def require_font(font: FontFile, service: str, mode: str) -> None:
    """Exit with the reason when the font is missing, unless in development mode."""
    if mode != "development" and not font.present:
        raise MissingFont(f"siquan.{service} refuses to start: no CJK font at {font.path} "
                          f"for its PDF documents; {FONT_HINT}")


@dataclass(frozen=True)
class Printed:
    """What a printed page shows."""

    title: str
    lines: Sequence[str] = ()
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    widths: Sequence[int] | None = None
    """Relative column widths (the table spans the page)."""
    closing: Sequence[str] = field(default=())
    landscape: bool = False


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _text(value: object) -> str:
    """Printable text: control characters (but line breaks) dropped."""
    return _CONTROL.sub("", str(value))


def render(document: Printed, font: FontFile, footer: str = "") -> bytes:
    """The document as PDF bytes (406 when the font is missing)."""
    # fpdf2 is imported when a document is printed, not when the service starts.
    from fpdf.enums import WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    from siquan.shared.documents.pdf_page import Page

    if not font.present:
        raise DocumentUnavailable(f"PDF documents are not available on this server: its CJK "
                                  f"font is missing ({FONT_HINT})")
    pdf = Page(orientation="L" if document.landscape else "P", unit="mm", format="A4")
    pdf.footer_text = _text(footer)
    pdf.set_title(_text(document.title))
    pdf.set_creator("Siquan")
    pdf.add_font("cjk", fname=font.path,
                 collection_font_number=font.index if font.path.suffix == ".ttc" else 0)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.multi_cell(0, 11, _text(document.title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                   wrapmode=WrapMode.CHAR)
    pdf.ln(2)
    pdf.set_font("cjk", size=11)
    for line in document.lines:
        pdf.multi_cell(0, 7, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                       wrapmode=WrapMode.CHAR)
    if document.columns:
        pdf.ln(3)
        pdf.set_font("cjk", size=10)
        with pdf.table(col_widths=tuple(document.widths) if document.widths else None,
                       line_height=7, wrapmode=WrapMode.CHAR, text_align="CENTER",
                       first_row_as_headings=True, repeat_headings=1,
                       headings_style=FontFace(emphasis="", fill_color=(230, 230, 230))) as table:
            table.row([_text(c) for c in document.columns])
            for values in document.rows:
                table.row([_text(v) for v in values])
    if document.closing:
        pdf.ln(4)
        pdf.set_font("cjk", size=11)
        for line in document.closing:
            pdf.multi_cell(0, 7, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                           wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())
