"""The public's pages, without login: the notice board and its archive, the complaint form
and the complaint look-up (a complaint's own status, nothing about any person), and a
beneficiary's own statement behind a one-time code sent to the phone on file. HTML unless
JSON is asked for (`?format=json` or `Accept: application/json`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import ResidentId
from siquan.oversight.entrypoints.units import Units
from siquan.oversight.public.adapters.board_cache import BoardCache, Page
from siquan.oversight.public.adapters.own_statements import OutboxSms
from siquan.oversight.public.application import notices
from siquan.oversight.public.application.intake import file_complaint
from siquan.oversight.public.application.lookup import look_up
from siquan.oversight.public.application.own_statements import (
    CODE_TTL,
    CodeKeys,
    TooMany,
    open_statement,
    request_code,
)
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.domain.calendar import local_day
from siquan.oversight.public.domain.complaints import CATEGORIES, FieldRefused
from siquan.oversight.public.entrypoints import pages
from siquan.oversight.public.entrypoints.forms import (
    ComplaintForm,
    problem,
    problems,
    refusal,
)
from siquan.oversight.public.entrypoints.negotiation import (
    UnreadableBody,
    is_json_body,
    submitted,
    wants_json,
)
from siquan.oversight.public.entrypoints.officer_http import command_of, public_config
from siquan.shared.clock import Clock
from siquan.shared.console import chosen_locale
from siquan.shared.errors import NotFound
from siquan.shared.http_guard import Limit, Offset

router = APIRouter(prefix="/public", tags=["public"])
Config = Annotated[PublicConfig, Depends(public_config)]
DivisionPrefix = Annotated[str | None, Query(pattern=r"^\d{2,9}$")]
ProgramFilter = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{2,63}$",
                                            description="Only this program's notices")]


def _answer(request: Request, data: dict[str, Any], html: Callable[[], Response],
            status: int = 200, *, default_json: bool = False) -> Response:
    if wants_json(request, default_json=default_json):
        return JSONResponse(data, status_code=status)
    return html()


def _not_found(request: Request, config: PublicConfig, error: NotFound) -> Response:
    return _answer(request, {"detail": str(error)},
                   lambda: pages.message(request, pages._("Not found"), str(error),
                                         config.hotline, 404), 404)


def _page_link(request: Request, offset: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    return f"{request.url.path}?{urlencode([*kept, ('offset', str(offset))])}"


def _objection_form(application_id: str) -> str:
    query = urlencode({"category": "notice_objection", "application_id": application_id})
    return f"/public/complaints/new?{query}"


async def _board_page(units: Units, config: PublicConfig, board: BoardCache | None,
                      today: date, *, archived: bool, division_code: str | None,
                      program_code: str | None, limit: int, offset: int) -> Page:
    """The page of the board asked for: as kept by this instance while the board has not
    changed, else read (and kept)."""
    key = (archived, division_code, program_code, limit, offset, today)
    catalogue = load_catalogue()
    if board is not None and (page := board.get(key, catalogue)) is not None:
        return page
    version = board.version if board is not None else 0
    async with units.reading() as uow:
        found = await notices.board(uow.notices, today=today, archived=archived,
                                    division_prefix=division_code or "", limit=limit,
                                    offset=offset, program_code=program_code)
    if not archived:
        for notice in found:
            for entry in notice["entries"]:
                entry["objection_form"] = _objection_form(entry["application_id"])
    data = {"today": today.isoformat(), "notices": found,
            "how_to_object": {"form": "/public/complaints/new", "submit": "POST "
                              "/public/complaints {category: notice_objection, "
                              "application_id, description}", "hotline": config.hotline,
                              "anonymous": True}}
    body = bytes(JSONResponse(data).body)
    if board is not None:
        board.keep(key, version, data, body, catalogue)
    return Page(data, body, catalogue, 0.0)


async def _board(request: Request, units: Units, config: PublicConfig, *, archived: bool,
                 division_code: str | None, program_code: str | None, limit: int,
                 offset: int) -> Response:
    # read from the app's state, not as dependencies: each dependency costs every request
    board: BoardCache | None = getattr(request.app.state, "public_board", None)
    clock: Clock = request.app.state.runtime.clock
    today: date = local_day(clock.now(), config.zone)
    page = await _board_page(units, config, board, today, archived=archived,
                             division_code=division_code, program_code=program_code,
                             limit=limit, offset=offset)
    if wants_json(request):
        return Response(page.json, media_type="application/json")
    found = page.data["notices"]
    programs = notices.programs()
    english = chosen_locale(request) == "en"
    return pages.render(
        request, "public/notices.html", config.hotline, notices=found,
        archived=archived, programs=programs, program_code=program_code,
        division_code=division_code,
        program_names=notices.program_names(english=english),
        category_name=partial(pages.category_name, english=english),
        previous_page=_page_link(request, max(offset - limit, 0)) if offset else None,
        next_page=_page_link(request, offset + limit) if len(found) == limit else None)


@router.get("", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/public/notices", status_code=303)


@router.get("/notices")
async def notice_board_in_force(request: Request, units: Units, config: Config,
                                division_code: DivisionPrefix = None,
                                program_code: ProgramFilter = None, limit: Limit = 50,
                                offset: Offset = 0) -> Response:
    """Notices in force today, masked, with the days left to object."""
    return await _board(request, units, config, archived=False,
                        division_code=division_code, program_code=program_code, limit=limit,
                        offset=offset)


@router.get("/notices/archive")
async def notice_archive(request: Request, units: Units, config: Config,
                         division_code: DivisionPrefix = None,
                         program_code: ProgramFilter = None, limit: Limit = 50,
                         offset: Offset = 0) -> Response:
    """Notices that have closed, newest first."""
    return await _board(request, units, config, archived=True,
                        division_code=division_code, program_code=program_code, limit=limit,
                        offset=offset)


@router.get("/complaints/new", response_class=HTMLResponse)
async def complaint_form(request: Request, config: Config, category: str | None = None,
                         application_id: str | None = None) -> HTMLResponse:
    values = {"category": category if category in CATEGORIES else None,
              "application_id": application_id}
    return pages.render(request, "public/complaint_form.html", config.hotline,
                        values=values, problems=[])


def _refused(request: Request, config: PublicConfig, values: dict[str, Any],
             found: list[dict[str, Any]]) -> Response:
    shown = {k: v for k, v in values.items() if k != "resident_id"}
    return _answer(request, refusal(found),
                   lambda: pages.render(request, "public/complaint_form.html",
                                        config.hotline, 422, values=shown,
                                        problems=pages.shown_problems(request, found)),
                   422, default_json=is_json_body(request))


@router.post("/complaints")
async def file_on_the_web(request: Request, units: Units, config: Config) -> Response:
    """File a complaint, report or objection (form or JSON); answers its tracking number."""
    try:
        values = await submitted(request)
        form = ComplaintForm.model_validate(values)
    except UnreadableBody as error:
        return _refused(request, config, {}, problem("body", str(error), "unreadable"))
    except ValidationError as error:
        return _refused(request, config, values, problems(error))
    try:
        async with units() as uow:
            complaint = await file_complaint(uow, config, command_of(form, "web"))
    except FieldRefused as error:
        return _refused(request, config, values, problem(error.field, error.reason))
    shown = complaint.as_public(config.zone)
    return _answer(request, shown,
                   lambda: pages.render(request, "public/complaint_filed.html", config.hotline,
                                        201, complaint=shown),
                   201, default_json=is_json_body(request))


@router.get("/complaints/lookup", include_in_schema=False)
async def look_up_form(request: Request, tracking_number: str = "") -> RedirectResponse:
    target = f"/public/complaints/{quote(tracking_number.strip(), safe='')}"
    if (lang := request.query_params.get("lang")) in ("en", "zh-CN"):
        target += f"?lang={lang}"
    return RedirectResponse(target, status_code=303)


@router.get("/complaints/{tracking_number}")
async def complaint_status(tracking_number: str, request: Request, units: Units,
                           config: Config) -> Response:
    """Status, category, due date and resolution; never contacts or anyone's data."""
    try:
        async with units.reading() as uow:
            shown = (await look_up(uow.complaints, tracking_number)).as_public(config.zone)
    except NotFound as error:
        return _not_found(request, config, error)
    return _answer(request, shown,
                   lambda: pages.render(request, "public/complaint_status.html",
                                        config.hotline, complaint=shown))


class CodeAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resident_id: ResidentId


class CodeGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: uuid.UUID = Field(description="What `POST /public/statements/codes` answered")
    code: str = Field(pattern=r"^[0-9]{6}$", description="The six digits sent by SMS")


def _code_keys(config: PublicConfig) -> CodeKeys:
    return CodeKeys(config.person_key_secret)


def _refusal(detail: str, status: int) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


M = TypeVar("M", bound=BaseModel)


async def _validated(request: Request, model: type[M]) -> M | JSONResponse:
    """The body as `model`, or a 422 naming each problem without echoing the input (a
    resident ID must not come back in an error)."""
    try:
        return model.model_validate(await submitted(request))
    except UnreadableBody as error:
        return JSONResponse({"detail": problem("body", str(error), "unreadable")}, 422)
    except ValidationError as error:
        return JSONResponse({"detail": problems(error)}, 422)


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


@router.post("/statements/codes", status_code=202, openapi_extra=_documented(CodeAsked),
             responses={422: {"description": "Not a valid resident ID (never echoed)"},
                        429: {"description": "Too many codes asked for"}})
async def ask_for_statement_code(request: Request, units: Units, config: Config
                                 ) -> JSONResponse:
    """Ask for a one-time code that opens your own statement: it is sent by SMS to the
    mobile number on file for the resident ID. The answer is the same whether or not a
    number (or the person) is on file; at most 3 codes per person and 10 per client in
    15 minutes."""
    body = await _validated(request, CodeAsked)
    if isinstance(body, JSONResponse):
        return body
    client = request.client.host if request.client else "unknown"
    try:
        async with units() as uow:
            request_id = await request_code(uow, _code_keys(config),
                                            OutboxSms(uow.conn, uow.now()),
                                            body.resident_id, client)
    except TooMany as error:
        return _refusal(str(error), 429)
    return JSONResponse({"request_id": request_id,
                         "expires_in_seconds": int(CODE_TTL.total_seconds()),
                         "detail": "if a mobile number is on file for this person, a code "
                                   "was sent to it"}, status_code=202)


@router.post("/statements/open", openapi_extra=_documented(CodeGiven),
             responses={403: {"description": "Wrong, expired or used code"},
                        422: {"description": "Malformed request id or code"},
                        429: {"description": "Too many attempts"}})
async def open_own_statement(request: Request, units: Units, config: Config) -> Response:
    """Your own statement — what was certified, allocated and paid per period — opened once
    by the code sent to your phone (5 minutes, 5 attempts)."""
    body = await _validated(request, CodeGiven)
    if isinstance(body, JSONResponse):
        return body
    async with units(isolation="repeatable_read") as uow:
        outcome, found = await open_statement(uow, _code_keys(config), str(body.request_id),
                                              body.code)
    if outcome == "too_many":
        return _refusal("too many wrong codes; ask for a new one", 429)
    if found is None:
        return _refusal("the code is wrong, expired or already used", 403)
    shown = found.as_dict(public=True)
    return _answer(request, shown,
                   lambda: pages.render(request, "public/statement.html", config.hotline,
                                        statement=shown),
                   default_json=True)
