"""Judging settled payments against what oversight knows now: their certifications (with
every change), deaths, the runs that paid them and the policy's amounts. Used for a new
chunk, and again for the payments a late fact concerns (a grant, a revocation, a death
reported after the money left)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from siquan.contracts.policy import load_catalogue
from siquan.oversight.reconciliation.adapters import settled, watched
from siquan.oversight.reconciliation.application.raising import Raiser
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord, policy_amount
from siquan.oversight.reconciliation.domain.payments import Judgement, SettledItem, judge
from siquan.shared.database import Connection


@lru_cache(maxsize=4096)
def owed_fen(program_code: str, category: str, period: str, division_code: str) -> int | None:
    return policy_amount(load_catalogue(), program_code, category, period, division_code)


def expected_for(cert: CertificationRecord | None, item: SettledItem) -> int | None:
    if cert is None:
        return None
    return owed_fen(item.program_code, cert.category, item.period, item.division_code)


async def judge_items(conn: Connection, items: Sequence[SettledItem]
                      ) -> dict[str, Judgement]:
    """Each payment's judgement, by payment id (four queries for any number of items)."""
    certs = await watched.certifications(conn, (i.certification_id for i in items))
    deaths = await watched.deaths(conn, (i.person_key for i in items))
    runs = await watched.runs(conn, (i.run_id for i in items))
    return {i.payment_id: judge(i, certs.get(i.certification_id), deaths.get(i.person_key),
                                expected_for(certs.get(i.certification_id), i),
                                runs.get(i.run_id))
            for i in items}


async def rejudge(raiser: Raiser, items: Sequence[SettledItem]) -> None:
    """Judge stored payments again; those whose certification is now known are settled
    as checked."""
    if not items:
        return
    judgements = await judge_items(raiser.conn, items)
    for judgement in judgements.values():
        await raiser.findings(judgement.findings)
    await settled.mark_checked(raiser.conn, (pid for pid, j in judgements.items()
                                             if not j.pending))
