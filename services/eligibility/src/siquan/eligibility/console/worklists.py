"""The eligibility console's daily worklists: the village clerk's survey import (the file
checked row by row in the background, its progress written to eligibility's database
(`survey_import_progress`) and shown on a page that refreshes itself, whichever process
answers it; the refused rows downloadable as CSV by row number, field and reason — never
the row's resident ID or name), the yearly re-confirmation worklist of a division with
its confirmation form, and the timeliness of certification per division for a month.

The pages call the application layer as the JSON API does (`POST /applications/import`,
`GET /reconfirmations/{year}`, `POST /reconfirmations`, `GET /timeliness`)."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from siquan.contracts.types import division_scope
from siquan.eligibility.adapters.reconfirmation_views import worklist as read_worklist
from siquan.eligibility.adapters.survey_files import read_survey
from siquan.eligibility.adapters.survey_progress import PgSurveyProgress
from siquan.eligibility.application import intake, queries, reconfirmation
from siquan.eligibility.console.pages import (
    APPROVER,
    AUDITOR,
    BASE,
    CLERK,
    REVIEWER,
    _,
    _file,
    _gettext,
    _posted,
    _session,
    _text,
    _units,
    refused,
    render,
)
from siquan.eligibility.console.reasons import column, translated
from siquan.eligibility.domain.reconfirmation import METHODS
from siquan.shared.accounts.store import Session
from siquan.shared.errors import Refused

log = logging.getLogger(__name__)
router = APIRouter(prefix=BASE, include_in_schema=False)
WORKLIST_PAGE = 500

METHOD_NAMES = {"in_person": _("Seen in person"), "village_visit": _("Village cadre's visit"),
                "survival_check": _("Survival check"),
                "partner_data": _("Partner agency's data")}
WORKLIST_STATES = {"confirmed": _("Re-confirmed"), "due": _("Due"),
                   "overdue": _("Overdue (in the grace days)"), "lapsed": _("Lapsed")}
STAGES = {"checking": _("Checking the rows"), "saving": _("Saving the applications"),
          "done": _("Finished"), "failed": _("Failed")}
NO_SUCH_IMPORT = _("No such survey import of yours.")
NO_FILE = _("Choose the survey file (CSV or XLSX).")
IMPORT_FAILED = _("The import failed; nothing of it was kept. Try again later.")
STOPPED = _("The import stopped before it finished (the service was restarted). Check the "
            "applications list and import the file again: rows entered already are refused.")


# -- survey imports ----------------------------------------------------------------------

_running: set[asyncio.Task[None]] = set()
"""The imports this process runs (kept referenced until they finish)."""
PROGRESS_EVERY_S = 0.5
"""How often the progress of the rows checked is written, at most."""


def _progress(uow: Any) -> PgSurveyProgress:
    return PgSurveyProgress(uow.conn)


def _rows_in(filename: str, content: bytes) -> int:
    """The survey's application rows (blank rows are not counted, as the import skips
    them); InvalidRequest for a file that cannot be read."""
    _header, rows = read_survey(filename, content)
    return sum(1 for raw in rows if any((v or "").strip() for v in raw.values()))


async def _run(units: Any, import_id: str, total: int, command: intake.ImportSurvey
               ) -> None:
    """Import the survey in its own unit of work; its progress and report are written
    in others, so that any process can show them."""
    written = [time.monotonic()]

    async def progress(checked: int) -> None:
        stage = "saving" if checked >= total else "checking"
        if stage == "saving" or time.monotonic() - written[0] >= PROGRESS_EVERY_S:
            written[0] = time.monotonic()
            async with units() as uow:
                await _progress(uow).checked(import_id, checked, stage)
        await asyncio.sleep(0)  # the progress page is answered while rows are checked

    errors: list[tuple[int, str, str]] = []
    accepted, failure = 0, ""
    try:
        async with units() as uow:
            report = await intake.import_survey(
                intake.ImportSurvey(command.officer, command.filename, command.content,
                                    progress), uow)
        accepted = len(report.accepted)
        errors = [(e.row, e.field, e.error) for e in report.errors]
    except Refused as refusal:
        failure = str(refusal)
    except Exception:  # the page says it failed; the log says why
        log.exception("survey import %s failed", import_id)
        failure = IMPORT_FAILED
    async with units() as uow:
        await _progress(uow).finish(import_id, accepted=accepted,
                                    refused_rows=len({row for row, _f, _e in errors}),
                                    errors=errors, failure=failure)


@router.get("/imports/new")
async def new_import(request: Request) -> Response:
    session = await _session(request, CLERK)
    if isinstance(session, Response):
        return session
    return render(request, session, "eligibility/import_new.html", problems=[])


@router.post("/imports")
async def start_import(request: Request) -> Response:
    """Read the file's rows, start checking them in the background and show the
    progress page."""
    session, form = await _posted(request, CLERK)
    if isinstance(session, Response):
        return session
    upload = _file(form, "file")
    if upload is None:
        return render(request, session, "eligibility/import_new.html", 422,
                      problems=[_gettext(request)(NO_FILE)])
    content = await upload.read()
    filename = upload.filename or "survey"
    try:
        total = _rows_in(filename, content)
    except Refused as refusal:
        return render(request, session, "eligibility/import_new.html", refusal.status,
                      problems=[translated(str(refusal), _gettext(request))])
    officer = session.officer.officer()
    import_id = str(uuid.uuid4())
    units = _units(request)
    async with units() as uow:
        await _progress(uow).start(import_id=import_id, officer_id=officer.id,
                                   filename=filename, total=total, at=uow.now())
    task = asyncio.create_task(_run(units, import_id, total, intake.ImportSurvey(
        officer, filename, content)))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return RedirectResponse(f"{BASE}/imports/{quote(import_id)}", 303)


async def _job(request: Request, session: Session, import_id: str
               ) -> dict[str, Any] | Response:
    """The officer's own import, a stopped one shown as failed."""
    async with _units(request).reading() as uow:
        job = await _progress(uow).get(import_id, session.officer.officer().id)
    if job is None:
        return refused(request, session, NO_SUCH_IMPORT, 404)
    if job["stale"]:
        job["stage"], job["failure"] = "failed", STOPPED
    job["finished"] = job["stage"] in ("done", "failed")
    return job


@router.get("/imports/{import_id}")
async def import_progress(request: Request, import_id: str) -> Response:
    """The import's progress; the page refreshes itself until the import finished."""
    session = await _session(request, CLERK)
    if isinstance(session, Response):
        return session
    job = await _job(request, session, import_id)
    if isinstance(job, Response):
        return job
    gettext = _gettext(request)
    percent = 100 if job["finished"] or not job["total"] \
        else job["checked"] * 100 // job["total"]
    return render(request, session, "eligibility/import.html", job=job, percent=percent,
                  stage=gettext(STAGES[job["stage"]]),
                  failure=translated(job["failure"], gettext) if job["failure"] else "",
                  errors=[(row, column(name, gettext), translated(error, gettext))
                          for row, name, error in job["errors"]])


@router.get("/imports/{import_id}/errors.csv")
async def import_errors(request: Request, import_id: str) -> Response:
    """The refused rows by row number, field and reason (UTF-8 with BOM, for
    spreadsheets); the reasons name no person."""
    session = await _session(request, CLERK)
    if isinstance(session, Response):
        return session
    job = await _job(request, session, import_id)
    if isinstance(job, Response):
        return job
    gettext = _gettext(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext("Row"), gettext("Field"), gettext("Reason")])
    writer.writerows((row, column(name, gettext), translated(error, gettext))
                     for row, name, error in job["errors"])
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="survey-errors-{job["id"]}.csv"',
                             "Cache-Control": "no-store"})


# -- the yearly re-confirmation ----------------------------------------------------------

def _worklist_link(year: int, division: str, program: str, status: str) -> str:
    query = {"year": str(year), "division": division, "program": program, "status": status}
    return f"{BASE}/reconfirmations?{urlencode({k: v for k, v in query.items() if v})}"


RECONFIRMERS = (CLERK, REVIEWER, APPROVER)
"""Who records a re-confirmation within their division: the village clerk and the
township reviewer who visit, the county approver."""


@router.get("/reconfirmations")
async def reconfirmations(request: Request) -> Response:
    """The certifications of a division due for re-confirmation in a year, by program and
    status; the officers who visit record each one's confirmation."""
    session = await _session(request, *RECONFIRMERS, AUDITOR)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    params = request.query_params
    division = params.get("division", "").strip() or officer.division
    program = params.get("program", "").strip()[:64]
    status = params.get("status", "").strip()
    year_text = params.get("year", "").strip()
    if not division.isdigit() or len(division) not in (6, 9) or not officer.covers(division):
        return refused(request, session, _("You act for another division."), 403)
    if status and status not in WORKLIST_STATES:
        status = ""
    async with _units(request).reading() as uow:
        today = uow.today()
        year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 \
            else today.year + (1 if today.month >= 10 else 0)
        rows = await read_worklist(
            uow.conn, year=year, today=today, division_prefix=division_scope(division),
            program_code=program or None, status=status or None,
            grace_days=uow.terms.renewal_grace_days,
            grace_by_program=uow.terms.renewal_grace_by_program, limit=WORKLIST_PAGE,
            offset=0)
        programs = sorted(uow.policies.programs())
    gettext = _gettext(request)
    return render(request, session, "eligibility/reconfirmations.html", rows=rows,
                  year=year, division=division, program=program, chosen_status=status,
                  programs=programs, listed=WORKLIST_PAGE,
                  worklist_states={k: gettext(v) for k, v in WORKLIST_STATES.items()},
                  methods=[(m, gettext(METHOD_NAMES[m])) for m in METHODS],
                  method_names={k: gettext(v) for k, v in METHOD_NAMES.items()},
                  can_confirm=bool(set(RECONFIRMERS) & set(session.officer.roles)),
                  recorded=params.get("recorded", ""))


@router.post("/reconfirmations")
async def reconfirm(request: Request) -> Response:
    session, form = await _posted(request, *RECONFIRMERS)
    if isinstance(session, Response):
        return session
    method = _text(form, "method", 32)
    year_text = _text(form, "year", 4)
    certification_id = _text(form, "certification_id", 64)
    if method not in METHODS:
        return refused(request, session, _("Choose how the person was found still "
                                           "eligible."), 422)
    if not year_text.isdigit():
        return refused(request, session, _("Give the year re-confirmed."), 422)
    try:
        async with _units(request)() as uow:
            await reconfirmation.reconfirm(reconfirmation.Reconfirm(
                session.officer.officer(), int(year_text), [reconfirmation.Confirmation(
                    certification_id, method,
                    _text(form, "evidence_reference", 200) or None)]), uow)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    back = _worklist_link(int(year_text), _text(form, "division", 12),
                          _text(form, "program", 64), _text(form, "status", 16))
    return RedirectResponse(f"{back}&{urlencode({'recorded': certification_id})}", 303)


# -- timeliness --------------------------------------------------------------------------

@router.get("/timeliness")
async def timeliness(request: Request) -> Response:
    """Of the applications decided in a month, the share decided within the deadline,
    per division within the officer's (or the division asked)."""
    session = await _session(request, REVIEWER, APPROVER, AUDITOR)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    division = request.query_params.get("division", "").strip() or officer.division
    period = request.query_params.get("period", "").strip()[:7]
    if not division.isdigit() or not officer.covers(division):
        return refused(request, session, _("You act for another division."), 403)
    try:
        async with _units(request).reading() as uow:
            period = period or uow.today().strftime("%Y-%m")
            report = await queries.timeliness(uow, officer, division, period)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    return render(request, session, "eligibility/timeliness.html", report=report,
                  division=division, period=period, as_percent=as_percent)


def as_percent(rate: Any) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def install(app: Any) -> None:
    app.include_router(router)
