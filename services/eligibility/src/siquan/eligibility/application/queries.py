"""What officers read: an application with its steps, objections and evidence; a notice;
a certification with its history and what it is owed for a period; timeliness."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, time, timedelta
from typing import Any

from siquan.contracts.periods import period_start
from siquan.eligibility.adapters import certifications, notices, repository
from siquan.eligibility.application.context import Context
from siquan.eligibility.domain.certification import renewal_deadline
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.domain.timeliness import Timeliness, month_bounds
from siquan.shared.auth import Officer


async def application(ctx: Context, officer: Officer, application_id: str) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        found = await repository.get(conn, application_id)
        officer.check_scope(found.scope)
        extra = await repository.detail(conn, application_id)
    view = asdict(found)
    view["blocked_by_objection"] = found.open_objections > 0
    return {**view, **extra}


async def notice(ctx: Context, officer: Officer, notice_id: str) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        found = await notices.get_notice(conn, notice_id)
        officer.check_scope(found.township_code or found.division_code)
        counts = await notices.notice_counts(conn, notice_id)
    return {**asdict(found), "closes_on": found.closes_on, "by_status": counts}


async def certification(ctx: Context, officer: Officer, certification_id: str,
                        period: str | None) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        found = await certifications.get(conn, certification_id)
        officer.check_scope(found.township_code or found.division_code)
        history = await certifications.history(conn, certification_id)
        reviewed_by, approved_by = await certifications.reviewers(conn, certification_id)
    view: dict[str, Any] = {
        **asdict(found), "reviewed_by": reviewed_by, "approved_by": approved_by,
        "renewal_deadline": renewal_deadline(found.valid_until,
                                             ctx.settings.renewal_grace_days),
        "history": history}
    if period is not None:
        view["period"] = _owed(ctx, found.program_code, found.category, found.division_code,
                               period)
    return view


def _owed(ctx: Context, program_code: str, category: str, division: str, period: str
          ) -> dict[str, Any]:
    """The version in force on the period's first day for the division, and its amount."""
    try:
        start = period_start(period)
        policy = ctx.catalogue.in_force(program_code, start, division)
        amount = ctx.catalogue.amount_for(program_code, category, period, division)
    except (KeyError, ValueError) as exc:
        raise InvalidRequest(f"period {period}: {exc}") from exc
    return {"period": period, "policy_version": policy.version, "amount_fen": amount,
            "frequency": policy.frequency}


async def timeliness(ctx: Context, officer: Officer, division: str, period: str
                     ) -> dict[str, Any]:
    officer.check_scope(division)
    try:
        first, after = month_bounds(period)
    except ValueError as exc:
        raise InvalidRequest("period must be YYYY-MM") from exc
    deadline = ctx.settings.decision_deadline_days
    start = datetime.combine(first, time(), ctx.clock.now().tzinfo)
    end = datetime.combine(after, time(), ctx.clock.now().tzinfo)
    async with ctx.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT coalesce(township_code, division_code) AS division, count(*) AS decided,"
            " count(*) FILTER (WHERE decided_at <= submitted_at + make_interval(days => $4))"
            " AS within FROM applications WHERE decided_at >= $1 AND decided_at < $2"
            " AND coalesce(township_code, division_code) LIKE $3 || '%' GROUP BY 1 ORDER BY 1",
            start, end, division, deadline)
        overdue = await conn.fetchval(
            "SELECT count(*) FROM applications WHERE submitted_at < $1 AND"
            " (decided_at IS NULL OR decided_at >= $2)"
            " AND coalesce(township_code, division_code) LIKE $3 || '%'",
            end - timedelta(days=deadline), end, division)
    parts = [Timeliness(r["division"], int(r["decided"]), int(r["within"])) for r in rows]
    total = Timeliness(division, sum(p.decided for p in parts),
                       sum(p.within_deadline for p in parts))
    return {"division_code": division, "period": period, "deadline_days": deadline,
            "decided": total.decided, "within_deadline": total.within_deadline,
            "rate": total.rate, "overdue_undecided": int(overdue),
            "by_division": [{"division_code": p.division_code, "decided": p.decided,
                             "within_deadline": p.within_deadline, "rate": p.rate}
                            for p in parts]}
