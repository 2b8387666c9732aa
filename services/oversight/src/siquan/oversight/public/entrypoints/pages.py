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
from siquan.shared.policy_names import spelled_out

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

FIELD_NAMES = {
    "category": _("Category"),
    "application_id": _("Notice entry (application ID)"),
    "division_code": _("County or township code"),
    "resident_id": _("Resident ID"),
    "description": _("What happened"),
    "anonymous": _("Anonymous"),
    "contact": _("Contact"),
    "body": _("The form"),
}
"""The form's fields as a complainant sees them (a problem's `field` is the API's name)."""

REASONS = frozenset((
    _("an objection names the application_id of a notice entry"),
    _("required: the 6-digit county or 9-digit township code"),
    _("a 6-digit county or 9-digit township code (GB/T 2260)"),
    _("leave contact empty for an anonymous report"),
    _("a named complaint gives a contact; or report anonymously"),
    _("no notice in force lists this application; objections are taken while it is "
      "posted"),
    _("the county or township concerned is required"),
    _("resident ID must be 17 digits followed by a digit or X"),
    _("resident ID check digit does not match (GB 11643)"),
))
"""The form's own reasons (forms.py, the intake, the resident ID type), translated as
they are; any other problem is named by its kind (`KINDS`)."""

KINDS = {
    "missing": _("required"),
    "string_too_short": _("required"),
    "string_too_long": _("too long"),
    "enum": _("choose one of the listed categories"),
    "literal_error": _("choose one of the listed values"),
    "uuid_parsing": _("not an application ID: use the Object link on the notice board"),
    "uuid_type": _("not an application ID: use the Object link on the notice board"),
    "bool_parsing": _("yes or no"),
    "bool_type": _("yes or no"),
    "extra_forbidden": _("not a field of this form"),
    "unreadable": _("the form could not be read; please send it again"),
}


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d} 元"


def category_name(code: str, label_zh: str, *, english: bool) -> str:
    """A benefit category as the board names it: the policy's Chinese name, or on an English
    page the policy's own code spelled out ("disability_grade_1_to_3": "Disability grade 1
    to 3"); the catalogue names categories in Chinese only. A code that is not plain
    lower-case ASCII keeps the Chinese name."""
    return (spelled_out(code) if english else None) or label_zh


def render(request: Request, template: str, hotline: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    locale = chosen_locale(request)
    return CONSOLE.render(
        request, template, status, hotline=hotline,
        lang_query=f"?lang={LANGUAGE_TAGS[locale]}", yuan=yuan, categories=CATEGORIES,
        **context, **_translated(request))


def shown_problems(request: Request, found: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The refusal's problems in the page's language: the field's name on the form and
    the reason (the form's own, or the kind of problem), never the input."""
    messages = translations(CONSOLE.catalogue, chosen_locale(request), CONSOLE.domain)
    shown = []
    for problem in found:
        field, reason = problem["field"], problem["msg"]
        if reason not in REASONS:
            reason = KINDS.get(problem["type"], reason)
        shown.append({"field": field,
                      "name": messages.gettext(FIELD_NAMES.get(field, field)),
                      "reason": messages.gettext(reason)})
    return shown


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
