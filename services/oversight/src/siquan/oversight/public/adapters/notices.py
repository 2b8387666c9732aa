"""The notice board's tables: each notice as posted (`public_notices`) and its masked
entries (`public_notice_entries`). A notice's parts arrive in any order and any number of
times; a close seen before the notice itself still wins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from siquan.contracts.eligibility_v1 import NoticeClosed, NoticePublished
from siquan.oversight.public.adapters.board_cache import board_changed
from siquan.oversight.public.application.ports import NoticeRow, PostedEntry
from siquan.shared.database import Connection


class PgNoticeBoard:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def save_published(self, notice: NoticePublished,
                             entries: Sequence[NoticeRow]) -> None:
        await _save_published(self._conn, notice, entries)
        await board_changed(self._conn)

    async def save_closed(self, notice: NoticeClosed) -> None:
        await _save_closed(self._conn, notice)
        await board_changed(self._conn)

    async def posted_entry(self, application_id: str, today: date) -> PostedEntry | None:
        return await _posted_entry(self._conn, application_id, today)

    async def notices(self, *, archived: bool, today: date, division_prefix: str,
                      limit: int, offset: int, program_code: str | None = None
                      ) -> list[dict[str, Any]]:
        return await _notices(self._conn, archived=archived, today=today,
                              division_prefix=division_prefix, limit=limit, offset=offset,
                              program_code=program_code)


async def _save_published(conn: Connection, notice: NoticePublished,
                          entries: Sequence[NoticeRow]) -> None:
    await conn.execute(
        "INSERT INTO public_notices (notice_id, program_code, policy_version, division_code,"
        " township_code, published_on, closes_on, notice_days, total_entries, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'posted')"
        " ON CONFLICT (notice_id) DO UPDATE SET policy_version = EXCLUDED.policy_version,"
        " published_on = EXCLUDED.published_on, closes_on = EXCLUDED.closes_on,"
        " notice_days = EXCLUDED.notice_days,"
        " township_code = coalesce(public_notices.township_code, EXCLUDED.township_code)",
        notice.notice_id, notice.program_code, notice.policy_version, notice.division_code,
        notice.township_code, notice.published_on, notice.closes_on, notice.notice_days,
        notice.total_entries)
    await conn.executemany(
        "INSERT INTO public_notice_entries (notice_id, application_id, category, masked_name,"
        " masked_resident_id, township_code) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT DO NOTHING",
        [(notice.notice_id, e.application_id, e.category, e.masked_name,
          e.masked_resident_id, e.township_code) for e in entries])


async def _save_closed(conn: Connection, notice: NoticeClosed) -> None:
    await conn.execute(
        "INSERT INTO public_notices (notice_id, program_code, division_code, township_code,"
        " total_entries, status, closed_on) VALUES ($1, $2, $3, $4, $5, 'closed', $6)"
        " ON CONFLICT (notice_id) DO UPDATE SET status = 'closed',"
        " closed_on = EXCLUDED.closed_on", notice.notice_id, notice.program_code,
        notice.division_code, notice.township_code, notice.total_entries, notice.closed_on)


async def _posted_entry(conn: Connection, application_id: str, today: date
                        ) -> PostedEntry | None:
    row = await conn.fetchrow(
        "SELECT n.notice_id, n.division_code, coalesce(e.township_code, n.township_code)"
        " AS township_code, n.closes_on FROM public_notice_entries e"
        " JOIN public_notices n USING (notice_id) WHERE e.application_id = $1"
        " AND n.status = 'posted' AND n.published_on <= $2 AND n.closes_on >= $2"
        " ORDER BY n.closes_on DESC LIMIT 1", application_id, today)
    if row is None:
        return None
    return PostedEntry(row["notice_id"], row["division_code"], row["township_code"],
                       row["closes_on"])


_IN_FORCE = ("n.status = 'posted' AND n.published_on <= $1 AND n.closes_on >= $1"
             " ORDER BY n.closes_on, n.notice_id")
_ARCHIVED = ("(n.status = 'closed' OR n.closes_on < $1)"
             " ORDER BY coalesce(n.closed_on, n.closes_on) DESC, n.notice_id")


async def _notices(conn: Connection, *, archived: bool, today: date, division_prefix: str,
                   limit: int, offset: int, program_code: str | None = None
                   ) -> list[dict[str, Any]]:
    """Notices in force today (or archived), of one program if named, each with its
    entries."""
    rows = await conn.fetch(
        "SELECT n.* FROM public_notices n WHERE n.division_code LIKE $2 || '%' AND"
        " ($5::text IS NULL OR n.program_code = $5) AND "
        + (_ARCHIVED if archived else _IN_FORCE) + " LIMIT $3 OFFSET $4",
        today, division_prefix, limit, offset, program_code)
    found = [dict(row) for row in rows]
    entries = await conn.fetch(
        "SELECT notice_id, application_id, category, masked_name, masked_resident_id,"
        " township_code FROM public_notice_entries WHERE notice_id = ANY($1::text[])"
        " ORDER BY township_code NULLS FIRST, masked_name, application_id",
        [n["notice_id"] for n in found])
    by_notice: dict[str, list[dict[str, Any]]] = {n["notice_id"]: [] for n in found}
    for entry in entries:
        by_notice[entry["notice_id"]].append(
            {k: v for k, v in dict(entry).items() if k != "notice_id"})
    return [{**n, "entries": by_notice[n["notice_id"]]} for n in found]
