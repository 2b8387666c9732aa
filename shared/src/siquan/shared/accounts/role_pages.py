"""A service's own console pages for one role (the treasury officer's in fund custody, the
disbursement officer's in disbursement...), served under `/console/<section>` in the
account pages' frame: the officer signed in (with the second factor where the role needs
it) and holding the role, a CSRF token checked on every form that changes something, the
service's templates and catalogue on top of the account pages' (whose frame they extend).

The pages call the service's application layer; they hold no rule of their own. A
`Refused` from it is shown as a page with its status (4xx), the reason translated when
the catalogue knows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from siquan.shared.accounts.store import Session
from siquan.shared.accounts.web import FAILURES, HERE, AccountPages, _csrf_ok
from siquan.shared.console.i18n import chosen_locale, translations
from siquan.shared.console.rendering import Console, environment


def yuan(fen: Any) -> str:
    """Integer fen shown as yuan with two decimals and thousands separators."""
    try:
        value = int(fen)
    except (TypeError, ValueError):
        return ""
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


@cache
def _framed(catalogue: Path, locale: str, domain: str) -> NullTranslations:
    """The service's catalogue merged with the account pages' (the frame's text, itself
    merged with the shared console's)."""
    frame = translations(HERE / "locale", locale, "accounts")
    own = Translations.load(str(catalogue), [locale], domain)
    if not isinstance(own, Translations):
        return frame
    if isinstance(frame, Translations):
        own.merge(frame)
    return own


class FramedConsole(Console):
    """Templates from the service's folder, then the account pages' (the frame), then the
    shared ones; amounts through the `yuan` filter."""

    def __init__(self, templates: Path, catalogue: Path, *, domain: str, title: str
                 ) -> None:
        super().__init__(templates, catalogue, domain=domain, title=title)
        self.env = environment([templates, HERE / "templates"])
        self.env.filters["yuan"] = yuan

    def messages(self, locale: str) -> Any:
        return _framed(self.catalogue, locale, self.domain)


class RolePages:
    """The pages of one role in a service: who may open them, their forms, their text."""

    def __init__(self, pages: AccountPages, role: str, templates: Path, catalogue: Path,
                 *, sections: Sequence[tuple[str, str]], not_the_role: str,
                 domain: str = "messages") -> None:
        """`sections`: (path, label) of the pages' entries in the console's navigation;
        `not_the_role`: the reason shown to an officer without the role (both from the
        service's catalogue)."""
        self.pages = pages
        self.role = role
        self.not_the_role = not_the_role
        self.console = FramedConsole(templates, catalogue, domain=domain,
                                     title=pages.console.title)
        for path, label in sections:
            pages.sections.append((role, path, partial(self._label, label)))

    def _label(self, label: str, request: Request) -> str:
        return self.gettext(request, label)

    def gettext(self, request: Request, message: str) -> str:
        return str(self.console.messages(chosen_locale(request)).gettext(message))

    async def officer(self, request: Request) -> Session | Response:
        """The signed-in officer holding the role, or where to go instead (the login, the
        second factor) or the refusal (403)."""
        session = await self.pages.signed_in(request)
        if isinstance(session, Response):
            return session
        if self.role not in session.officer.roles:
            return self.refused(request, session, self.gettext(request, self.not_the_role),
                                403)
        return session

    async def form(self, request: Request) -> tuple[Session | Response, Any]:
        """The officer and the submitted form, once its CSRF token is the session's."""
        session = await self.officer(request)
        if isinstance(session, Response):
            return session, None
        form = await request.form()
        if not _csrf_ok(form, session):
            return self.refused(request, session, self.gettext(request, FAILURES["csrf"]),
                                403), None
        return session, form

    def render(self, request: Request, template: str, status: int = 200,
               session: Session | None = None, **context: Any) -> HTMLResponse:
        return self.pages.render(request, template, status, session,
                                 console=self.console, **context)

    def refused(self, request: Request, session: Session | None, reason: str,
                status: int) -> HTMLResponse:
        return self.render(request, "accounts/message.html", status, session=session,
                           message=reason)
