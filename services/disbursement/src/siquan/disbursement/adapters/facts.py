"""Disbursement's local copies of other powers' facts: certifications and their ends
(revocations, deaths) from eligibility and public security, and holds from oversight.

Every write is idempotent and independent of arrival order: a revocation or a lifted hold
may arrive before what it ends, and the earliest end wins.
"""

from __future__ import annotations

from datetime import date

from siquan.contracts.eligibility_v1 import CertificationGranted, CertificationRevoked
from siquan.contracts.oversight_v1 import HoldLifted, HoldPlaced
from siquan.disbursement.adapters.db import Connection


async def add_certification(conn: Connection, event: CertificationGranted) -> None:
    await conn.execute(
        "INSERT INTO certifications (certification_id, person_key, program_code, category,"
        " policy_version, division_code, effective_from, approved_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (certification_id) DO NOTHING",
        event.certification_id, event.person_key, event.program_code, event.category,
        event.policy_version, event.division_code, event.effective_from, event.approved_at)


async def add_revocation(conn: Connection, event: CertificationRevoked) -> None:
    await conn.execute(
        "INSERT INTO certification_revocations (certification_id, effective_from, reason,"
        " revoked_by) VALUES ($1, $2, $3, $4) ON CONFLICT (certification_id) DO UPDATE"
        " SET effective_from = LEAST(certification_revocations.effective_from,"
        " EXCLUDED.effective_from)",
        event.certification_id, event.effective_from, event.reason, event.revoked_by)


async def end_certification(conn: Connection, certification_id: str, effective_from: date,
                            reason: str, decided_by: str) -> None:
    """End a certification from a date (the earliest end wins), as a revocation does."""
    await conn.execute(
        "INSERT INTO certification_revocations (certification_id, effective_from, reason,"
        " revoked_by) VALUES ($1, $2, $3, $4) ON CONFLICT (certification_id) DO UPDATE"
        " SET effective_from = LEAST(certification_revocations.effective_from,"
        " EXCLUDED.effective_from)",
        certification_id, effective_from, reason, decided_by)


async def place_suspension(conn: Connection, certification_id: str, person_key: str,
                           program_code: str, reason: str, suspended_from: date) -> None:
    await conn.execute(
        "INSERT INTO certification_suspensions (certification_id, suspended_from)"
        " VALUES ($1, $2) ON CONFLICT DO NOTHING", certification_id, suspended_from)
    await conn.execute(
        "INSERT INTO holds (hold_id, person_key, program_code, reason) VALUES ($1, $2, $3, $4)"
        # eligibility's events arrive in order on one queue: a later suspension re-opens
        " ON CONFLICT (hold_id) DO UPDATE SET lifted_at = NULL, reason = EXCLUDED.reason",
        f"suspension:{certification_id}", person_key, program_code,
        f"certification suspended: {reason}")


async def lift_suspension(conn: Connection, certification_id: str, person_key: str,
                          reason: str, reinstated_from: date) -> None:
    await conn.execute(
        "UPDATE certification_suspensions SET reinstated_from = GREATEST($2, suspended_from)"
        " WHERE certification_id = $1 AND reinstated_from IS NULL", certification_id,
        reinstated_from)
    await conn.execute(
        "INSERT INTO holds (hold_id, person_key, program_code, reason, lifted_at)"
        " VALUES ($1, $2, NULL, $3, now()) ON CONFLICT (hold_id) DO UPDATE"
        " SET lifted_at = now()",
        f"suspension:{certification_id}", person_key, reason)


async def add_death(conn: Connection, *, person_key: str, report_id: str,
                    date_of_death: date, benefits_end: date) -> None:
    await conn.execute(
        "INSERT INTO deaths (person_key, report_id, date_of_death, benefits_end)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (person_key) DO UPDATE"
        " SET report_id = EXCLUDED.report_id, date_of_death = EXCLUDED.date_of_death,"
        " benefits_end = EXCLUDED.benefits_end WHERE EXCLUDED.benefits_end < deaths.benefits_end",
        person_key, report_id, date_of_death, benefits_end)


async def place_hold(conn: Connection, event: HoldPlaced) -> None:
    await conn.execute(
        "INSERT INTO holds (hold_id, person_key, program_code, reason) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (hold_id) DO UPDATE SET program_code = EXCLUDED.program_code,"
        " reason = EXCLUDED.reason",
        event.hold_id, event.person_key, event.program_code, event.reason)


async def lift_hold(conn: Connection, event: HoldLifted) -> None:
    # A lift that overtakes its placement leaves a lifted row the placement cannot revive.
    await conn.execute(
        "INSERT INTO holds (hold_id, person_key, program_code, reason, lifted_at)"
        " VALUES ($1, $2, NULL, $3, $4) ON CONFLICT (hold_id) DO UPDATE"
        " SET lifted_at = COALESCE(holds.lifted_at, EXCLUDED.lifted_at)",
        event.hold_id, event.person_key, event.reason, event.lifted_at)


async def count_active(conn: Connection, program_code: str, division_code: str,
                       on: date) -> int:
    """Certifications of a program in a division in force on a day."""
    count = await conn.fetchval(
        "SELECT count(*) FROM certification_terms WHERE program_code = $1"
        " AND division_code = $2 AND effective_from <= $3"
        " AND (effective_until IS NULL OR effective_until > $3)",
        program_code, division_code, on)
    return int(count)
