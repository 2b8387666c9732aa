"""The eligibility console's pages: applications and their review chain, the public
notice, certifications. Each page finds the signed-in session through the account pages
(`app.state.account_pages`), checks the role, and calls the application layer in a unit
of work as the JSON API does; a refusal of the application layer is shown with its status
(403 out of role or division, 404, 409, 422), never as a server error."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from siquan.eligibility.application import (
    approvals,
    case_changes,
    certifications,
    exports,
    intake,
    queries,
    reviews,
)
from siquan.eligibility.application import notices as notice_commands
from siquan.eligibility.console.reasons import (
    EVIDENCE_NAMES,
    field_problem,
    history,
    translated,
)
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.survey import FACT_COLUMNS, facts_of
from siquan.eligibility.entrypoints.schemas import SubmitApplication
from siquan.shared.accounts.store import Session
from siquan.shared.accounts.web import PREFIX, AccountPages
from siquan.shared.auth import Officer
from siquan.shared.console.i18n import chosen_locale, translations
from siquan.shared.console.rendering import Console
from siquan.shared.errors import Refused

HERE = Path(__file__).parent
BASE = f"{PREFIX}/eligibility"
CLERK, REVIEWER, APPROVER, AUDITOR = ("clerk", "township_reviewer", "county_approver",
                                      "auditor")
READERS = (CLERK, REVIEWER, APPROVER, AUDITOR)
LISTED = 500
"""Applications listed on a page, at most (oldest first)."""

console = Console(HERE / "templates", HERE / "locale", title="Siquan 资格确认")
router = APIRouter(prefix=BASE, include_in_schema=False)


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


STATUS_NAMES = {
    "submitted": _("Submitted"), "community_reviewed": _("Community reviewed"),
    "township_reviewed": _("Township reviewed"), "on_notice": _("On public notice"),
    "notice_closed": _("Notice closed"), "certified": _("Certified"),
    "rejected": _("Rejected"), "active": _("Active"), "suspended": _("Suspended"),
    "revoked": _("Revoked"), "lapsed": _("Lapsed"),
}
NOTICE_STATES = {"open": _("Posted"), "closed": _("Closed")}
OBJECTION_STATES = {"open": _("Awaiting oversight's resolution"), "upheld": _("Upheld"),
                    "dismissed": _("Dismissed")}
OTHER_EVIDENCE = "evidence"
NOT_YOUR_ROLE = _("Your role does not allow this page.")
CSRF = _("The form expired or did not come from this console. Reload the page and try "
         "again.")
STATED_PURPOSE = _("State why you read this record.")


# -- the frame ---------------------------------------------------------------------------

SECTIONS = ((CLERK, "/applications", _("Applications")),
            (CLERK, "/imports/new", _("Import a survey")),
            (REVIEWER, "/queues/township", _("Township review queue")),
            (APPROVER, "/queues/county", _("County approval queue")),
            *((role, "/certifications", _("Certifications")) for role in READERS),
            *((role, "/reconfirmations", _("Yearly re-confirmation"))
              for role in (CLERK, REVIEWER, APPROVER, AUDITOR)),
            *((role, "/timeliness", _("Timeliness")) for role in (REVIEWER, APPROVER,
                                                                 AUDITOR)))


def install(app: FastAPI) -> None:
    """Serve the pages, each role's entries in the console's navigation (after
    `ServiceRuntime.http_app`)."""
    pages: AccountPages = app.state.account_pages
    for role, path, label in SECTIONS:
        pages.sections.append((role, f"{BASE}{path}",
                               lambda request, label=label: _gettext(request)(label)))
    app.include_router(router)
    from siquan.eligibility.console import (  # they build on this module's frame
        cases,
        worklists,
    )

    worklists.install(app)
    cases.install(app)


def _pages(request: Request) -> AccountPages:
    pages: AccountPages = request.app.state.account_pages
    return pages


def _units(request: Request) -> Any:
    return request.app.state.runtime.units


def _gettext(request: Request) -> Any:
    return translations(console.catalogue, chosen_locale(request), console.domain).gettext


def render(request: Request, session: Session, template: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    gettext = _gettext(request)
    response = console.render(
        request, template, status, session=session, officer=session.officer.officer(),
        prefix=PREFIX, base=BASE, csrf_token=session.csrf_token,
        status_names={k: gettext(v) for k, v in STATUS_NAMES.items()},
        notice_states={k: gettext(v) for k, v in NOTICE_STATES.items()},
        objection_states={k: gettext(v) for k, v in OBJECTION_STATES.items()},
        evidence_names={k: gettext(v) for k, v in EVIDENCE_NAMES.items()}, **context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def refused(request: Request, session: Session, reason: str, status: int) -> HTMLResponse:
    """The reason on the console's message page: a catalogue text, or the application
    layer's refusal as it stands (it names ids, never a person's data)."""
    return render(request, session, "eligibility/message.html", status,
                  message=translated(reason, _gettext(request)))


async def _session(request: Request, *roles: str) -> Session | Response:
    """The signed-in officer holding one of `roles`, or the page to show instead."""
    session = await _pages(request).signed_in(request)
    if isinstance(session, Response):
        return session
    if not set(roles) & set(session.officer.roles):
        return refused(request, session, NOT_YOUR_ROLE, 403)
    return session


async def _posted(request: Request, *roles: str) -> tuple[Session | Response, FormData]:
    """The session and the form of a state-changing request, its CSRF token checked."""
    session = await _session(request, *roles)
    form = await request.form()
    if isinstance(session, Response):
        return session, form
    if not hmac.compare_digest(str(form.get("csrf_token", "")), session.csrf_token):
        return refused(request, session, CSRF, 403), form
    return session, form


def _text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _file(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def _purpose(request: Request, session: Session, path: str) -> str | Response:
    """Why the officer reads the person's record at `path` (recorded with the read), or
    the form asking it."""
    purpose = request.query_params.get("purpose", "").strip()[:200]
    if not purpose:
        return render(request, session, "eligibility/purpose.html", action=f"{BASE}{path}")
    return purpose


def evidence_choices(kinds: Iterable[str], chosen: str = "", *, on_file: Iterable[str] = (),
                     other: bool = True) -> list[dict[str, Any]]:
    """The options of a "kind of evidence" select, codes the template labels by name:
    `kinds`, then the "other document" kind when `other`. `chosen` is selected (kept as an
    option of its own when it is none of them: a form shown again keeps what was posted),
    else the first of `kinds` not `on_file`, else the last option."""
    values = list(dict.fromkeys(kinds))
    if other and OTHER_EVIDENCE not in values:
        values.append(OTHER_EVIDENCE)
    if chosen and chosen not in values:
        values.append(chosen)
    filed = set(on_file)
    selected = chosen or next((v for v in values if v not in filed),
                              values[-1] if values else "")
    return [{"value": value, "selected": value == selected} for value in values]


def _detail_link(application_id: str, purpose: str) -> str:
    return f"{BASE}/applications/{quote(application_id)}?{urlencode({'purpose': purpose})}"


# -- applications ------------------------------------------------------------------------

async def _programs(request: Request, officer: Officer) -> list[dict[str, Any]]:
    """The program and category choices of the policy in force in the officer's county,
    each with the kinds of evidence it requires."""
    async with _units(request).reading() as uow:
        today = uow.today()
        choices = []
        for program in uow.policies.programs():
            try:
                policy = uow.policies.in_force(program, today, officer.division[:6])
            except KeyError:
                continue
            choices += [{"value": f"{program}/{b.category}",
                         "label": f"{policy.name_zh} · {b.label_zh}",
                         "kinds": policy.required_evidence(b.category)}
                        for b in policy.benefits]
    return choices


async def _listing(request: Request, session: Session, *, statuses: tuple[str, ...],
                   title: str, purpose: str) -> Response:
    """Applications of the officer's division (or a division within it) in `statuses`,
    filtered by program and by age in days, oldest first."""
    officer = session.officer.officer()
    division = request.query_params.get("division", "").strip() or officer.division
    program = request.query_params.get("program", "").strip() or None
    age_text = request.query_params.get("min_age", "").strip()
    min_age = int(age_text) if age_text.isdigit() else 0
    if not division.isdigit() or not officer.covers(division):
        return refused(request, session, _("You act for another division."), 403)
    found: list[dict[str, Any]] = []
    async with _units(request).reading() as uow:
        now = uow.now()
        for status in statuses or (None,):
            found += await uow.views.applications(division=division, status=status,
                                                  program_code=program, limit=LISTED,
                                                  offset=0)
    rows = []
    for row in sorted(found, key=lambda r: (r["submitted_at"], r["id"])):
        age = (now - row["submitted_at"]).days
        if age >= min_age:
            rows.append({**row, "age": age, "link": _detail_link(row["id"], purpose)})
    return render(request, session, "eligibility/applications.html", rows=rows,
                  title=title, division=division, program=program or "",
                  min_age=age_text if min_age else "", listed=LISTED,
                  programs=sorted({r["program_code"] for r in found} | (
                      {program} if program else set())),
                  notices=sorted({r["notice_id"] for r in rows if r["notice_id"]}))


@router.get("/applications")
async def applications(request: Request) -> Response:
    session = await _session(request, *READERS)
    if isinstance(session, Response):
        return session
    return await _listing(request, session, statuses=(), title=_("Applications"),
                          purpose=_("Applications of my division"))


@router.get("/queues/township")
async def township_queue(request: Request) -> Response:
    session = await _session(request, REVIEWER)
    if isinstance(session, Response):
        return session
    return await _listing(request, session,
                          statuses=("submitted", "community_reviewed", "township_reviewed"),
                          title=_("Township review queue"), purpose=_("Township review"))


@router.get("/queues/county")
async def county_queue(request: Request) -> Response:
    session = await _session(request, APPROVER)
    if isinstance(session, Response):
        return session
    return await _listing(request, session, statuses=("on_notice", "notice_closed"),
                          title=_("County approval queue"), purpose=_("County approval"))


def _new_form(request: Request, session: Session, programs: list[dict[str, Any]],
              values: dict[str, str], problems: list[str], status: int = 200
              ) -> HTMLResponse:
    """The form, its kinds of evidence those of every program and category offered (the
    category is chosen in the same form), in the order of `EVIDENCE_NAMES`."""
    required = {kind for p in programs for kind in p["kinds"]}
    order = list(EVIDENCE_NAMES)
    kinds = sorted(required, key=lambda k: (order.index(k) if k in order else len(order), k))
    return render(request, session, "eligibility/new_application.html", status,
                  programs=programs, values=values, problems=problems,
                  evidence_kinds=evidence_choices(
                      kinds, values.get("evidence_kind", "") or OTHER_EVIDENCE))


@router.get("/applications/new")
async def new_application(request: Request) -> Response:
    session = await _session(request, CLERK)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    return _new_form(request, session, await _programs(request, officer),
                     {"division_code": officer.division}, [])


@router.post("/applications")
async def submit(request: Request) -> Response:
    """Validated as the JSON API validates its body; the application and its evidence
    file are entered in one unit of work."""
    session, form = await _posted(request, CLERK)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    fields = ("resident_id", "name", "program", "division_code", "eligible_from",
              "contact_phone", "evidence_kind", *FACT_COLUMNS)
    values = {name: _text(form, name) for name in fields}
    program, _slash, category = values["program"].partition("/")
    programs = await _programs(request, officer)
    try:
        body = SubmitApplication.model_validate({
            "resident_id": values["resident_id"].upper(), "name": values["name"],
            "program_code": program, "category": category,
            "division_code": values["division_code"],
            "eligible_from": values["eligible_from"],
            "contact_phone": values["contact_phone"] or None})
    except ValidationError as invalid:
        problems = [field_problem(e["loc"], e["msg"], _gettext(request))
                    for e in invalid.errors(include_input=False)]
        return _new_form(request, session, programs, values, problems, 422)
    facts = facts_of(body.resident_id, values)
    if isinstance(facts, list):
        return _new_form(request, session, programs, values,
                         [field_problem((field,), message, _gettext(request))
                          for field, message in facts], 422)
    evidence = _file(form, "evidence")
    content = await evidence.read() if evidence else b""
    try:
        async with _units(request)() as uow:
            application_id, conflicts = await intake.submit_application(intake.SubmitApplication(
                officer, resident_id=body.resident_id, name=body.name,
                program_code=body.program_code, category=body.category,
                division_code=body.division_code, eligible_from=body.eligible_from,
                facts=facts, contact_phone=body.contact_phone), uow)
            if evidence is not None:
                await intake.add_evidence(intake.AddEvidence(
                    officer, application_id, kind=values["evidence_kind"] or "evidence",
                    filename=evidence.filename or "evidence",
                    content_type=evidence.content_type or "application/octet-stream",
                    content=content), uow)
    except Refused as refusal:
        return _new_form(request, session, programs, values,
                         [translated(str(refusal), _gettext(request))],
                         refusal.status)
    return render(request, session, "eligibility/entered.html", 201, name=body.name,
                  conflicts=conflicts, with_evidence=evidence is not None,
                  link=_detail_link(application_id, _("Entered the application")))


def _approval_blocker(application: Application, officer: Officer) -> str:
    """Why this officer may not approve or reject it (the domain's own check), or ''."""
    try:
        application.check_approver(officer.id)
    except Refused as refusal:
        return str(refusal)
    return ""


@router.get("/applications/{application_id}")
async def application(request: Request, application_id: str) -> Response:
    """One application; reading it is recorded with the purpose the officer stated."""
    session = await _session(request, *READERS)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    purpose = _purpose(request, session, f"/applications/{quote(application_id)}")
    if isinstance(purpose, Response):
        return purpose
    try:
        async with _units(request)() as uow:
            shown = await queries.application(uow, officer, application_id, purpose)
            found = await uow.applications.get(application_id)
            today = uow.today()
            required = _required_evidence(uow, found, today)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    roles = set(officer.roles)
    return render(request, session, "eligibility/application.html", a=shown,
                  purpose=purpose, today=today.isoformat(),
                  can_community=found.status == "submitted" and bool(
                      roles & {CLERK, REVIEWER}),
                  can_review=found.status == "community_reviewed" and REVIEWER in roles,
                  can_approve=found.status in ("on_notice", "notice_closed")
                  and APPROVER in roles,
                  blocker=translated(blocker, _gettext(request)) if (
                      blocker := _approval_blocker(found, officer)) else "",
                  can_add_evidence=found.live and bool(roles & {CLERK, REVIEWER}),
                  evidence_kinds=evidence_choices(
                      required, on_file=[e["kind"] for e in shown["evidence"]]),
                  back=_detail_link(application_id, purpose))


def _required_evidence(uow: Any, found: Application, on: date) -> tuple[str, ...]:
    """The kinds of evidence the application's category requires under the version in
    force (as its approval checks them); every named kind when none is in force."""
    try:
        policy = uow.policies.in_force(found.program_code, on, found.division_code)
        return tuple(policy.required_evidence(found.category))
    except KeyError:
        return tuple(kind for kind in EVIDENCE_NAMES if kind != OTHER_EVIDENCE)


async def _act(request: Request, application_id: str, roles: tuple[str, ...],
               action: Any) -> Response:
    """Run `action(officer, form)` and show the application again, or the refusal."""
    session, form = await _posted(request, *roles)
    if isinstance(session, Response):
        return session
    try:
        await action(session.officer.officer(), form)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    purpose = _text(form, "purpose", 200) or "console"
    return RedirectResponse(_detail_link(application_id, purpose), 303)


@router.post("/applications/{application_id}/community-review")
async def community_review(request: Request, application_id: str) -> Response:
    async def action(officer: Officer, form: FormData) -> None:
        async with _units(request)() as uow:
            found = await uow.applications.get(application_id)
            failed = _text(form, "outcome") == "rejected"
            held_text = _text(form, "held_on")
            present = _text(form, "present")
            try:
                held_on = date.fromisoformat(held_text)
            except ValueError as exc:
                raise Refused(_("Give the date of the meeting.")) from exc
            if not present.isdigit() or int(present) < 1:
                raise Refused(_("Give the number of people present."))
            await reviews.record_community_review(reviews.RecordCommunityReview(
                officer, division_code=found.scope, held_on=held_on, present=int(present),
                verdicts=reviews.Verdicts([] if failed else [application_id],
                                          {application_id: _text(form, "reason")}
                                          if failed else {})), uow)
    return await _act(request, application_id, (CLERK, REVIEWER), action)


@router.post("/applications/{application_id}/review")
async def township_review(request: Request, application_id: str) -> Response:
    async def action(officer: Officer, form: FormData) -> None:
        failed = _text(form, "outcome") == "rejected"
        verdicts = reviews.Verdicts([] if failed else [application_id],
                                    {application_id: _text(form, "reason")} if failed else {})
        async with _units(request)() as uow:
            await reviews.review(reviews.ReviewApplications(officer, verdicts), uow)
    return await _act(request, application_id, (REVIEWER,), action)


@router.post("/applications/{application_id}/approve")
async def approve(request: Request, application_id: str) -> Response:
    """Approve, or reject at the county's re-check with a reason; the application layer
    refuses an approver who took an earlier step whatever the page showed."""
    async def action(officer: Officer, form: FormData) -> None:
        rejected = _text(form, "outcome") == "rejected"
        command = approvals.Approve(
            officer, application_ids=[] if rejected else [application_id],
            rejections={application_id: _text(form, "reason")} if rejected else {})
        async with _units(request)() as uow:
            await approvals.close_due_notices(command, uow)
        async with _units(request)() as uow:
            await approvals.approve(command, uow)
    return await _act(request, application_id, (APPROVER,), action)


@router.post("/applications/{application_id}/evidence")
async def add_evidence(request: Request, application_id: str) -> Response:
    async def action(officer: Officer, form: FormData) -> None:
        evidence = _file(form, "evidence")
        if evidence is None:
            raise Refused(_("Choose the evidence file."))
        async with _units(request)() as uow:
            await intake.add_evidence(intake.AddEvidence(
                officer, application_id, kind=_text(form, "evidence_kind", 64) or "evidence",
                filename=evidence.filename or "evidence",
                content_type=evidence.content_type or "application/octet-stream",
                content=await evidence.read()), uow)
    return await _act(request, application_id, (CLERK, REVIEWER), action)


# -- the public notice -------------------------------------------------------------------

@router.post("/notices")
async def publish_notice(request: Request) -> Response:
    session, form = await _posted(request, REVIEWER)
    if isinstance(session, Response):
        return session
    ids = [str(v) for v in form.getlist("application_id") if str(v).strip()]
    try:
        async with _units(request)() as uow:
            notice = await notice_commands.publish_notice(notice_commands.PublishNotice(
                session.officer.officer(), program_code=_text(form, "program"),
                division_code=_text(form, "division"), application_ids=ids or None), uow)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    return RedirectResponse(f"{BASE}/notices/{quote(notice.id)}", 303)


@router.get("/notices/{notice_id}")
async def notice(request: Request, notice_id: str) -> Response:
    """The notice as it is posted (masked names and IDs), printable from the browser or
    as the PDF, and the objections received against its entries."""
    session = await _session(request, *READERS)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    try:
        async with _units(request).reading() as uow:
            printed = await exports.notice(uow, officer, notice_id)
            shown = await queries.notice(uow, officer, notice_id)
            scope = shown["township_code"] or shown["division_code"]
            entries = [r for r in await uow.views.applications(
                division=scope, status=None, program_code=shown["program_code"],
                limit=LISTED, offset=0) if r["notice_id"] == notice_id]
            objections = []
            for entry in entries:
                detail = await uow.views.application_detail(entry["id"])
                objections += [{**o, "application_id": entry["id"],
                                "masked_name": entry["masked_name"]}
                               for o in detail["objections"]]
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    return render(request, session, "eligibility/notice.html", printed=printed,
                  notice=shown, objections=objections,
                  pdf=f"/notices/{quote(notice_id)}.pdf")


# -- certifications ----------------------------------------------------------------------

@router.get("/certifications")
async def certifications_list(request: Request) -> Response:
    session = await _session(request, REVIEWER, APPROVER, AUDITOR)
    if isinstance(session, Response):
        return session
    from siquan.contracts.types import division_scope

    officer = session.officer.officer()
    async with _units(request).reading() as uow:
        rows = await uow.views.certifications(None, division_scope(officer.division),
                                              None, limit=LISTED, offset=0)
    return render(request, session, "eligibility/certifications.html", rows=rows,
                  listed=LISTED)


@router.get("/certifications/{certification_id}")
async def certification(request: Request, certification_id: str) -> Response:
    session = await _session(request, REVIEWER, APPROVER, AUDITOR)
    if isinstance(session, Response):
        return session
    purpose = _purpose(request, session, f"/certifications/{quote(certification_id)}")
    if isinstance(purpose, Response):
        return purpose
    try:
        return await _certification_page(request, session, certification_id, purpose)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)


class _FormNotOffered(Exception):
    """The refused form is no longer on the certification's page (the certification
    ended meanwhile, say): its refusal is shown on the message page."""


async def case_form_refused(request: Request, session: Session, case_form: str,
                            form: FormData, fields: Iterable[str], reason: str,
                            status: int, certification_id: str = "") -> HTMLResponse:
    """The certification page again with its `case_form` ("transfer", "category_change"
    or "evidence") refused: the reason at the top of that form, its `fields` holding what
    the officer posted (a file is chosen again) and the page's other forms empty. Reading
    the page is recorded with the purpose the form carries, as the page's own read is;
    without one, or when the officer may not read the certification, the reason on the
    message page. The certification is the form's `certification_id` unless named."""
    certification_id = certification_id or _text(form, "certification_id", 64)
    purpose = _text(form, "purpose", 200)
    if certification_id and purpose:
        try:
            return await _certification_page(
                request, session, certification_id, purpose, status,
                case_form=case_form, kept={name: _text(form, name) for name in fields},
                refusal=reason)
        except (Refused, _FormNotOffered):
            pass
    return refused(request, session, reason, status)


async def _certification_page(request: Request, session: Session, certification_id: str,
                              purpose: str, status: int = 200, **refused_form: Any
                              ) -> HTMLResponse:
    """The certification's page, its read recorded with `purpose` (raises `Refused`
    when the officer may not read it); `refused_form` is the refused case form's
    `case_form`, `kept` values and `refusal` (the reason, translated here with the
    program's category names)."""
    english = chosen_locale(request) == "en"
    async with _units(request)() as uow:
        shown = await queries.certification(uow, session.officer.officer(),
                                            certification_id, None, purpose)
        today = uow.today()
        program_name, categories = _categories(uow, shown["program_code"],
                                               shown["division_code"], today,
                                               english=english)
        found = await uow.certifications.get(certification_id)
        evidence = (await uow.views.application_detail(found.application_id))["evidence"]
        kinds = case_changes.filed_kinds(uow, found) if found.live and categories else []
        live = APPROVER in session.officer.roles and shown["status"] in ("active",
                                                                         "suspended")
        others = [c for c in categories if c[0] != shown["category"]]
        can_file = found.live and bool(set(session.officer.roles) & {REVIEWER, APPROVER})
        offered = {"transfer": live, "category_change": live and bool(others),
                   "evidence": can_file and bool(kinds)}
        if refused_form and not offered.get(refused_form["case_form"]):
            raise _FormNotOffered  # before the read is recorded
    gettext = _gettext(request)
    # a category by its name on a Chinese page (the policy names them in Chinese only)
    names = {} if english else dict(categories)
    if refused_form:
        refused_form["refusal"] = translated(refused_form["refusal"], gettext, names)
    return render(request, session, "eligibility/certification.html", status, c=shown,
                  program_name=program_name,
                  category_name=names.get(shown["category"], ""),
                  history_reason=lambda reason: history(reason, gettext, names),
                  purpose=purpose, can_revoke=live, can_change_case=live,
                  evidence=evidence,
                  evidence_kinds=evidence_choices(
                      kinds, _kept(refused_form, "evidence", "evidence_kind"),
                      on_file=[e["kind"] for e in evidence], other=False),
                  can_file_evidence=can_file,
                  categories=others,
                  next_month=(today.replace(day=1) + timedelta(days=32)).replace(day=1),
                  **{"case_form": "", "kept": {}, "refusal": "", **refused_form})


def _kept(refused_form: dict[str, Any], case_form: str, name: str) -> str:
    """What the refused `case_form` held in field `name` (empty for any other form)."""
    if refused_form.get("case_form") != case_form:
        return ""
    return str(refused_form.get("kept", {}).get(name, ""))


def _categories(uow: Any, program_code: str, division_code: str, on: date, *,
                english: bool) -> tuple[str, list[tuple[str, str]]]:
    """The program's name and the categories of its version in force (a change of category
    chooses one), with their names."""
    try:
        policy = uow.policies.in_force(program_code, on, division_code)
    except KeyError:
        return "", []
    return (policy.name_en if english else policy.name_zh,
            [(b.category, b.label_zh) for b in policy.benefits])


@router.post("/certifications/{certification_id}/revoke")
async def revoke(request: Request, certification_id: str) -> Response:
    session, form = await _posted(request, APPROVER)
    if isinstance(session, Response):
        return session
    reason = _text(form, "reason")
    if not reason:
        return refused(request, session, _("State why the certification is revoked."), 422)
    try:
        async with _units(request)() as uow:
            await certifications.decide(certifications.DecideCertification(
                session.officer.officer(), certification_id, "revoke", reason), uow)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    purpose = _text(form, "purpose", 200) or "console"
    return RedirectResponse(
        f"{BASE}/certifications/{quote(certification_id)}?{urlencode({'purpose': purpose})}",
        303)
