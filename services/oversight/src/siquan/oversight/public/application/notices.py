"""Keeping the notice board from eligibility's notices, and reading it: what is posted
(masked again if anything arrives unmasked), what is in force today, what is archived."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts.eligibility_v1 import NoticeClosed, NoticePublished
from siquan.contracts.policy import PolicyVersion, load_catalogue
from siquan.oversight.public.application.ports import NoticeBoard, NoticeRow, PublicUnit
from siquan.oversight.public.domain.masking import shown_name, shown_resident_id
from siquan.oversight.public.domain.notices import days_remaining
from siquan.shared.policy_names import program_name
from siquan.shared.registry import handles


@handles(NoticePublished)
async def post_notice(notice: NoticePublished, uow: PublicUnit) -> None:
    """Post what eligibility published, masked again if anything came unmasked."""
    await uow.notices.save_published(notice, [
        NoticeRow(e.application_id.lower(), e.category, shown_name(e.masked_name),
                  shown_resident_id(e.masked_resident_id), e.township_code)
        for e in notice.entries])


@handles(NoticeClosed)
async def close_notice(notice: NoticeClosed, uow: PublicUnit) -> None:
    await uow.notices.save_closed(notice)


def _policy(program_code: str, policy_version: str | None) -> PolicyVersion | None:
    catalogue = load_catalogue()
    try:
        if policy_version:
            return catalogue.version(program_code, policy_version)
        return next(v for v in catalogue.versions if v.program_code == program_code)
    except (KeyError, StopIteration):
        return None


def _label(policy: PolicyVersion | None, category: str) -> str:
    try:
        return policy.benefit(category).label_zh if policy else category
    except KeyError:
        return category


def _shown(notice: dict[str, Any], today: date, archived: bool) -> dict[str, Any]:
    closes_on: date | None = notice["closes_on"]
    policy = _policy(notice["program_code"], notice["policy_version"])
    shown = {
        "notice_id": notice["notice_id"], "program_code": notice["program_code"],
        "program_name": policy.name_zh if policy else notice["program_code"],
        "division_code": notice["division_code"], "township_code": notice["township_code"],
        "published_on": _day(notice["published_on"]), "closes_on": _day(closes_on),
        "total_entries": notice["total_entries"],
        "entries": [{**e, "category_label": _label(policy, e["category"])}
                    for e in notice["entries"]]}
    if archived:
        return {**shown, "closed_on": _day(notice["closed_on"] or closes_on)}
    remaining = days_remaining(closes_on, today) if closes_on else 0
    return {**shown, "days_remaining": remaining}


def programs() -> list[dict[str, str]]:
    """Every program of the policy catalogue, once, with its names: the board's filter."""
    codes = sorted({version.program_code for version in load_catalogue().versions})
    return [{"program_code": code, "name_zh": program_name(code),
             "name_en": program_name(code, english=True)} for code in codes]


def program_names(*, english: bool) -> dict[str, str]:
    """Each program's name in one language, by its code."""
    return {p["program_code"]: p["name_en" if english else "name_zh"] for p in programs()}


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def board(notices: NoticeBoard, *, today: date, archived: bool,
                division_prefix: str = "", limit: int = 50, offset: int = 0,
                program_code: str | None = None) -> list[dict[str, Any]]:
    found = await notices.notices(archived=archived, today=today,
                                  division_prefix=division_prefix, limit=limit, offset=offset,
                                  program_code=program_code)
    return [_shown(notice, today, archived) for notice in found]
