"""What treasury officers and auditors read: an account's balances with forecast,
appropriated and outstanding per level, an allocation's status, within their division."""

from __future__ import annotations

import pytest

from siquan.fund_custody.application.certifications import count_certified
from siquan.fund_custody.application.forecasts import request_forecast
from siquan.fund_custody.application.queries import account_balances, allocation_status
from siquan.shared.errors import NotFound, OutOfScope

from .conftest import KEY, officer

AUDITOR = officer(("auditor",), officer_id="auditor-420117-01")


async def test_an_account_shows_forecast_appropriated_and_outstanding_per_level(
        uow, given) -> None:
    for _ in range(2):
        await given.done(count_certified(given.granted("death"), uow))
    await given.done(request_forecast(uow, officer(), KEY))
    await given.funded(300_000)
    balances = await account_balances(uow, AUDITOR, KEY)
    # 2 x 21,000 fen x 12 months = 504,000 fen, half of it central.
    assert balances["levels"]["central"] == {"forecast_fen": 252_000,
                                             "appropriated_fen": 300_000,
                                             "outstanding_fen": 0}
    assert balances["levels"]["county"]["outstanding_fen"] == 75_600
    assert balances["active_certifications"] == {"death": 2}


async def test_an_allocation_shows_what_became_of_its_money_and_chunks(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    await given.paid(run_id, 0, 21_000, 15_000)
    status = await allocation_status(uow, AUDITOR, run_id)
    assert (status["status"], status["paid_fen"], status["settled_chunks"],
            status["settled_count"]) == ("approved", 36_000, 1, 2)


async def test_an_officer_of_another_division_cannot_read_an_allocation(uow, given) -> None:
    run_id = await given.approved_run(100_000, 60_000)
    with pytest.raises(OutOfScope):
        await allocation_status(uow, officer(("auditor",), division="420102"), run_id)


async def test_an_account_never_opened_is_not_found(uow) -> None:
    with pytest.raises(NotFound):
        await account_balances(uow, AUDITOR, KEY)
