"""The fund forecast (资金预报) of a special account's fiscal year, from the certified head
count (counts only) and the policy catalogue.

A treasury officer asks for the first forecast of a year; after that every change in the
roster of the program and division (a certification granted, revoked or lapsed) makes the
forecast due, and a background loop computes it again at most once per debounce interval
per account. A computation publishes `ForecastPublished` with a new version only when a
figure changed, so asking again, or a redelivered certification, publishes nothing new.
"""

from __future__ import annotations

import logging
from datetime import date

import asyncpg

from siquan.contracts import fund_custody_v1 as contract
from siquan.contracts.periods import period_start
from siquan.contracts.policy import PolicyCatalogue, PolicyVersion, load_catalogue
from siquan.fund_custody.adapters import certifications, forecasts, ledger
from siquan.fund_custody.adapters.forecasts import StoredForecast
from siquan.fund_custody.application.appropriations import check_program
from siquan.fund_custody.application.funding import Publish, now, publisher
from siquan.fund_custody.domain.forecast import Forecast, Shares, forecast
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.auth import Officer
from siquan.shared.database import Connection
from siquan.shared.errors import Refused
from siquan.shared.outbox import Outbox

log = logging.getLogger(__name__)


async def request_forecast(pool: asyncpg.Pool, outbox: Outbox, officer: Officer,
                           key: AccountKey) -> tuple[StoredForecast, bool]:
    """The account's forecast computed now; True when it is a new version."""
    officer.check_scope(key.division_code)
    check_program(key.program_code)
    year_policy(load_catalogue(), key)
    async with pool.acquire() as conn, conn.transaction():
        account = await ledger.lock_or_open(conn, key)
        if account.closed:
            raise Refused(f"special account {key} is closed by its year-end statement")
        return await reforecast(conn, account, publisher(outbox, conn), cause="requested",
                                by=officer.id)


async def refresh_due(pool: asyncpg.Pool, outbox: Outbox, debounce_seconds: float) -> int:
    """Forecast again every open account whose roster changed; how many were looked at."""
    async with pool.acquire() as conn:
        due = await forecasts.due(conn, debounce_seconds)
    for account_id in due:
        async with pool.acquire() as conn, conn.transaction():
            account = await ledger.lock_by_id(conn, account_id)
            try:
                if account.closed:
                    raise Refused(f"special account {account.key} is closed")
                await reforecast(conn, account, publisher(outbox, conn), cause="roster_changed",
                                 by=None)
            except Refused as exc:  # closed, or no policy in force: nothing to forecast
                log.info("forecast of %s not computed: %s", account.key, exc)
                await _looked_at_unchanged(conn, account)
    return len(due)


async def _looked_at_unchanged(conn: Connection, account: SpecialAccount) -> None:
    latest = await forecasts.latest(conn, account.id)
    roster = await certifications.roster_version(conn, account.key.program_code,
                                                 account.key.division_code)
    await forecasts.looked_at(conn, account.id, latest.version if latest else 1, roster)


async def reforecast(conn: Connection, account: SpecialAccount, publish: Publish, *,
                     cause: str, by: str | None) -> tuple[StoredForecast, bool]:
    key = account.key
    # The roster version first: counts read after it include every change it counts.
    roster = await certifications.roster_version(conn, key.program_code, key.division_code)
    counts = await certifications.active_counts(conn, key.program_code, key.division_code)
    figures = compute(key, counts)
    previous = await forecasts.latest(conn, account.id)
    if previous is not None and figures.same_figures(previous.forecast):
        await forecasts.looked_at(conn, account.id, previous.version, roster)
        return previous, False
    stored = StoredForecast(version=previous.version + 1 if previous else 1,
                            roster_version=roster, forecast=figures, cause=cause,
                            computed_by=by, computed_at=now())
    await forecasts.add(conn, account.id, stored)
    await publish(published(key, stored))
    log.info("forecast %s v%d: %d certified, %d fen", key, stored.version,
             figures.head_count, figures.total_fen)
    return stored, True


def compute(key: AccountKey, counts: dict[str, int]) -> Forecast:
    """Head count x the standard of each period (0 where no version or category applies),
    split by the shares in force in that period."""
    catalogue = load_catalogue()
    policy = year_policy(catalogue, key)

    def amount(category: str, period: str) -> int:
        try:
            return catalogue.amount_for(key.program_code, category, period, key.division_code)
        except (KeyError, ValueError):
            return 0

    def shares(period: str) -> Shares:
        try:
            version = catalogue.in_force(key.program_code, period_start(period),
                                         key.division_code)
        except KeyError:
            version = policy
        s = version.fiscal_shares
        return (s.central, s.provincial, s.municipal, s.county)

    return forecast(counts, policy.frequency, key.fiscal_year, amount, shares)


def year_policy(catalogue: PolicyCatalogue, key: AccountKey) -> PolicyVersion:
    """The version that sets the year's payment frequency: the one in force on 1 January
    for the division, else the first to come into force during the year."""
    try:
        return catalogue.in_force(key.program_code, date(key.fiscal_year, 1, 1),
                                  key.division_code)
    except KeyError:
        later = [v for v in catalogue.versions if v.program_code == key.program_code
                 and v.applies_to(key.division_code)
                 and v.effective_from.year == key.fiscal_year]
        if not later:
            raise Refused(f"no version of {key.program_code} is in force in "
                          f"{key.fiscal_year} for {key.division_code}") from None
        return min(later, key=lambda v: (v.effective_from, -v.specificity()))


def published(key: AccountKey, stored: StoredForecast) -> contract.ForecastPublished:
    f = stored.forecast
    return contract.ForecastPublished(
        program_code=key.program_code, fiscal_year=key.fiscal_year,
        division_code=key.division_code, version=stored.version,
        frequency=f.frequency,
        periods=f.periods, head_count=f.head_count,
        lines=tuple(contract.ForecastLine(category=line.category, head_count=line.head_count,
                                          per_person_fen=line.per_person_fen,
                                          total_fen=line.total_fen) for line in f.lines),
        total_fen=f.total_fen, by_level=contract.LevelAmounts.model_validate(dict(f.by_level)),
        cause=stored.cause,
        computed_at=stored.computed_at)


def as_dict(key: AccountKey, stored: StoredForecast) -> dict[str, object]:
    return published(key, stored).model_dump(mode="json") | {
        "computed_by": stored.computed_by}
