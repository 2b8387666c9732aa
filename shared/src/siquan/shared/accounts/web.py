"""The console's account pages every service serves under `/console/`: login (password,
then the TOTP code for the roles that need it, or its enrolment), logout, the officer's
own password change, and the administrator's pages (officers, roles and division, disable
and enable, password and second-factor reset, API tokens).

Server-rendered through the console frame, every form works without JavaScript and
carries a CSRF token: the session's on every page after login, a double-submitted cookie
on the login form. The session cookie is HttpOnly, SameSite=Strict, named after the
service (services on one host do not share cookies by port), and Secure (with the
`__Host-` prefix) when the console is served over TLS.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siquan.shared.accounts import dead_letter_pages
from siquan.shared.accounts.store import (
    ALL_ROLES_SCOPE,
    ROLES,
    AccountStore,
    Client,
    Session,
    provisioning_uri,
)
from siquan.shared.auth import Officer
from siquan.shared.console.rendering import Console
from siquan.shared.errors import Refused

HERE = Path(__file__).parent
PREFIX = "/console"
ADMINISTRATOR = "administrator"
LOGIN_CSRF_FIELD = "csrf_token"


def _(message: str) -> str:
    """Marks text for the catalogue; the template translates it."""
    return message


ROLE_NAMES = {
    "clerk": _("Village clerk"), "township_reviewer": _("Township reviewer"),
    "county_approver": _("County approver"), "treasury_officer": _("Treasury officer"),
    "disbursement_officer": _("Disbursement officer"), "auditor": _("Auditor"),
    "administrator": _("Administrator"),
}
FAILURES = {
    "wrong": _("The officer id or the password is wrong."),
    "locked": _("Too many failed attempts: this account is locked for a while. "
                "Try again later or ask an administrator."),
    "disabled": _("This account is disabled. Ask an administrator."),
    "wrong_code": _("The code is wrong or was already used."),
    "csrf": _("The form expired or did not come from this console. Reload the page and "
              "try again."),
}
assert set(ROLE_NAMES) == set(ROLES)


class AccountPages:
    """One service's account pages and the identities its JSON API accepts."""

    def __init__(self, service: str, store: AccountStore, title: str,
                 amqp_url: str | None = None) -> None:
        self.service = service
        self.amqp_url = amqp_url
        self.store = store
        self.console = Console(HERE / "templates", HERE / "locale", domain="accounts",
                               title=title)
        self.sections: list[tuple[str, str, Callable[[Request], str]]] = []
        """The service's own pages in the navigation: (role, path, its label in the
        request's language), shown to the officers holding the role."""

    # -- identities for the JSON API (auth.Identities) ----------------------------------

    async def by_token(self, token: str) -> Officer | None:
        return await self.store.by_token(token)

    async def by_cookie(self, request: Request) -> tuple[Officer, str] | None:
        session = await self.session(request)
        if session is None or not session.signed_in:
            return None
        return session.officer.officer(), session.csrf_token

    # -- cookies ------------------------------------------------------------------------

    def cookie_name(self, request: Request, what: str = "session") -> str:
        name = f"siquan-{self.service.replace('_', '-')}-{what}"
        return f"__Host-{name}" if _secure(request) else name

    def _set_cookie(self, response: Response, request: Request, what: str, value: str,
                    max_age: int | None = None) -> None:
        response.set_cookie(self.cookie_name(request, what), value, max_age=max_age,
                            path="/", httponly=True, samesite="strict",
                            secure=_secure(request))

    async def session(self, request: Request) -> Session | None:
        if hasattr(request.state, "console_session"):
            return cast(Session | None, request.state.console_session)
        cookie = request.cookies.get(self.cookie_name(request))
        found = await self.store.session(cookie) if cookie else None
        request.state.console_session = found
        if found is not None and found.signed_in:
            request.state.credentials_verified = True  # the HTTP guard's rate limit
        return found

    # -- rendering ----------------------------------------------------------------------

    def render(self, request: Request, template: str, status: int = 200,
               session: Session | None = None, *, console: Console | None = None,
               **context: Any) -> HTMLResponse:
        """A page in the console frame: the account pages' own, or (given its `console`)
        one of a service's role pages."""
        messages = self.console_messages(request)
        signed_in = session is not None and session.signed_in
        sections = list({path: (path, label(request)) for role, path, label in self.sections
                         if signed_in and session is not None
                         and role in session.officer.roles}.values())  # each path once
        response = (console or self.console).render(
            request, template, status, session=session, prefix=PREFIX,
            role_names={k: messages.gettext(v) for k, v in ROLE_NAMES.items()},
            failures={k: messages.gettext(v) for k, v in FAILURES.items()},
            roles=ROLES, all_roles_scope=ALL_ROLES_SCOPE, administrator=ADMINISTRATOR,
            sections=sections,
            csrf_token=session.csrf_token if session else context.pop("csrf_token", ""),
            **context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def console_messages(self, request: Request) -> Any:
        from siquan.shared.console.i18n import chosen_locale, translations

        return translations(self.console.catalogue, chosen_locale(request),
                            self.console.domain)

    def refused(self, request: Request, session: Session | None, reason: str,
                status: int) -> HTMLResponse:
        return self.render(request, "accounts/message.html", status, session=session,
                           message=reason)

    def router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, include_in_schema=False)
        pages = self

        @router.get("/login")
        async def login_form(request: Request) -> Response:
            return pages._login_page(request)

        @router.post("/login")
        async def login(request: Request) -> Response:
            form = await request.form()
            client = _client(request)
            expected = request.cookies.get(pages.cookie_name(request, "login-csrf"), "")
            if not expected or not hmac.compare_digest(
                    str(form.get(LOGIN_CSRF_FIELD, "")), expected):
                return pages._login_page(request, failure="csrf", status=403)
            officer_id = str(form.get("officer_id", "")).strip()[:64]
            result = await pages.store.login(officer_id, str(form.get("password", ""))[:256],
                                             client)
            if result.session is None:
                status = 423 if result.failure == "locked" else 401
                return pages._login_page(request, failure=result.failure, status=status,
                                         officer_id=officer_id)
            response = RedirectResponse(pages._after_login(result.session), 303)
            pages._set_cookie(response, request, "session", result.session.cookie)
            response.delete_cookie(pages.cookie_name(request, "login-csrf"), path="/")
            return response

        @router.get("/second-factor")
        async def second_factor_form(request: Request) -> Response:
            session = await pages.session(request)
            if session is None or session.signed_in:
                return RedirectResponse(f"{PREFIX}/", 303)
            return pages._second_factor_page(request, session)

        @router.post("/second-factor")
        async def second_factor(request: Request) -> Response:
            session = await pages.session(request)
            if session is None or session.signed_in:
                return RedirectResponse(f"{PREFIX}/", 303)
            form = await request.form()
            if not _csrf_ok(form, session):
                return pages.refused(request, session, FAILURES["csrf"], 403)
            failure = await pages.store.second_factor(session, str(form.get("code", ""))[:12],
                                                      _client(request))
            if failure is not None:
                return pages._second_factor_page(
                    request, session, failure="wrong_code" if failure == "wrong" else failure,
                    status=423 if failure == "locked" else 401)
            return RedirectResponse(f"{PREFIX}/", 303)  # or on to a required password change

        @router.post("/logout")
        async def logout(request: Request) -> Response:
            session = await pages.session(request)
            if session is not None:
                form = await request.form()
                if not _csrf_ok(form, session):
                    return pages.refused(request, session, FAILURES["csrf"], 403)
                await pages.store.logout(session, _client(request))
            response = RedirectResponse(f"{PREFIX}/login", 303)
            response.delete_cookie(pages.cookie_name(request), path="/")
            return response

        @router.get("/")
        async def home(request: Request) -> Response:
            session = await pages.signed_in(request)
            if isinstance(session, Response):
                return session
            return pages.render(request, "accounts/home.html", session=session,
                                service=pages.service)

        @router.get("/password")
        async def password_form(request: Request) -> Response:
            session = await pages.signed_in(request, allow_password_change=True)
            if isinstance(session, Response):
                return session
            return pages.render(request, "accounts/password.html", session=session)

        @router.post("/password")
        async def change_password(request: Request) -> Response:
            session = await pages.signed_in(request, allow_password_change=True)
            if isinstance(session, Response):
                return session
            form = await request.form()
            if not _csrf_ok(form, session):
                return pages.refused(request, session, FAILURES["csrf"], 403)
            new = str(form.get("new_password", ""))
            if new != str(form.get("repeat_password", "")):
                return pages.render(request, "accounts/password.html", 422, session=session,
                                    problem=_("The two new passwords differ."))
            try:
                failure = await pages.store.change_password(
                    session, str(form.get("current_password", ""))[:256], new,
                    _client(request))
            except Refused as refused:
                return pages.render(request, "accounts/password.html", 422, session=session,
                                    problem=str(refused))
            if failure is not None:
                return pages.render(request, "accounts/password.html", 401, session=session,
                                    problem=_("The current password is wrong."))
            return pages.render(request, "accounts/message.html", session=session,
                                message=_("Your password was changed."), back=f"{PREFIX}/")

        self._admin_routes(router)
        if self.amqp_url is not None:
            dead_letter_pages.add_routes(router, self, self.amqp_url, _client)
        return router

    def _admin_routes(self, router: APIRouter) -> None:
        pages = self
        base = f"{PREFIX}/admin/officers"

        @router.get("/admin/officers")
        async def officers(request: Request) -> Response:
            session = await pages.administrator(request)
            if isinstance(session, Response):
                return session
            return await pages._officers(request, session)

        @router.post("/admin/officers")
        async def create(request: Request) -> Response:
            session, form = await pages.admin_form(request)
            if isinstance(session, Response):
                return session
            officer_id = str(form.get("officer_id", "")).strip()
            try:
                await pages.store.create(
                    session.officer.officer(), officer_id, str(form.get("name", "")),
                    [str(r) for r in form.getlist("roles")], str(form.get("division", "")),
                    str(form.get("password", "")), _client(request))
            except Refused as refused:
                return await pages._officers(request, session, str(refused),
                                             refused.status)
            return RedirectResponse(f"{base}/{quote(officer_id)}", 303)

        @router.get("/admin/officers/{officer_id}")
        async def officer(request: Request, officer_id: str) -> Response:
            session = await pages.administrator(request)
            if isinstance(session, Response):
                return session
            return await pages._officer_page(request, session, officer_id)

        async def act(request: Request, officer_id: str, action: Any,
                      done: str) -> Response:
            session, form = await pages.admin_form(request)
            if isinstance(session, Response):
                return session
            actor = session.officer.officer()
            try:
                shown = await action(actor, form, _client(request))
            except Refused as refused:
                return await pages._officer_page(request, session, officer_id,
                                                 problem=str(refused), status=refused.status)
            return await pages._officer_page(request, session, officer_id, notice=done,
                                             **(shown or {}))

        @router.post("/admin/officers/{officer_id}")
        async def change(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.change(actor, officer_id, str(form.get("name", "")),
                                         [str(r) for r in form.getlist("roles")],
                                         str(form.get("division", "")), client)
            return await act(request, officer_id, action, _("The officer was changed."))

        @router.post("/admin/officers/{officer_id}/disable")
        async def disable(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.set_disabled(actor, officer_id, True, client)
            return await act(request, officer_id, action, _("The officer was disabled."))

        @router.post("/admin/officers/{officer_id}/enable")
        async def enable(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.set_disabled(actor, officer_id, False, client)
            return await act(request, officer_id, action, _("The officer was enabled."))

        @router.post("/admin/officers/{officer_id}/password")
        async def reset_password(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.reset_password(actor, officer_id,
                                                 str(form.get("password", "")), client)
            return await act(request, officer_id, action,
                             _("The password was reset; the officer changes it at the next "
                               "login."))

        @router.post("/admin/officers/{officer_id}/second-factor")
        async def reset_second_factor(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.reset_second_factor(actor, officer_id, client)
            return await act(request, officer_id, action,
                             _("The second factor was reset; the officer enrols again at the "
                               "next login."))

        @router.post("/admin/officers/{officer_id}/tokens")
        async def issue(request: Request, officer_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> dict[str, str]:
                days_text = str(form.get("days", "")).strip()
                if days_text and not days_text.isdigit():
                    raise Refused(_("a token expires within 1 to 366 days"))
                value, _token = await pages.store.issue_token(
                    actor, officer_id, str(form.get("label", "")),
                    [str(s) for s in form.getlist("scopes")],
                    int(days_text) if days_text else None, client)
                return {"new_token": value}
            return await act(request, officer_id, action,
                             _("The token was issued. Copy it now: it is not shown again."))

        @router.post("/admin/officers/{officer_id}/tokens/{token_id}/revoke")
        async def revoke(request: Request, officer_id: str, token_id: str) -> Response:
            async def action(actor: Officer, form: Any, client: Client) -> None:
                await pages.store.revoke_token(actor, officer_id, token_id, client)
            return await act(request, officer_id, action, _("The token was revoked."))

    # -- page helpers -------------------------------------------------------------------

    def _after_login(self, session: Session) -> str:
        if session.stage != "signed_in":
            return f"{PREFIX}/second-factor"
        if session.officer.must_change_password:
            return f"{PREFIX}/password"
        return f"{PREFIX}/"

    async def signed_in(self, request: Request, *, allow_password_change: bool = False
                        ) -> Session | Response:
        """The signed-in session, or where to go instead (login, second factor, the
        required password change)."""
        session = await self.session(request)
        if session is None:
            return RedirectResponse(f"{PREFIX}/login?next={quote(request.url.path)}", 303)
        if not session.signed_in:
            return RedirectResponse(f"{PREFIX}/second-factor", 303)
        if session.officer.must_change_password and not allow_password_change:
            return RedirectResponse(f"{PREFIX}/password", 303)
        return session

    async def administrator(self, request: Request) -> Session | Response:
        session = await self.signed_in(request)
        if isinstance(session, Response):
            return session
        if ADMINISTRATOR not in session.officer.roles:
            return self.refused(request, session,
                                self.console_messages(request).gettext(
                                    "Only an administrator may open this page."), 403)
        return session

    async def admin_form(self, request: Request) -> tuple[Session | Response, Any]:
        session = await self.administrator(request)
        if isinstance(session, Response):
            return session, None
        form = await request.form()
        if not _csrf_ok(form, session):
            return self.refused(request, session, FAILURES["csrf"], 403), None
        return session, form

    def _login_page(self, request: Request, *, failure: str | None = None, status: int = 200,
                    officer_id: str = "") -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = self.render(request, "accounts/login.html", status, failure=failure,
                               officer_id=officer_id, csrf_token=token)
        self._set_cookie(response, request, "login-csrf", token, max_age=3600)
        return response

    def _second_factor_page(self, request: Request, session: Session, *,
                            failure: str | None = None, status: int = 200) -> HTMLResponse:
        secret = session.pending_totp_secret
        return self.render(
            request, "accounts/second_factor.html", status, session=session, failure=failure,
            enrolling=session.stage == "enrol_second_factor", secret=secret,
            uri=provisioning_uri(secret, session.officer.officer_id, self.service)
            if secret else None)

    async def _officers(self, request: Request, session: Session, problem: str = "",
                        status: int = 200) -> HTMLResponse:
        from siquan.contracts.types import division_scope

        listed = await self.store.officers(division_scope(session.officer.division))
        return self.render(request, "accounts/officers.html", status, session=session,
                           officers=listed, problem=problem)

    async def _officer_page(self, request: Request, session: Session, officer_id: str, *,
                            problem: str = "", notice: str = "", new_token: str = "",
                            status: int = 200) -> Response:
        actor = session.officer.officer()
        try:
            account = await self.store.get(officer_id)
            if not actor.covers(account.division):
                raise Refused(_("no such officer"))
        except Refused:
            return self.refused(request, session, self.console_messages(request).gettext(
                "There is no such officer in your division."), 404)
        tokens = await self.store.tokens(officer_id)
        messages = self.console_messages(request)
        return self.render(request, "accounts/officer.html", status, session=session,
                           account=account, tokens=tokens, problem=problem,
                           notice=messages.gettext(notice) if notice else "",
                           new_token=new_token, now=None)


def _csrf_ok(form: Any, session: Session) -> bool:
    return hmac.compare_digest(str(form.get(LOGIN_CSRF_FIELD, "")), session.csrf_token)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _client(request: Request) -> Client:
    return Client("console", request.client.host if request.client else None)


def install(app: FastAPI, service: str, store: AccountStore, title: str,
            amqp_url: str | None = None) -> AccountPages:
    """Serve the account pages (and, given the service's broker URL, its dead-letter pages)
    and accept the accounts' identities on the JSON API."""
    pages = AccountPages(service, store, title, amqp_url)
    app.include_router(pages.router())
    app.state.officers = pages
    app.state.account_pages = pages
    return pages

