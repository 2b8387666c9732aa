"""The treasury officer's console pages, under `/console/treasury`: the special accounts
per program and year; an account's balances per fiscal level (forecast vs. appropriated
vs. outstanding, from the balances report) with the allocations waiting and their
shortfall; recording an appropriation by fiscal level; the year-end statement, printable,
with its XLSX and PDF downloads (the documents API, which takes the console's session).

Each page is one unit of work calling the application layer (`queries`,
`record_appropriation`, `statements`); a refusal is shown with its 4xx status and the
reason in the page's language (`console.reasons`)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import division_scope
from siquan.fund_custody.application import queries, statements
from siquan.fund_custody.application.appropriations import (
    RecordAppropriation,
    record_appropriation,
)
from siquan.fund_custody.console.reasons import LEVEL_NAMES, translated
from siquan.fund_custody.console.views import LISTED, accounts_within
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.accounts.role_pages import RolePages
from siquan.shared.accounts.store import Session
from siquan.shared.errors import Refused

HERE = Path(__file__).parent
BASE = "/console/treasury"
_PROGRAM = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_DIVISION = re.compile(r"^[0-9]{6}$")
_DOCUMENT = re.compile(r"^\S(.*\S)?$")


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


FREQUENCY_NAMES = {"monthly": _("Monthly"), "semester": _("Half-yearly"),
                   "yearly": _("Yearly"), "one_off": _("One-off")}
NOT_THE_ROLE = _("Only a treasury officer may open the treasury pages.")
PROBLEMS = {
    "program": _("Choose a program of the policy catalogue."),
    "year": _("The fiscal year is a year from 2000 to 2100."),
    "division": _("The division code has six digits."),
    "level": _("Choose the fiscal level that paid the money in."),
    "amount": _("The amount is in yuan, positive, with at most two decimals."),
    "document": _("The document number has at most 64 characters, without spaces at "
                  "either end."),
}


def fen_of(text: str) -> int | None:
    """An amount typed in yuan (`12345.6`, `12,345.60`) as fen; None unless positive with
    at most two decimals."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return int(value * 100)


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def account_link(key: AccountKey) -> str:
    return (f"{BASE}/accounts/{quote(key.program_code)}/{key.fiscal_year}/"
            f"{quote(key.division_code)}")


def install(app: FastAPI) -> None:
    """Serve the treasury pages in the console (after `ServiceRuntime.http_app`)."""
    pages = RolePages(app.state.account_pages, "treasury_officer", HERE / "templates",
                      HERE / "locale", sections=[(BASE, _("Special accounts"))],
                      not_the_role=NOT_THE_ROLE)
    app.include_router(_router(pages))


def _router(pages: RolePages) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    def units(request: Request) -> Any:
        return request.app.state.runtime.units

    def reason(request: Request, refused: Refused) -> str:
        return translated(str(refused), lambda text: pages.gettext(request, text))

    def common(request: Request) -> dict[str, Any]:
        return {"base": BASE, "levels": FISCAL_LEVELS,
                "level_names": {k: pages.gettext(request, v) for k, v in LEVEL_NAMES.items()},
                "frequency_names": {k: pages.gettext(request, v)
                                    for k, v in FREQUENCY_NAMES.items()},
                "programs": load_catalogue().cash_programs(), "account_link": account_link}

    async def overview(request: Request, session: Session, *, form: dict[str, str] | None
                       = None, problems: list[str] | None = None, status: int = 200
                       ) -> Response:
        program = request.query_params.get("program_code", "")
        year_text = request.query_params.get("fiscal_year", "")
        officer = session.officer.officer()
        listed = []
        async with units(request).reading() as uow:
            for key in await accounts_within(
                    uow.conn, division_scope(officer.division),
                    program if _PROGRAM.match(program) else None, _year(year_text)):
                listed.append(await queries.account_balances(uow, officer, key))
        this_year = request.app.state.runtime.clock.now().year
        return pages.render(request, "treasury/accounts.html", status, session=session,
                            accounts=listed, program_code=program, fiscal_year=year_text,
                            form=form or {"division_code": officer.division,
                                          "fiscal_year": str(this_year)},
                            problems=problems or [], listed=LISTED, **common(request))

    @router.get("")
    async def accounts(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await overview(request, session)

    @router.post("/appropriations")
    async def appropriate(request: Request) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        typed = {name: str(form.get(name, "")).strip()
                 for name in ("program_code", "fiscal_year", "division_code", "fiscal_level",
                              "amount", "document_number")}
        problems = []
        if typed["program_code"] not in load_catalogue().cash_programs():
            problems.append("program")
        if _year(typed["fiscal_year"]) is None:
            problems.append("year")
        if not _DIVISION.match(typed["division_code"]):
            problems.append("division")
        if typed["fiscal_level"] not in FISCAL_LEVELS:
            problems.append("level")
        amount = fen_of(typed["amount"])
        if amount is None:
            problems.append("amount")
        document = typed["document_number"] or None
        if document is not None and (len(document) > 64 or not _DOCUMENT.match(document)):
            problems.append("document")
        if problems or amount is None:
            return await overview(request, session, form=typed, status=422, problems=[
                pages.gettext(request, PROBLEMS[p]) for p in problems])
        key = AccountKey(typed["program_code"], int(typed["fiscal_year"]),
                         typed["division_code"])
        try:
            async with units(request)() as uow:
                outcome = await record_appropriation(uow, session.officer.officer(),
                                                     RecordAppropriation(
                                                         key, typed["fiscal_level"],  # type: ignore[arg-type]
                                                         amount, document))
        except Refused as refused:
            return await overview(request, session, form=typed, status=refused.status,
                                  problems=[reason(request, refused)])
        which = "recorded" if outcome.recorded else "known"
        return RedirectResponse(f"{account_link(key)}?appropriation={which}", 303)

    @router.get("/accounts/{program_code}/{fiscal_year}/{division_code}")
    async def balances(request: Request, program_code: str, fiscal_year: int,
                       division_code: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        key = AccountKey(program_code, fiscal_year, division_code)
        try:
            async with units(request).reading() as uow:
                report = await queries.balances_report(uow, session.officer.officer(), key)
                summary = await queries.account_balances(uow, session.officer.officer(), key)
        except Refused as refused:
            return pages.refused(request, session, reason(request, refused), refused.status)
        notice = {"recorded": _("The appropriation was recorded."),
                  "known": _("This document was recorded before: nothing was booked "
                             "twice.")}.get(request.query_params.get("appropriation", ""))
        return pages.render(request, "treasury/balances.html", session=session,
                            report=report, summary=summary, key=key,
                            notice=pages.gettext(request, notice) if notice else "",
                            form={"program_code": program_code,
                                  "fiscal_year": str(fiscal_year),
                                  "division_code": division_code},
                            problems=[], **common(request))

    statement_path = "/accounts/{program_code}/{fiscal_year}/{division_code}/statement"

    async def statement_page(request: Request, session: Session, key: AccountKey, *,
                             problem: str = "", status: int = 200) -> Response:
        try:
            async with units(request).reading() as uow:
                found = statements.as_dict(await statements.statement_of(
                    uow, session.officer.officer(), key))
        except Refused as refused:
            if refused.status != 404:
                return pages.refused(request, session, reason(request, refused),
                                     refused.status)
            found = None
        documents = (f"/statements/{quote(key.program_code)}/{key.fiscal_year}/"
                     f"{quote(key.division_code)}")
        return pages.render(request, "treasury/statement.html", status, session=session,
                            key=key, statement=found, problem=problem,
                            xlsx=f"{documents}.xlsx", pdf=f"{documents}.pdf",
                            **common(request))

    @router.get(statement_path)
    async def statement(request: Request, program_code: str, fiscal_year: int,
                        division_code: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await statement_page(request, session,
                                    AccountKey(program_code, fiscal_year, division_code))

    @router.post(statement_path)
    async def produce(request: Request, program_code: str, fiscal_year: int,
                      division_code: str) -> Response:
        session, _form = await pages.form(request)
        if isinstance(session, Response):
            return session
        key = AccountKey(program_code, fiscal_year, division_code)
        try:
            async with units(request)() as uow:
                await statements.produce_statement(uow, session.officer.officer(), key)
        except Refused as refused:
            return await statement_page(request, session, key,
                                        problem=reason(request, refused),
                                        status=refused.status)
        return RedirectResponse(f"{account_link(key)}/statement", 303)

    return router
