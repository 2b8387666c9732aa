"""The public's pages as HTML, from the templates under `public/templates` with the shared
console frame: the interface text in zh-CN from the catalogue under `public/locale`, or in
English (`?lang=en` or Accept-Language). Everything shown is escaped by the templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from siquan.oversight.public.domain.complaints import CATEGORIES
from siquan.shared.console import Console, chosen_locale
from siquan.shared.console.i18n import LANGUAGE_TAGS, translations

HERE = Path(__file__).parent.parent
CONSOLE = Console(HERE / "templates", HERE / "locale", title="Siquan · 社会监督")


def _(message: str) -> str:
    """Marks text for the catalogue; the template translates it when the page is drawn."""
    return message


CATEGORY_NAMES = {
    "not_paid_in_full": _("Not paid in full or on time"),
    "ineligible_paid_or_listed": _("An ineligible person is paid or listed"),
    "officer_misconduct": _("Officer misconduct"),
    "notice_objection": _("Objection to a public notice entry"),
}
STATUS_NAMES = {"open": _("Open"), "escalated": _("Overdue, escalated"),
                "resolved": _("Resolved")}
OUTCOME_NAMES = {"upheld": _("Upheld"), "dismissed": _("Dismissed")}
assert set(CATEGORY_NAMES) == set(CATEGORIES)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d} 元"


def render(request: Request, template: str, hotline: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    locale = chosen_locale(request)
    return CONSOLE.render(
        request, template, status, hotline=hotline,
        lang_query=f"?lang={LANGUAGE_TAGS[locale]}", yuan=yuan, categories=CATEGORIES,
        **context, **_translated(request))


def _translated(request: Request) -> dict[str, dict[str, str]]:
    """The names of codes in the page's language (translated per request)."""
    messages = translations(CONSOLE.catalogue, chosen_locale(request), CONSOLE.domain)
    return {name: {code: messages.gettext(text) for code, text in table.items()}
            for name, table in (("category_names", CATEGORY_NAMES),
                                ("status_names", STATUS_NAMES),
                                ("outcome_names", OUTCOME_NAMES))}


def message(request: Request, title: str, text: str, hotline: str, status: int
            ) -> HTMLResponse:
    return render(request, "public/message.html", hotline, status, title=title, message=text)
