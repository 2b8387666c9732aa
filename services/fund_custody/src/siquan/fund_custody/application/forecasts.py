"""The fund forecast (资金预报) of a special account's fiscal year, from the certified head
count (counts only) and the policy catalogue.

A treasury officer asks for the first forecast of a year; after that every change in the
roster of the program and division (a certification granted, revoked or lapsed) makes the
forecast due, and a background loop computes it again at most once per debounce interval
(on the service's clock) per account. A computation publishes `ForecastPublished` with a
new version only when a figure changed, so asking again, a redelivered certification, or
two instances looking at the same account (one after the other: the account is locked)
publish nothing new.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from siquan.fund_custody.application.appropriations import check_program
from siquan.fund_custody.application.figures import compute, published, year_policy
from siquan.fund_custody.application.ports import FundCustodyUnit, StoredForecast
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.auth import Officer
from siquan.shared.errors import Refused

log = logging.getLogger(__name__)


async def request_forecast(uow: FundCustodyUnit, officer: Officer,
                           key: AccountKey) -> tuple[StoredForecast, bool]:
    """The account's forecast computed now; True when it is a new version."""
    officer.check_scope(key.division_code)
    check_program(key.program_code)
    year_policy(key)
    account = await uow.accounts.lock_or_open(key)
    if account.closed:
        raise Refused(f"special account {key} is closed by its year-end statement")
    return await reforecast(uow, account, cause="requested", by=officer.id)


async def forecasts_due(uow: FundCustodyUnit, debounce_seconds: float) -> list[str]:
    """The accounts whose roster changed and that were not looked at within the debounce
    interval (the background loop's first step)."""
    return await uow.forecasts.due(uow.now() - timedelta(seconds=debounce_seconds))


async def refresh_forecast(uow: FundCustodyUnit, account_id: str) -> bool:
    """Forecast one due account again (the loop's step for each); True when a new version
    was published. A closed account, or a year no policy covers, is only looked at."""
    account = await uow.accounts.lock(account_id)
    try:
        if account.closed:
            raise Refused(f"special account {account.key} is closed")
        year_policy(account.key)
    except Refused as exc:
        log.info("forecast of %s not computed: %s", account.key, exc)
        await _looked_at_unchanged(uow, account)
        return False
    _, new = await reforecast(uow, account, cause="roster_changed", by=None)
    return new


async def reforecast(uow: FundCustodyUnit, account: SpecialAccount, *, cause: str,
                     by: str | None) -> tuple[StoredForecast, bool]:
    key = account.key
    # The roster version first: counts read after it include every change it counts.
    roster = await uow.head_counts.roster_version(key.program_code, key.division_code)
    terms = await uow.head_counts.terms(key.program_code, key.division_code)
    figures = compute(key, terms)
    previous = await uow.forecasts.latest(account.id)
    if previous is not None and figures.same_figures(previous.forecast):
        await uow.forecasts.looked_at(account.id, previous.version, roster, uow.now())
        return previous, False
    stored = StoredForecast(version=previous.version + 1 if previous else 1,
                            roster_version=roster, forecast=figures, cause=cause,
                            computed_by=by, computed_at=uow.now())
    await uow.forecasts.add(account.id, stored)
    uow.publish(published(key, stored))
    log.info("forecast %s v%d: %d certified, %d fen", key, stored.version,
             figures.head_count, figures.total_fen)
    return stored, True


async def _looked_at_unchanged(uow: FundCustodyUnit, account: SpecialAccount) -> None:
    latest = await uow.forecasts.latest(account.id)
    roster = await uow.head_counts.roster_version(account.key.program_code,
                                                  account.key.division_code)
    await uow.forecasts.looked_at(account.id, latest.version if latest else 1, roster,
                                  uow.now())
