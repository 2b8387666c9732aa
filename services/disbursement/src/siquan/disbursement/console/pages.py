"""The disbursement officer's console pages, under `/console/disbursement`:

- payee accounts: register or change where a beneficiary is paid, and the changes awaiting
  a second officer's confirmation (maker-checker: the officer who made a change sees why
  they cannot confirm it, and the use case refuses them if they try);
- payment runs: the runs of the division by program, period and status with their counts
  and sums, starting a run; a run's page with its progress (refreshed while it is under
  way), its skipped payees and the reasons, its failures and returns, and the retry of
  those whose account was corrected; the run as a spreadsheet (the documents API).

Each page is one unit of work calling the application layer (`accounts`, `runs`,
`retries`, `queries`); a refusal is shown with its 4xx status and the reason, in the
page's language (`console.reasons`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import ResidentId, division_scope
from siquan.disbursement.application import accounts, queries, retries, runs
from siquan.disbursement.console import bank_files
from siquan.disbursement.console.reasons import REASONS, changed_days, translated
from siquan.disbursement.console.views import LISTED, awaiting_confirmation
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.entrypoints.http import RegisterPayeeAccount, _rules
from siquan.shared.accounts.role_pages import RolePages
from siquan.shared.accounts.store import Session
from siquan.shared.errors import Refused
from siquan.shared.person import person_key

HERE = Path(__file__).parent
BASE = "/console/disbursement"
PAGE = 50
"""Runs listed on a page."""
STATUSES = ("awaiting_allocation", "waiting", "allocated", "completed")
_PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
_PROGRAM = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-S[12]|-O\d{1,4})?$")
_DIVISION = re.compile(r"^[0-9]{6}$")
_RESIDENT_ID: TypeAdapter[str] = TypeAdapter(ResidentId)
_BANK_CODE: TypeAdapter[str] = TypeAdapter(Annotated[
    (str, *RegisterPayeeAccount.model_fields["bank_code"].metadata)])
_ACCOUNT_NUMBER: TypeAdapter[str] = TypeAdapter(Annotated[
    (str, *RegisterPayeeAccount.model_fields["account_number"].metadata)])


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


NOT_THE_ROLE = _("Only a disbursement officer may open the disbursement pages.")
STATUS_NAMES = {"awaiting_allocation": _("Awaiting allocation"),
                "waiting": _("Waiting for money"), "allocated": _("Paying"),
                "completed": _("Completed")}
KIND_NAMES = {"regular": _("Regular"), "retry": _("Retry")}
PROBLEMS = {
    "resident_id": _("The resident ID number is not valid (18 characters, check digit)."),
    "bank_code": _("The bank code is 3 to 12 capital letters or digits."),
    "account_number": _("The account number is 12 to 30 digits."),
    "person": _("Choose the change to confirm from the list."),
    "program": _("Choose a program of the policy catalogue."),
    "period": _("The period is written like 2026-11."),
    "division": _("The division code has six digits."),
}


def _valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def install(app: FastAPI) -> None:
    """Serve the disbursement pages in the console (after `ServiceRuntime.http_app`)."""
    pages = RolePages(app.state.account_pages, "disbursement_officer", HERE / "templates",
                      HERE / "locale", not_the_role=NOT_THE_ROLE,
                      sections=[(f"{BASE}/payee-accounts", _("Payee accounts")),
                                (f"{BASE}/runs", _("Payment runs"))])
    app.include_router(_router(pages))


def _router(pages: RolePages) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    def runtime(request: Request) -> Any:
        return request.app.state.runtime

    def reason(request: Request, refused: Refused) -> str:
        return translated(str(refused), lambda text: pages.gettext(request, text))

    def common(request: Request) -> dict[str, Any]:
        return {"base": BASE, "reasons": {k: pages.gettext(request, v)
                                          for k, v in REASONS.items()},
                "status_names": {k: pages.gettext(request, v)
                                 for k, v in STATUS_NAMES.items()},
                "kind_names": {k: pages.gettext(request, v) for k, v in KIND_NAMES.items()},
                "programs": load_catalogue().cash_programs(), "statuses": STATUSES}

    # -- payee accounts -----------------------------------------------------------------

    async def accounts_page(request: Request, session: Session, *, notice: str = "",
                            problems: list[str] | None = None, form: dict[str, str] | None
                            = None, status: int = 200) -> Response:
        officer = session.officer.officer()
        async with runtime(request).units.reading() as uow:
            changes = await awaiting_confirmation(uow.conn, division_scope(officer.division))
        return pages.render(request, "disbursement/payee_accounts.html", status,
                            session=session, changes=changes, notice=notice,
                            problems=problems or [], form=form or {}, listed=LISTED,
                            me=officer.id, maker_note=pages.gettext(
                                request, REASONS[accounts.MAKER_IS_NOT_CHECKER]),
                            **common(request))

    def problems_of(request: Request, wrong: list[str]) -> list[str]:
        return [pages.gettext(request, PROBLEMS[w]) for w in wrong]

    @router.get("/payee-accounts")
    async def payee_accounts(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await accounts_page(request, session)

    @router.post("/payee-accounts")
    async def register(request: Request) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        typed = {name: str(form.get(name, "")).strip().upper()
                 for name in ("resident_id", "bank_code", "account_number")}
        wrong = [name for name, adapter in (("resident_id", _RESIDENT_ID),
                                            ("bank_code", _BANK_CODE),
                                            ("account_number", _ACCOUNT_NUMBER))
                 if not _valid(adapter, typed[name])]
        shown = {"bank_code": typed["bank_code"]}  # the ID and number are not shown back
        if wrong:
            return await accounts_page(request, session, form=shown, status=422,
                                       problems=problems_of(request, wrong))
        rt = runtime(request)
        command = accounts.RegisterPayeeAccount(
            session.officer.officer(), person_key(rt.settings.person_key_secret,
                                                  typed["resident_id"]),
            PayeeAccount(typed["bank_code"], typed["account_number"]))
        try:
            async with rt.units() as uow:
                registration = await accounts.register_payee_account(command, uow)
        except Refused as refused:
            return await accounts_page(request, session, form=shown, status=refused.status,
                                       problems=[reason(request, refused)])
        if not registration.changed:
            done = _("This account was registered already: nothing changed.")
        elif registration.awaiting_confirmation:
            done = _("The change was registered. It is paid once another disbursement "
                     "officer confirms it.")
        else:
            done = _("The account was registered.")
        return await accounts_page(request, session, notice=pages.gettext(request, done)
                                   + f" ({registration.masked_account})")

    @router.post("/payee-accounts/confirmations")
    async def confirm(request: Request) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        typed = {name: str(form.get(name, "")).strip()
                 for name in ("person_key", "bank_code", "account_number")}
        wrong = [name for name, ok in (
            ("person", bool(_PERSON_KEY.match(typed["person_key"]))),
            ("bank_code", _valid(_BANK_CODE, typed["bank_code"])),
            ("account_number", _valid(_ACCOUNT_NUMBER, typed["account_number"]))) if not ok]
        if wrong:
            return await accounts_page(request, session, status=422,
                                       problems=problems_of(request, wrong))
        command = accounts.ConfirmPayeeAccount(
            session.officer.officer(), typed["person_key"],
            PayeeAccount(typed["bank_code"], typed["account_number"]))
        try:
            async with runtime(request).units() as uow:
                confirmed = await accounts.confirm_payee_account(command, uow)
        except Refused as refused:
            return await accounts_page(request, session, status=refused.status,
                                       problems=[reason(request, refused)])
        return await accounts_page(request, session, notice=pages.gettext(
            request, _("The change was confirmed: the account is paid from the next run."))
            + f" ({confirmed.masked_account})")

    # -- payment runs -------------------------------------------------------------------

    async def runs_page(request: Request, session: Session, *, problems: list[str] | None
                        = None, form: dict[str, str] | None = None, status: int = 200
                        ) -> Response:
        asked = request.query_params
        program = asked.get("program_code", "")
        period = asked.get("period", "")
        state = asked.get("status", "")
        offset_text = asked.get("offset", "0")
        offset = int(offset_text) if offset_text.isdigit() and len(offset_text) < 7 else 0
        officer = session.officer.officer()
        async with runtime(request).units.reading() as uow:
            found = await queries.search_runs(
                uow, officer, program_code=program if _PROGRAM.match(program) else None,
                period=period if _PERIOD.match(period) else None,
                status=state if state in STATUSES else None, limit=PAGE, offset=offset)
        kept = {"program_code": program, "period": period, "status": state}

        def page_link(at: int) -> str:
            return f"{BASE}/runs?{urlencode({**kept, 'offset': at})}"

        return pages.render(
            request, "disbursement/runs.html", status, session=session, found=found,
            program_code=program, period=period, status_asked=state, problems=problems or [],
            form=form or {"division_code": officer.division},
            previous=page_link(max(offset - PAGE, 0)) if offset else "",
            next=page_link(offset + PAGE) if offset + PAGE < found["total"] else "",
            **common(request))

    @router.get("/runs")
    async def run_list(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await runs_page(request, session)

    @router.post("/runs")
    async def start(request: Request) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        typed = {name: str(form.get(name, "")).strip()
                 for name in ("program_code", "period", "division_code")}
        wrong = [name for name, ok in (
            ("program", typed["program_code"] in load_catalogue().cash_programs()),
            ("period", bool(_PERIOD.match(typed["period"]))),
            ("division", bool(_DIVISION.match(typed["division_code"])))) if not ok]
        if wrong:
            return await runs_page(request, session, form=typed, status=422,
                                   problems=problems_of(request, wrong))
        rt = runtime(request)
        command = runs.StartPaymentRun(session.officer.officer(), typed["program_code"],
                                       typed["period"], typed["division_code"], _rules(rt))
        try:
            async with rt.units() as uow:
                started = await runs.start_run(command, uow)
        except Refused as refused:
            return await runs_page(request, session, form=typed, status=refused.status,
                                   problems=[reason(request, refused)])
        return RedirectResponse(f"{BASE}/runs/{quote(started.run.id)}", 303)

    async def run_page(request: Request, session: Session, run_id: str, *,
                       problem: str = "", status: int = 200, **shown: Any) -> Response:
        try:
            async with runtime(request).units.reading() as uow:
                run = await queries.show_run(uow, session.officer.officer(), run_id)
        except Refused as refused:
            return pages.refused(request, session, reason(request, refused), refused.status)
        counts = run["counts"]
        done = counts["settled"] + counts["failed"] + counts["cancelled"]
        payees = run["control_totals"]["payee_count"]
        return pages.render(
            request, "disbursement/run.html", status, session=session, run=run,
            problem=problem, done=done, payees=payees, changed_days=changed_days,
            percent=100 if run["status"] == "completed" or not payees
            else min(100, done * 100 // payees),
            rejection=translated(run["rejection_reason"],
                                 lambda text: pages.gettext(request, text))
            if run["rejection_reason"] else "",
            xlsx=f"/runs/{quote(run_id)}.xlsx", **common(request),
            **bank_files.context(request, pages, run_id), **shown)

    @router.get("/runs/{run_id}")
    async def run_detail(request: Request, run_id: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await run_page(request, session, run_id)

    @router.post("/runs/{run_id}/retries")
    async def retry_run(request: Request, run_id: str) -> Response:
        session, _form = await pages.form(request)
        if isinstance(session, Response):
            return session
        rules = _rules(runtime(request))
        command = retries.RetryRun(session.officer.officer(), run_id,
                                   rules.account_change_flag_days, rules.chunk_size)
        try:
            async with runtime(request).units() as uow:
                started = await retries.retry_run(command, uow)
        except Refused as refused:
            return await run_page(request, session, run_id, problem=reason(request, refused),
                                  status=refused.status)
        return RedirectResponse(f"{BASE}/runs/{quote(started.run.id)}", 303)

    bank_files.install(router, pages, BASE, run_page)

    @router.get("/progress.js")
    async def progress_script() -> Response:
        return Response((HERE / "progress.js").read_bytes(),
                        media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600"})

    return router
