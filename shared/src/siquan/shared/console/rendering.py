"""The Jinja2 environment (autoescape always on; a missing value shows as nothing), the
static files of the consoles, and times as an office reads them: every page has
`local(instant)`, the instant in minutes in the office's time zone (`SIQUAN_OFFICE_TIMEZONE`,
kept as `app.state.office_zone`), never the UTC instant the API gives; and programs and
categories by their names in the page's language, `name_of_program(code)` and
`name_of_category(program, category)` (`siquan.shared.policy_names`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, Undefined
from markupsafe import Markup
from starlette.staticfiles import StaticFiles

from siquan.shared import policy_names as names
from siquan.shared.clock import local_time, office_zone
from siquan.shared.console.i18n import LANGUAGE_TAGS, LOCALES, chosen_locale, translations

HERE = Path(__file__).parent
SHARED_TEMPLATES = HERE / "templates"
SHARED_STATIC = HERE / "static"
STATIC_PATH = "/console-static"
"""Where a service mounts the shared static files (CSS, icons, scripts)."""


def page_zone(request: Request) -> tzinfo:
    """The time zone the application's pages show times in."""
    state = getattr(request.scope.get("app"), "state", None)
    zone: tzinfo | None = getattr(state, "office_zone", None)
    return zone or office_zone()


def environment(template_dirs: Sequence[Path]) -> Environment:
    """Templates from the service's folders first, then the shared ones; every value is
    HTML-escaped unless a template marks it safe (none should)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader([str(d) for d in template_dirs]),
                             FileSystemLoader(str(SHARED_TEMPLATES))]),
        autoescape=True, undefined=Undefined, trim_blocks=True, lstrip_blocks=True,
        enable_async=False)
    env.globals["static"] = lambda name: f"{STATIC_PATH}/{name}"
    return env


class Console:
    """One service's pages: its templates and catalogue on top of the shared ones."""

    def __init__(self, templates: Path, catalogue: Path, *, domain: str = "messages",
                 title: str = "Siquan") -> None:
        self.env = environment([templates])
        self.catalogue = catalogue
        self.domain = domain
        self.title = title

    def render(self, request: Request, template: str, status: int = 200,
               **context: Any) -> HTMLResponse:
        locale = chosen_locale(request)
        messages = self.messages(locale)

        def gettext(message: str, **values: Any) -> str:
            """The translation; `%(name)s` placeholders filled with escaped values."""
            text = messages.gettext(message)
            return Markup.escape(text) % values if values else text

        def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
            text = messages.ngettext(singular, plural, n)
            return Markup.escape(text) % {"num": n, **values}

        context.setdefault("local", partial(local_time, zone=page_zone(request)))
        english = locale == "en"
        context.setdefault("name_of_program", partial(names.program_name, english=english))
        context.setdefault("name_of_category", partial(names.category_name, english=english))
        page = self.env.get_template(template).render(
            _=gettext, gettext=gettext, ngettext=ngettext,
            locale=locale, lang=LANGUAGE_TAGS[locale], locales=LOCALES,
            language_links=self.language_links(request), site_title=self.title,
            path=request.url.path, **context)
        return HTMLResponse(page, status_code=status,
                            headers={"Content-Language": LANGUAGE_TAGS[locale],
                                     "Vary": "Accept-Language"})

    def messages(self, locale: str) -> Any:
        """The catalogue the pages are translated with (the service's and the shared
        frame's)."""
        return translations(self.catalogue, locale, self.domain)

    @staticmethod
    def language_links(request: Request) -> list[tuple[str, str, str]]:
        """(locale, its own name, the same page in it) for the language switch."""
        names = {"zh_CN": "中文", "en": "English"}
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        return [(locale, names[locale],
                 f"{request.url.path}?{urlencode([*kept, ('lang', LANGUAGE_TAGS[locale])])}")
                for locale in LOCALES]

    @staticmethod
    def static_app() -> StaticFiles:
        return StaticFiles(directory=str(SHARED_STATIC))
