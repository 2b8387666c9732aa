"""Judging settled payments against what oversight knows now: their certifications (with
every change), deaths, the runs that paid them and the policy's amounts. Used for the
payments of new chunks, and again for the payments a late fact concerns (a grant, a
revocation, a death reported after the money left)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from siquan.contracts.periods import period_end
from siquan.contracts.policy import load_catalogue
from siquan.oversight.application.deferred import Origin
from siquan.oversight.reconciliation.application.ports import Chunk, Expectation, RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_findings
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord, policy_amount
from siquan.oversight.reconciliation.domain.payments import Judgement, SettledItem, judge


@lru_cache(maxsize=4096)
def owed_fen(program_code: str, category: str, period: str, division_code: str) -> int | None:
    return policy_amount(load_catalogue(), program_code, category, period, division_code)


@lru_cache(maxsize=64)
def categories_of(program_code: str) -> tuple[str, ...]:
    """Every category any version of the program pays."""
    return tuple(sorted({b.category for v in load_catalogue().versions
                         if v.program_code == program_code for b in v.benefits}))


def expectations(chunks: Iterable[Chunk]) -> list[Expectation]:
    """What the policy owes per category for every program, division and period paid."""
    paid = {(c.program_code, c.division_code, c.period_of(p))
            for c in chunks for p in c.payments}
    return [Expectation(program, division, category, period,
                        owed_fen(program, category, period, division), period_end(period))
            for program, division, period in sorted(paid)
            for category in categories_of(program)]


def expected_for(cert: CertificationRecord | None, item: SettledItem) -> int | None:
    if cert is None:
        return None
    return owed_fen(item.program_code, cert.category_in(item.period), item.period,
                    item.division_code)


async def judge_items(uow: RuleUnit, items: Sequence[SettledItem]) -> dict[str, Judgement]:
    """Each payment's judgement, by payment id (three queries for any number of items)."""
    certs = await uow.watched.certifications(i.certification_id for i in items)
    deaths = await uow.watched.deaths(i.person_key for i in items)
    runs = await uow.watched.runs(i.run_id for i in items)
    return {i.payment_id: judge(i, certs.get(i.certification_id), deaths.get(i.person_key),
                                expected_for(certs.get(i.certification_id), i),
                                runs.get(i.run_id))
            for i in items}


async def rejudge(uow: RuleUnit, items: Sequence[SettledItem],
                  origin_of: Callable[[SettledItem], Origin | None]) -> None:
    """Judge stored payments again; those whose certification is now known are settled
    as checked. A finding is caused by the message `origin_of` names for its payment."""
    if not items:
        return
    judgements = await judge_items(uow, items)
    by_id = {i.payment_id: i for i in items}
    for payment_id, judgement in judgements.items():
        await raise_findings(uow, judgement.findings, origin_of(by_id[payment_id]))
    await uow.settled.mark_checked(pid for pid, j in judgements.items() if not j.pending)
