"""A run's refused payments (failed at the bank, or returned) with the facts that decide
whether they may be retried now: the certification's terms, holds and suspensions, the
payee's current account, and the other payments of the same (person, program, period,
item)."""

from __future__ import annotations

import asyncpg

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.payable_sql import held
from siquan.disbursement.adapters.payments import RUN_SPAN
from siquan.disbursement.domain.certification import Certification, open_suspensions
from siquan.disbursement.domain.retry import RefusedPayment
from siquan.disbursement.domain.roster import PayeeAccount

_REFUSED = f"""
SELECT p.payment_id, p.certification_id, p.person_key, p.period, p.amount_fen, p.item,
       t.program_code, t.category, t.division_code, t.effective_from, t.revoked_from,
       t.benefits_end, a.bank_code AS current_bank, a.account_number AS current_account,
       a.account_name AS current_name,
       a.registered_at, a.previous_registered_at,
       a.person_key IS NOT NULL AND a.confirmed_at IS NULL AS account_unconfirmed,
       {held("p.person_key", "p.program_code")} AS held,
       ARRAY(SELECT s.suspended_from FROM certification_suspensions s
              WHERE s.certification_id = p.certification_id) AS suspended_from,
       ARRAY(SELECT x.reinstated_from FROM certification_reinstatements x
              WHERE x.certification_id = p.certification_id) AS reinstated_from,
       EXISTS (SELECT 1 FROM payment_orders o WHERE o.person_key = p.person_key
                 AND o.program_code = p.program_code AND o.period = p.period
                 AND o.item = p.item AND o.live) AS live_elsewhere,
       EXISTS (SELECT 1 FROM payments o WHERE o.person_key = p.person_key
                 AND o.program_code = p.program_code AND o.period = p.period
                 AND o.item = p.item AND o.status IN ('failed', 'returned')
                 AND o.bank_code = a.bank_code AND o.account_number = a.account_number)
           AS refused_to_current
  FROM ({RUN_SPAN}) span
  JOIN payments p ON p.payment_id BETWEEN span.first AND span.last
  LEFT JOIN certification_terms t ON t.certification_id = p.certification_id
  LEFT JOIN payee_accounts a ON a.person_key = p.person_key AND a.superseded_at IS NULL
 WHERE p.run_id = $1 AND p.status IN ('failed', 'returned')
"""


class PgRetries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def refused(self, run_id: str) -> list[RefusedPayment]:
        return [_refused(r) for r in await self._conn.fetch(_REFUSED, run_id)]


def _refused(r: asyncpg.Record) -> RefusedPayment:
    certification = None if r["program_code"] is None else Certification(
        id=r["certification_id"], person_key=r["person_key"], program_code=r["program_code"],
        category=r["category"], division_code=r["division_code"],
        effective_from=r["effective_from"], effective_until=r["revoked_from"],
        benefits_end=r["benefits_end"],
        suspensions=open_suspensions(r["suspended_from"], r["reinstated_from"]))
    account = (None if r["current_bank"] is None
               else PayeeAccount(r["current_bank"], r["current_account"],
                                 r["current_name"] or ""))
    return RefusedPayment(
        payment_id=str(r["payment_id"]), certification_id=r["certification_id"],
        person_key=r["person_key"], period=r["period"], amount_fen=r["amount_fen"],
        certification=certification, held=r["held"], current_account=account,
        live_elsewhere=r["live_elsewhere"], refused_to_current_account=r["refused_to_current"],
        account_registered_at=r["registered_at"],
        account_previous_registered_at=r["previous_registered_at"],
        account_unconfirmed=bool(r["account_unconfirmed"]), item=r["item"])
