"""The auditor's console pages, under `/console/audit`:

- the reconciliation dashboard: certified, allocated, paid and settled per program and
  period, with the omissions, false claims and mismatches found, drawn as inline SVG
  charts beside their tables; oversight's own dead letters as an operational alert;
- the audit log, paged newest first and filtered by event type, producer and day, with
  the verification of the whole chain (intact, or the first bad entry and why);
- the findings worklist by accountability (三追究) category, a finding with its evidence,
  its details and the officer it traces to, and its resolution;
- holds: placing one on a person or a payment run with a reason and evidence, lifting it
  with a reason (the decisions of the JSON API, `decisions`);
- complaints with their SLA timers (time left, overdue and escalated), assignment and
  resolution;
- the published checkpoints of the chain; the dead letters waiting (operations).

Each page is one unit of work calling the application layer or reading what it lists
(`views`); a refusal is shown with its 4xx status and the reason in the page's language
(`console.reasons`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from siquan.contracts.types import division_scope
from siquan.oversight.adapters.unit_of_work import snapshot
from siquan.oversight.application import queries
from siquan.oversight.console import charts, views
from siquan.oversight.console.reasons import RULE_NAMES, finding_reason, translated
from siquan.oversight.public.application import handling
from siquan.oversight.public.entrypoints.pages import CATEGORY_NAMES as COMPLAINT_NAMES
from siquan.oversight.public.entrypoints.pages import CONSOLE as PUBLIC
from siquan.oversight.public.entrypoints.pages import STATUS_NAMES as COMPLAINT_STATUSES
from siquan.oversight.reconciliation.adapters.backlog import BrokerBacklog
from siquan.oversight.reconciliation.adapters.findings import FindingQuery
from siquan.oversight.reconciliation.application import decisions
from siquan.shared.accounts.role_pages import RolePages, yuan
from siquan.shared.accounts.store import Session
from siquan.shared.console.i18n import chosen_locale, translations
from siquan.shared.dead_letters import Selection, list_dead_letters, summarise
from siquan.shared.errors import Refused

HERE = Path(__file__).parent
BASE = "/console/audit"
_PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
_PROGRAM = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_NAME = re.compile(r"^[a-z0-9_.]{1,100}$")
_SEQ = re.compile(r"^[0-9]{1,18}$")
"""A sequence number of the log (a bigint)."""
CATEGORIES = ("wrong_eligibility_decision", "wrong_payment", "breach_of_discipline")
DEAD_LETTERS_LISTED = 50


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


NOT_THE_ROLE = _("Only an auditor may open the audit pages.")
CATEGORY_NAMES = {"wrong_eligibility_decision": _("Wrong eligibility decision (错评)"),
                  "wrong_payment": _("Wrong payment (错发)"),
                  "breach_of_discipline": _("Breach of discipline (违纪)")}
DECISION_NAMES = {"none": _("None"), "suspend": _("Suspend the certification"),
                  "revoke": _("Revoke the certification")}
OUTCOME_NAMES = {"confirmed": _("Confirmed"), "dismissed": _("Dismissed"),
                 "upheld": _("Upheld")}
PROBLEM_NAMES = {"altered": _("altered"), "removed": _("removed"),
                 "inserted": _("inserted")}
SERIES = {"money": (_("Allocated"), _("Paid"), _("Settled")),
          "counts": (_("Certified"), _("Paid")),
          "findings": (_("Omissions"), _("False claims"), _("Mismatches"))}
PROBLEMS = {
    "subject": _("Name either a person key (64 hexadecimal characters) or a payment run ID, "
                 "not both."),
    "program": _("A hold on a run is for the whole run: leave the program empty."),
    "program_code": _("Choose a program code of the catalogue, or leave it empty."),
    "reason": _("State the reason (at most 2000 characters)."),
    "evidence": _("Give one to twenty references to evidence, one a line (document numbers, "
                  "finding or payment IDs; never personal data)."),
    "outcome": _("Choose an outcome."),
    "handler": _("Name the handler (at most 64 characters)."),
    "date": _("A day is written like 2026-11-03."),
    "message_id": _("A message ID is a UUID, as the evidence of a finding names it."),
}
NOTICES = {"placed": _("The hold was placed and sent to disbursement."),
           "lifted": _("The hold was lifted and sent to disbursement."),
           "resolved": _("The finding was resolved."),
           "assigned": _("The complaint was assigned."),
           "answered": _("The complaint was resolved.")}


def install(app: FastAPI) -> None:
    """Serve the auditor's pages in the console (after `ServiceRuntime.http_app`)."""
    pages = RolePages(app.state.account_pages, "auditor", HERE / "templates",
                      HERE / "locale", not_the_role=NOT_THE_ROLE,
                      sections=[(BASE, _("Reconciliation")),
                                (f"{BASE}/log", _("Audit log")),
                                (f"{BASE}/findings", _("Findings")),
                                (f"{BASE}/holds", _("Holds")),
                                (f"{BASE}/complaints", _("Complaints")),
                                (f"{BASE}/checkpoints", _("Checkpoints")),
                                (f"{BASE}/operations", _("Operations"))])
    app.include_router(_router(pages))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _evidence(text: str) -> list[str] | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not 1 <= len(lines) <= 20 or any(len(line) > 500 for line in lines):
        return None
    return lines


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def time_left(due: datetime | None, now: datetime) -> tuple[int, int, bool] | None:
    """Days and hours until `due` (or since, when `overdue`)."""
    if due is None:
        return None
    left = due - now
    overdue = left < timedelta(0)
    seconds = int(abs(left.total_seconds()))
    return seconds // 86400, seconds % 86400 // 3600, overdue


def _router(pages: RolePages) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    def units(request: Request) -> Any:
        return request.app.state.runtime.units

    def scope(session: Session) -> str:
        return division_scope(session.officer.division)

    def names(request: Request, table: dict[str, str]) -> dict[str, str]:
        return {code: pages.gettext(request, text) for code, text in table.items()}

    def public_names(request: Request, table: dict[str, str]) -> dict[str, str]:
        """The complaints' categories and states as the public pages name them."""
        messages = translations(PUBLIC.catalogue, chosen_locale(request), PUBLIC.domain)
        return {code: str(messages.gettext(text)) for code, text in table.items()}

    def common(request: Request) -> dict[str, Any]:
        notice = NOTICES.get(request.query_params.get("done", ""))
        zone: ZoneInfo = request.app.state.public_config.zone
        return {"base": BASE, "category_names": names(request, CATEGORY_NAMES),
                "zone": str(zone),
                "decision_names": names(request, DECISION_NAMES),
                "outcome_names": names(request, OUTCOME_NAMES),
                "rule_names": names(request, RULE_NAMES),
                "finding_reason": lambda reason: finding_reason(
                    reason, lambda text: pages.gettext(request, text)),
                "complaint_names": public_names(request, COMPLAINT_NAMES),
                "complaint_statuses": public_names(request, COMPLAINT_STATUSES),
                "notice": pages.gettext(request, notice) if notice else ""}

    def problems_of(request: Request, found: list[str]) -> list[str]:
        return [pages.gettext(request, PROBLEMS[p]) for p in found]

    def why(request: Request, refused: Refused) -> str:
        return translated(str(refused), lambda text: pages.gettext(request, text))

    async def alert(request: Request) -> int | None:
        backlog: BrokerBacklog = request.app.state.backlog
        return (await backlog.counts()).dead_letters

    # The reconciliation dashboard.

    @router.get("")
    async def dashboard(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        program = request.query_params.get("program_code", "")
        async with snapshot(units(request)) as uow:
            rows = await views.figures(uow.conn, scope(session),
                                       program if _PROGRAM.match(program) else None)
        shown = list(reversed(rows))  # oldest period first, left to right
        label = [f"{r['program_code']} {r['period']}" for r in shown]
        series = {k: [pages.gettext(request, s) for s in v] for k, v in SERIES.items()}
        money = charts.grouped(
            [(lb, [r["allocated_fen"], r["paid_fen"], r["settled_fen"]])
             for lb, r in zip(label, shown, strict=True)], series["money"],
            [[yuan(r["allocated_fen"]), yuan(r["paid_fen"]), yuan(r["settled_fen"])]
             for r in shown])
        counts = charts.grouped([(lb, [r["certified_count"], r["paid_count"]])
                                 for lb, r in zip(label, shown, strict=True)],
                                series["counts"])
        found = charts.grouped([(lb, [r["omissions"], r["false_claims"], r["mismatches"]])
                                for lb, r in zip(label, shown, strict=True)],
                               series["findings"])
        return pages.render(request, "auditor/dashboard.html", session=session,
                            figures=rows, program_code=program, money=money,
                            counts=counts, found=found, dead_letters=await alert(request),
                            **common(request))

    # The audit log.

    @router.get("/log")
    async def log(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        params = request.query_params
        typed = {k: params.get(k, "").strip() for k in
                 ("message_type", "producer", "since", "until", "before", "message_id")}
        problems = [] if all(_day(typed[k]) or not typed[k] for k in ("since", "until")) \
            else ["date"]
        page = views.EntryPage(
            scope(session), message_type=typed["message_type"] or None,
            producer=typed["producer"] or None, since=_day(typed["since"]),
            until=_day(typed["until"]),
            before_seq=int(typed["before"]) if _SEQ.match(typed["before"]) else None,
            message_id=_uuid(typed["message_id"]) if typed["message_id"] else None,
            zone=str(request.app.state.public_config.zone))
        if page.message_type and not _NAME.match(page.message_type):
            page = replace(page, message_type=None)
        if typed["message_id"] and page.message_id is None:
            problems.append("message_id")
        verification = None
        async with snapshot(units(request)) as uow:
            entries = await views.entries(uow.conn, page)
            types, producers = await views.known_types(uow.conn)
            if params.get("verify") == "1":
                verification = (await queries.verify_chain(uow)).as_dict()
        older = None
        if len(entries) > views.PAGE:
            entries = entries[:views.PAGE]
            older = "?" + urlencode({**{k: v for k, v in typed.items() if v and k != "before"},
                                     "before": entries[-1]["seq"]})
        if verification and verification["problem"]:
            verification["problem_name"] = pages.gettext(
                request, PROBLEM_NAMES.get(verification["problem"], verification["problem"]))
        return pages.render(request, "auditor/log.html", 422 if problems else 200,
                            session=session, entries=entries, types=types,
                            producers=producers, filters=typed, older=older,
                            verification=verification,
                            problems=problems_of(request, problems), **common(request))

    # Findings.

    @router.get("/findings")
    async def findings(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        status = request.query_params.get("status", "open")
        status = status if status in ("open", "resolved", "") else "open"
        grouped: dict[str, list[dict[str, Any]]] = {}
        async with units(request).reading() as uow:
            for category in CATEGORIES:
                grouped[category] = await uow.findings.find_findings(FindingQuery(
                    category=category, status=status or None,
                    division_prefix=scope(session), limit=views.PAGE))
        return pages.render(request, "auditor/findings.html", session=session,
                            grouped=grouped, state=status, listed=views.PAGE,
                            **common(request))

    async def finding_page(request: Request, session: Session, finding_id: str, *,
                           problems: list[str] | None = None, form: dict[str, str] | None
                           = None, status: int = 200) -> Response:
        checked = _uuid(finding_id)
        async with units(request).reading() as uow:
            found = await uow.findings.get_finding(checked) if checked else None
            holds: list[dict[str, Any]] = []
            for subject in ("person_key", "run_id"):
                if found is not None and found[subject]:
                    holds += await uow.findings.find_holds(
                        active=None, division_prefix=scope(session), limit=100,
                        **{"person_key": None, "run_id": None, subject: found[subject]})
        if found is None:
            return pages.refused(request, session, pages.gettext(
                request, _("There is no such finding.")), 404)
        if found["division_code"] is not None and not session.officer.officer().covers(
                found["division_code"]):
            return pages.refused(request, session, pages.gettext(
                request, _("This finding is about a division you do not act for.")), 403)
        prefilled = {"person_key": found["person_key"] or "",
                     "run_id": "" if found["person_key"] else (found["run_id"] or ""),
                     "program_code": (found["program_code"] or "") if found["person_key"]
                     else "",
                     "evidence": f"finding {found['finding_id']}"}
        return pages.render(request, "auditor/finding.html", status, session=session,
                            finding=found, holds=holds, problems=problems or [],
                            form=form or prefilled, **common(request))

    @router.get("/findings/{finding_id}")
    async def finding(request: Request, finding_id: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await finding_page(request, session, finding_id)

    @router.post("/findings/{finding_id}/resolve")
    async def resolve_finding(request: Request, finding_id: str) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        outcome = str(form.get("outcome", ""))
        resolution = str(form.get("resolution", "")).strip()
        problems = ([] if outcome in ("confirmed", "dismissed") else ["outcome"]) + (
            [] if 0 < len(resolution) <= 2000 else ["reason"])
        checked = _uuid(finding_id)
        if problems or checked is None:
            return await finding_page(request, session, finding_id, status=422,
                                      problems=problems_of(request, problems))
        try:
            async with units(request)() as uow:
                await decisions.resolve_finding(uow, finding_id=checked,
                                                officer=session.officer.officer(),
                                                outcome=outcome,  # type: ignore[arg-type]
                                                resolution=resolution)
        except Refused as refused:
            return await finding_page(request, session, finding_id, status=refused.status,
                                      problems=[why(request, refused)])
        return RedirectResponse(f"{BASE}/findings/{checked}?done=resolved", 303)

    # Holds.

    async def holds_page(request: Request, session: Session, *, problems: list[str]
                         | None = None, form: dict[str, str] | None = None,
                         status: int = 200) -> Response:
        which = request.query_params.get("active", "1")
        async with units(request).reading() as uow:
            found = await uow.findings.find_holds(
                active=True if which == "1" else None, person_key=None,
                division_prefix=scope(session), limit=views.PAGE)
        return pages.render(request, "auditor/holds.html", status, session=session,
                            holds=found, active=which, problems=problems or [], finding=None,
                            form=form or {}, listed=views.PAGE, **common(request))

    @router.get("/holds")
    async def holds(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await holds_page(request, session)

    @router.post("/holds")
    async def place(request: Request) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        typed = {k: str(form.get(k, "")).strip() for k in
                 ("person_key", "run_id", "program_code", "reason", "evidence", "finding_id")}
        person, run = typed["person_key"].lower(), _uuid(typed["run_id"])
        problems = []
        if bool(person) == bool(typed["run_id"]) or (person and not _PERSON_KEY.match(person)) \
                or (typed["run_id"] and run is None):
            problems.append("subject")
        if typed["run_id"] and typed["program_code"]:
            problems.append("program")
        if typed["program_code"] and not _PROGRAM.match(typed["program_code"]):
            problems.append("program_code")
        if not 0 < len(typed["reason"]) <= 2000:
            problems.append("reason")
        evidence = _evidence(typed["evidence"])
        if evidence is None:
            problems.append("evidence")
        finding_id = _uuid(typed["finding_id"]) if typed["finding_id"] else None

        async def again(shown: list[str], status: int) -> Response:
            if finding_id:
                return await finding_page(request, session, finding_id, problems=shown,
                                          form=typed, status=status)
            return await holds_page(request, session, problems=shown, form=typed,
                                    status=status)

        if problems or evidence is None:
            return await again(problems_of(request, problems), 422)
        try:
            async with units(request)() as uow:
                if run is not None:
                    await decisions.place_run_hold(
                        uow, officer=session.officer.officer(), run_id=run,
                        reason=typed["reason"], evidence=tuple(evidence))
                else:
                    await decisions.place_hold(
                        uow, officer=session.officer.officer(), person_key=person,
                        program_code=typed["program_code"] or None, reason=typed["reason"],
                        evidence=tuple(evidence))
        except Refused as refused:
            return await again([why(request, refused)], refused.status)
        back = f"{BASE}/findings/{finding_id}" if finding_id else f"{BASE}/holds"
        return RedirectResponse(f"{back}?done=placed", 303)

    @router.post("/holds/{hold_id}/lift")
    async def lift(request: Request, hold_id: str) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        reason = str(form.get("reason", "")).strip()
        finding_id = _uuid(str(form.get("finding_id", "")))
        checked = _uuid(hold_id)
        if not 0 < len(reason) <= 2000 or checked is None:
            shown = problems_of(request, ["reason"])
            if finding_id:
                return await finding_page(request, session, finding_id, problems=shown,
                                          status=422)
            return await holds_page(request, session, problems=shown, status=422)
        try:
            async with units(request)() as uow:
                await decisions.lift_hold(uow, hold_id=checked,
                                          officer=session.officer.officer(), reason=reason)
        except Refused as refused:
            return pages.refused(request, session, why(request, refused), refused.status)
        back = f"{BASE}/findings/{finding_id}" if finding_id else f"{BASE}/holds"
        return RedirectResponse(f"{back}?done=lifted", 303)

    # Complaints.

    @router.get("/complaints")
    async def complaints(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        status = request.query_params.get("status", "")
        status = status if status in ("open", "escalated", "resolved") else ""
        now = request.app.state.runtime.clock.now()
        async with units(request).reading() as uow:
            found = await uow.complaints.find(division_prefix=scope(session),
                                              status=status or None, category=None,
                                              limit=views.PAGE, offset=0)
        listed = [(c.as_officer(), time_left(c.due_at, now)
                   if c.status != "resolved" else None) for c in found]
        return pages.render(request, "auditor/complaints.html", session=session,
                            complaints=listed, state=status, listed=views.PAGE,
                            **common(request))

    async def complaint_page(request: Request, session: Session, complaint_id: str, *,
                             problems: list[str] | None = None, status: int = 200
                             ) -> Response:
        checked = _uuid(complaint_id)
        async with units(request).reading() as uow:
            found = await uow.complaints.by_id(checked) if checked else None
        if found is None or not session.officer.officer().covers(found.division_code):
            return pages.refused(request, session, pages.gettext(
                request, _("There is no such complaint in your division.")), 404)
        now = request.app.state.runtime.clock.now()
        return pages.render(request, "auditor/complaint.html", status, session=session,
                            complaint=found.as_officer(),
                            left=time_left(found.due_at, now)
                            if found.status != "resolved" else None,
                            problems=problems or [], **common(request))

    @router.get("/complaints/{complaint_id}")
    async def complaint(request: Request, complaint_id: str) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        return await complaint_page(request, session, complaint_id)

    @router.post("/complaints/{complaint_id}/assign")
    async def assign(request: Request, complaint_id: str) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        handler = str(form.get("handler", "")).strip()
        checked = _uuid(complaint_id)
        if not 0 < len(handler) <= 64 or checked is None:
            return await complaint_page(request, session, complaint_id, status=422,
                                        problems=problems_of(request, ["handler"]))
        try:
            async with units(request)() as uow:
                await handling.assign(uow, session.officer.officer(), checked, handler)
        except Refused as refused:
            return await complaint_page(request, session, complaint_id,
                                        status=refused.status,
                                        problems=[why(request, refused)])
        return RedirectResponse(f"{BASE}/complaints/{checked}?done=assigned", 303)

    @router.post("/complaints/{complaint_id}/resolve")
    async def answer(request: Request, complaint_id: str) -> Response:
        session, form = await pages.form(request)
        if isinstance(session, Response):
            return session
        outcome = str(form.get("outcome", ""))
        resolution = str(form.get("resolution", "")).strip()
        problems = ([] if outcome in ("upheld", "dismissed") else ["outcome"]) + (
            [] if 0 < len(resolution) <= 2000 else ["reason"])
        checked = _uuid(complaint_id)
        if problems or checked is None:
            return await complaint_page(request, session, complaint_id, status=422,
                                        problems=problems_of(request, problems))
        try:
            async with units(request)() as uow:
                await handling.resolve(uow, session.officer.officer(), checked,
                                       outcome, resolution)  # type: ignore[arg-type]
        except Refused as refused:
            return await complaint_page(request, session, complaint_id,
                                        status=refused.status,
                                        problems=[why(request, refused)])
        return RedirectResponse(f"{BASE}/complaints/{checked}?done=answered", 303)

    # Checkpoints and operations.

    @router.get("/checkpoints")
    async def checkpoints(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        async with snapshot(units(request)) as uow:
            found = await views.checkpoints(uow.conn)
        return pages.render(request, "auditor/checkpoints.html", session=session,
                            checkpoints=found, listed=views.CHECKPOINTS, **common(request))

    @router.get("/operations")
    async def operations(request: Request) -> Response:
        session = await pages.officer(request)
        if isinstance(session, Response):
            return session
        backlog: BrokerBacklog = request.app.state.backlog
        counts = await backlog.counts()
        letters = await list_dead_letters(request.app.state.runtime.settings.amqp_url,
                                          "oversight", DEAD_LETTERS_LISTED, Selection())
        return pages.render(request, "auditor/operations.html", session=session,
                            counts=counts, summary=summarise(letters),
                            listed=DEAD_LETTERS_LISTED, **common(request))

    return router
