"""The eligibility console's case pages: the household register (a township reviewer or
county approver registers a household with its members and shared facts, adds or removes
a member and corrects the facts; every officer of the division reads it, names and
resident IDs masked), a transfer to another county (the sending county's approver hands a
certification over from its page, the receiving county's approver accepts or refuses it
on the transfers page), a change of category with the household facts it implies and the
evidence its new category needs (filed from the certification's page), and a death
recorded with its evidence.

The pages call the application layer as the JSON API does (`POST /households`,
`POST /households/{id}/members`, `POST /households/{id}/members/removal`,
`PUT /households/{id}/facts`, `GET /households/{id}`, `POST /transfers`,
`POST /transfers/{id}/acceptance|refusal`, `GET /transfers`, `POST /category-changes`,
`POST /certifications/{id}/evidence`, `POST /deaths`), with the same roles; its refusals
(scope, the four-eyes rule of a transfer, missing evidence or facts) are shown in the
page's language."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from siquan.eligibility.application import case_changes, deaths, households
from siquan.eligibility.console.pages import (
    APPROVER,
    AUDITOR,
    BASE,
    READERS,
    REVIEWER,
    _,
    _file,
    _gettext,
    _posted,
    _session,
    _text,
    _units,
    case_form_refused,
    refused,
    render,
)
from siquan.eligibility.console.reasons import (
    FAMILY_TYPES,
    RESIDENCES,
    field_problem,
    translated,
)
from siquan.eligibility.domain.household import parse_children
from siquan.eligibility.domain.survey import FACT_COLUMNS, stated_facts
from siquan.eligibility.entrypoints.case_changes_http import (
    CategoryChangeBody,
    TransferBody,
    TransferDecision,
)
from siquan.eligibility.entrypoints.deaths_http import RecordDeath
from siquan.eligibility.entrypoints.households_http import (
    MemberIn,
    RegisterHousehold,
    Removal,
    SharedFacts,
)
from siquan.shared.accounts.store import Session
from siquan.shared.errors import Refused

router = APIRouter(prefix=BASE, include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
REGISTRARS = (REVIEWER, APPROVER)
"""Who registers households and records deaths (as the JSON API)."""
MEMBER_ROWS = 6
"""Member rows of the registration form (blank rows are skipped)."""

RELATIONSHIPS = {"head": _("head of household"), "spouse": _("spouse"), "child": _("child"),
                 "parent": _("parent"), "other": _("other relative")}
FLAGS = {"holds_one_child_certificate": _("Holds the one-child parents' certificate"),
         "gave_up_second_child": _("Gave up a second child"),
         "in_hardship": _("In hardship"),
         "on_minimum_living_allowance": _("On the minimum living allowance")}
SEXES = {"male": _("son"), "female": _("daughter")}
TRANSFER_STATES = {"pending": _("Awaiting the receiving county"), "accepted": _("Accepted"),
                   "refused": _("Refused")}
EVIDENCE_KINDS = {"death_certificate": _("death certificate"),
                  "village_report": _("village committee's report"),
                  "community_report": _("community committee's report"),
                  "hospital_record": _("hospital record"),
                  "cremation_record": _("cremation record")}
CHILDREN_FORMAT = _("Children are written sex:birth date:status, separated by ';'.")
TRANSFER_FIELDS = ("to_division_code", "to_township_code", "effective_from", "reason")
CATEGORY_CHANGE_FIELDS = ("to_category", "effective_from", "reason", *FACT_COLUMNS)
"""The fields of the certification page's case forms a refusal shows again as posted."""


def _validated(model: type[M], data: dict[str, Any], gettext: Any) -> M | list[str]:
    """The form read as the JSON API reads its body, or each problem in the page's
    language (named by its field, never echoing what it held)."""
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        return [field_problem(e["loc"], e["msg"], gettext)
                for e in invalid.errors(include_input=False)]


def _gettext_names(request: Request) -> dict[str, Any]:
    gettext = _gettext(request)
    return {"relationships": {k: gettext(v) for k, v in RELATIONSHIPS.items()},
            "residences": {k: gettext(v) for k, v in RESIDENCES.items()},
            "family_types": {k: gettext(v) for k, v in FAMILY_TYPES.items()},
            "flags": {k: gettext(v) for k, v in FLAGS.items()},
            "child_sexes": {k: gettext(v) for k, v in SEXES.items()},
            "transfer_states": {k: gettext(v) for k, v in TRANSFER_STATES.items()},
            "evidence_kinds": {k: gettext(v) for k, v in EVIDENCE_KINDS.items()}}


def _facts_form(form: FormData) -> dict[str, Any] | str:
    """The shared facts of the form, or the reason the children cannot be read."""
    try:
        children = [c.model_dump(mode="json") for c in parse_children(_text(form, "children"))]
    except (ValidationError, ValueError):
        return CHILDREN_FORMAT
    return {"residence": _text(form, "residence"), "family_type": _text(form, "family_type"),
            "children": children, **{flag: form.get(flag) == "yes" for flag in FLAGS}}


def children_text(children: list[dict[str, Any]]) -> str:
    """The register's children as the form writes them (`parse_children`)."""
    parts = []
    for child in children:
        extra = (f":{child['died_on']}" if child.get("died_on") else
                 f":{child['disability_grade']}" if child.get("disability_grade") else "")
        parts.append(f"{child['sex']}:{child['birth_date']}:{child['status']}{extra}")
    return ";".join(parts)


# -- the household register --------------------------------------------------------------

def _household_link(household_id: str, **query: str) -> str:
    link = f"{BASE}/households/{quote(household_id)}"
    return f"{link}?{urlencode(query)}" if query else link


def _new_household(request: Request, session: Session, values: dict[str, Any],
                   problems: list[str], status: int = 200) -> Response:
    return render(request, session, "eligibility/new_household.html", status,
                  values=values, problems=problems, rows=range(MEMBER_ROWS),
                  **_gettext_names(request))


@router.get("/households/new")
async def new_household(request: Request) -> Response:
    session = await _session(request, *REGISTRARS)
    if isinstance(session, Response):
        return session
    return _new_household(request, session,
                          {"division_code": session.officer.officer().division}, [])


@router.post("/households")
async def register_household(request: Request) -> Response:
    session, form = await _posted(request, *REGISTRARS)
    if isinstance(session, Response):
        return session
    gettext = _gettext(request)
    values: dict[str, Any] = {name: _text(form, name) for name in (
        "household_number", "division_code", "residence", "family_type", "children")}
    values.update({flag: form.get(flag) == "yes" for flag in FLAGS})
    members = []
    for row in range(MEMBER_ROWS):
        member = {name: _text(form, f"{name}-{row}", 50)
                  for name in ("name", "resident_id", "relationship")}
        values.update({f"{name}-{row}": value for name, value in member.items()})
        if member["name"] or member["resident_id"]:
            members.append({**member, "resident_id": member["resident_id"].upper()})
    facts = _facts_form(form)
    if isinstance(facts, str):
        return _new_household(request, session, values, [f"children: {gettext(facts)}"], 422)
    body = _validated(RegisterHousehold, {
        "household_number": values["household_number"],
        "division_code": values["division_code"], "facts": facts, "members": members},
        gettext)
    if isinstance(body, list):
        return _new_household(request, session, values, body, 422)
    try:
        async with _units(request)() as uow:
            household, _created = await households.register(households.RegisterHousehold(
                session.officer.officer(), body.household_number, body.division_code,
                body.facts.model_dump(mode="json"), [m.command() for m in body.members]),
                uow)
    except Refused as refusal:
        return _new_household(request, session, values,
                              [translated(str(refusal), gettext)], refusal.status)
    return RedirectResponse(_household_link(household["household_id"], done="registered"),
                            303)


@router.get("/households/{household_id}")
async def household(request: Request, household_id: str) -> Response:
    """The household (masked names and resident IDs) and, for a registrar, its forms."""
    session = await _session(request, *READERS)
    if isinstance(session, Response):
        return session
    try:
        async with _units(request).reading() as uow:
            shown = await households.show(uow, session.officer.officer(), household_id)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    done = request.query_params.get("done", "")
    return render(request, session, "eligibility/household.html", h=shown,
                  children=children_text(shown["facts"].get("children", [])),
                  can_change=bool(set(session.officer.roles) & set(REGISTRARS)),
                  done=done if done in DONE else "",
                  done_text=_gettext(request)(DONE[done]) if done in DONE else "",
                  **_gettext_names(request))


DONE = {"registered": _("The household was registered."),
        "added": _("The member was added."), "removed": _("The member left the household."),
        "corrected": _("The household's facts were corrected.")}


async def _household_change(request: Request, household_id: str, read: Any, run: Any,
                            done: str) -> Response:
    """Read the form into the JSON API's body (`read(form)`), run the command
    (`run(officer, body, uow)`) and show the household again, or the refusal."""
    session, form = await _posted(request, *REGISTRARS)
    if isinstance(session, Response):
        return session
    body = read(form)
    if isinstance(body, str):
        return refused(request, session, body, 422)
    if isinstance(body, list):
        return refused(request, session, "; ".join(body), 422)
    try:
        async with _units(request)() as uow:
            await run(session.officer.officer(), body, uow)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    return RedirectResponse(_household_link(household_id, done=done), 303)


@router.post("/households/{household_id}/members")
async def add_member(request: Request, household_id: str) -> Response:
    gettext = _gettext(request)

    def read(form: FormData) -> MemberIn | list[str]:
        return _validated(MemberIn, {
            "name": _text(form, "name", 50),
            "resident_id": _text(form, "resident_id", 18).upper(),
            "relationship": _text(form, "relationship", 16)}, gettext)

    async def run(officer: Any, body: MemberIn, uow: Any) -> None:
        await households.add_member(households.AddMember(officer, household_id,
                                                         body.command()), uow)
    return await _household_change(request, household_id, read, run, "added")


@router.post("/households/{household_id}/members/removal")
async def remove_member(request: Request, household_id: str) -> Response:
    gettext = _gettext(request)

    def read(form: FormData) -> Removal | list[str]:
        return _validated(Removal, {"resident_id": _text(form, "resident_id", 18).upper(),
                                    "reason": _text(form, "reason")}, gettext)

    async def run(officer: Any, body: Removal, uow: Any) -> None:
        await households.remove_member(households.RemoveMember(
            officer, household_id, body.resident_id, body.reason), uow)
    return await _household_change(request, household_id, read, run, "removed")


@router.post("/households/{household_id}/facts")
async def correct_facts(request: Request, household_id: str) -> Response:
    gettext = _gettext(request)

    def read(form: FormData) -> SharedFacts | list[str] | str:
        facts = _facts_form(form)
        if isinstance(facts, str):
            return facts
        return _validated(SharedFacts, facts, gettext)

    async def run(officer: Any, body: SharedFacts, uow: Any) -> None:
        await households.correct_facts(households.CorrectFacts(
            officer, household_id, body.model_dump(mode="json")), uow)
    return await _household_change(request, household_id, read, run, "corrected")


# -- transfers and changes of category ---------------------------------------------------

def _certification_link(certification_id: str, purpose: str) -> str:
    return (f"{BASE}/certifications/{quote(certification_id)}?"
            f"{urlencode({'purpose': purpose or 'console'})}")


@router.get("/transfers")
async def transfers(request: Request) -> Response:
    """The transfers into or out of the officer's county; the receiving county's
    approver decides the pending ones coming in."""
    session = await _session(request, APPROVER, AUDITOR)
    if isinstance(session, Response):
        return session
    officer = session.officer.officer()
    status = request.query_params.get("status", "").strip()
    if status not in TRANSFER_STATES:
        status = ""
    async with _units(request).reading() as uow:
        found = await uow.case_changes.transfers_to(officer.division[:6], status or None)
    return render(request, session, "eligibility/transfers.html",
                  rows=[case_changes.shown(t) for t in found], county=officer.division[:6],
                  chosen_status=status, can_decide=APPROVER in session.officer.roles,
                  decided=request.query_params.get("decided", "")[:64],
                  **_gettext_names(request))


@router.post("/transfers")
async def initiate_transfer(request: Request) -> Response:
    """A refusal shows the certification's page again, the transfer form as posted."""
    session, form = await _posted(request, APPROVER)
    if isinstance(session, Response):
        return session

    async def again(reason: str, status: int) -> Response:
        return await case_form_refused(request, session, "transfer", form, TRANSFER_FIELDS,
                                       reason, status)

    gettext = _gettext(request)
    certification_id = _text(form, "certification_id", 64)
    body = _validated(TransferBody, {
        "certification_id": certification_id,
        "to_division_code": _text(form, "to_division_code", 12),
        "to_township_code": _text(form, "to_township_code", 12) or None,
        "effective_from": _text(form, "effective_from", 10),
        "reason": _text(form, "reason")}, gettext)
    if isinstance(body, list):
        return await again("; ".join(body), 422)
    try:
        async with _units(request)() as uow:
            await case_changes.initiate_transfer(case_changes.InitiateTransfer(
                session.officer.officer(), body.certification_id, body.to_division_code,
                body.to_township_code, body.effective_from, body.reason), uow)
    except Refused as refusal:
        return await again(str(refusal), refusal.status)
    return RedirectResponse(f"{BASE}/transfers?status=pending", 303)


@router.post("/transfers/{transfer_id}/{decision}")
async def decide_transfer(request: Request, transfer_id: str, decision: str) -> Response:
    session, form = await _posted(request, APPROVER)
    if isinstance(session, Response):
        return session
    if decision not in ("acceptance", "refusal"):
        return refused(request, session, _("Not found."), 404)
    body = _validated(TransferDecision, {"reason": _text(form, "reason")},
                      _gettext(request))
    if isinstance(body, list):
        return refused(request, session, "; ".join(body), 422)
    try:
        async with _units(request)() as uow:
            await case_changes.decide_transfer(case_changes.DecideTransfer(
                session.officer.officer(), transfer_id, decision == "acceptance",
                body.reason), uow)
    except Refused as refusal:
        return refused(request, session, str(refusal), refusal.status)
    return RedirectResponse(f"{BASE}/transfers?{urlencode({'decided': transfer_id})}", 303)


@router.post("/category-changes")
async def change_category(request: Request) -> Response:
    """The change with the household facts the form states over those on record (the
    application form's fact fields, read as it reads them); a refusal names what is
    missing, the documents or the facts, on the certification's page again with the form
    as posted."""
    session, form = await _posted(request, APPROVER)
    if isinstance(session, Response):
        return session

    async def again(reason: str, status: int) -> Response:
        return await case_form_refused(request, session, "category_change", form,
                                       CATEGORY_CHANGE_FIELDS, reason, status)

    gettext = _gettext(request)
    facts = stated_facts({name: _text(form, name) for name in FACT_COLUMNS})
    if isinstance(facts, list):
        return await again("; ".join(
            field_problem((field,), message, gettext) for field, message in facts), 422)
    body = _validated(CategoryChangeBody, {
        "certification_id": _text(form, "certification_id", 64),
        "to_category": _text(form, "to_category", 64),
        "effective_from": _text(form, "effective_from", 10),
        "reason": _text(form, "reason"), "household": facts}, gettext)
    if isinstance(body, list):
        return await again("; ".join(body), 422)
    try:
        async with _units(request)() as uow:
            await case_changes.change_category(case_changes.ChangeCategory(
                session.officer.officer(), body.certification_id, body.to_category,
                body.effective_from, body.reason, body.household), uow)
    except Refused as refusal:
        return await again(str(refusal), refusal.status)
    return RedirectResponse(_certification_link(body.certification_id,
                                                _text(form, "purpose", 200)), 303)


@router.post("/certifications/{certification_id}/evidence")
async def add_evidence(request: Request, certification_id: str) -> Response:
    """A document filed for the certification (as `POST /certifications/{id}/evidence`),
    e.g. the one a change of category needs."""
    session, form = await _posted(request, *REGISTRARS)
    if isinstance(session, Response):
        return session

    async def again(reason: str, status: int) -> Response:
        return await case_form_refused(request, session, "evidence", form,
                                       ("evidence_kind",), reason, status,
                                       certification_id=certification_id)

    evidence = _file(form, "evidence")
    if evidence is None:
        return await again(_("Choose the evidence file."), 422)
    try:
        async with _units(request)() as uow:
            await case_changes.add_evidence(case_changes.AddEvidence(
                session.officer.officer(), certification_id,
                kind=_text(form, "evidence_kind", 64),
                filename=evidence.filename or "evidence",
                content_type=evidence.content_type or "application/octet-stream",
                content=await evidence.read()), uow)
    except Refused as refusal:
        return await again(str(refusal), refusal.status)
    return RedirectResponse(_certification_link(certification_id,
                                                _text(form, "purpose", 200)), 303)


# -- deaths ------------------------------------------------------------------------------

@router.get("/deaths/new")
async def new_death(request: Request) -> Response:
    session = await _session(request, *REGISTRARS)
    if isinstance(session, Response):
        return session
    return render(request, session, "eligibility/new_death.html", values={}, problems=[],
                  **_gettext_names(request))


@router.post("/deaths")
async def record_death(request: Request) -> Response:
    """The death and its evidence; the person's live certifications are revoked and live
    applications ended, as through the JSON API."""
    session, form = await _posted(request, *REGISTRARS)
    if isinstance(session, Response):
        return session
    gettext = _gettext(request)
    values = {name: _text(form, name, 64) for name in (
        "resident_id", "date_of_death", "evidence_kind", "document_number")}
    body = _validated(RecordDeath, {**values, "resident_id": values["resident_id"].upper()},
                      gettext)
    if isinstance(body, list):
        return render(request, session, "eligibility/new_death.html", 422, values=values,
                      problems=body, **_gettext_names(request))
    try:
        async with _units(request)() as uow:
            recorded = await deaths.record_death(deaths.RecordDeath(
                session.officer.officer(), body.resident_id, body.date_of_death,
                body.evidence_kind, body.document_number), uow)
    except Refused as refusal:
        return render(request, session, "eligibility/new_death.html", refusal.status,
                      values=values, problems=[translated(str(refusal), gettext)],
                      **_gettext_names(request))
    return render(request, session, "eligibility/death_recorded.html",
                  201 if recorded.status == "recorded" else 200, recorded=recorded)


SECTIONS = (*((role, "/households/new", _("Register a household")) for role in REGISTRARS),
            *((role, "/deaths/new", _("Record a death")) for role in REGISTRARS),
            *((role, "/transfers", _("Transfers")) for role in (APPROVER, AUDITOR)))


def install(app: Any) -> None:
    pages = app.state.account_pages
    for role, path, label in SECTIONS:
        pages.sections.append((role, f"{BASE}{path}",
                               lambda request, label=label: _gettext(request)(label)))
    app.include_router(router)
