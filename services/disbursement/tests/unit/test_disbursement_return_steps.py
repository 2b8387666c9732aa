"""The return watcher's step: settled payments the bank returned become returned and are
announced by run, once."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts import disbursement_v1 as events
from siquan.disbursement.application.payer import pay_chunk
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.application.returns import ReturnWatcher, record_returns


async def paid_run(world: Any) -> Any:
    await world.payees(2)
    run = (await world.start()).run
    await world.allocate(run)
    async with world.units(correlation_id=run.id) as uow:
        await pay_chunk(uow, world.bank, run.id)
    return run


def bank_return(world: Any, payment: Any, on: date = date(2026, 6, 2)) -> BankReturn:
    return BankReturn(payment.payment_id, payment.bank_reference, payment.amount_fen,
                      "account closed", on)


async def test_a_returned_payment_is_marked_and_announced_with_its_run(world: Any) -> None:
    run = await paid_run(world)
    payment = world.store.run_payments(run.id)[0]
    async with world.units() as uow:
        assert await record_returns(uow, [bank_return(world, payment)], date(2026, 6, 3)) == 1
    [returned] = world.published(events.PaymentsReturned)
    assert (returned.run_id, returned.chunk) == (run.id, 0)
    assert [(p.payment_id, p.reason) for p in returned.payments] == [
        (payment.payment_id, "account closed")]
    assert world.store.payments[payment.payment_id].status == "returned"
    assert world.store.return_cursor == date(2026, 6, 3)


async def test_a_return_seen_again_changes_nothing(world: Any) -> None:
    run = await paid_run(world)
    payment = world.store.run_payments(run.id)[0]
    for _ in range(2):
        async with world.units() as uow:
            await record_returns(uow, [bank_return(world, payment)], date(2026, 6, 3))
    assert len(world.published(events.PaymentsReturned)) == 1


async def test_a_return_that_does_not_match_the_settled_amount_is_not_taken(
        world: Any) -> None:
    run = await paid_run(world)
    payment = world.store.run_payments(run.id)[0]
    wrong = BankReturn(payment.payment_id, payment.bank_reference, 1, "account closed",
                       date(2026, 6, 2))
    async with world.units() as uow:
        assert await record_returns(uow, [wrong], date(2026, 6, 3)) == 0
    assert world.store.payments[payment.payment_id].status == "settled"


async def test_the_watcher_asks_the_bank_from_before_the_last_day_it_covered(
        world: Any) -> None:
    run = await paid_run(world)
    payment = world.store.run_payments(run.id)[0]
    world.bank.returned.append(bank_return(world, payment, date(2026, 5, 30)))
    world.store.return_cursor = date(2026, 6, 1)
    watcher = ReturnWatcher(world.units, world.bank, poll_seconds=1, lookback_days=5)
    assert await watcher.check_once() == 1
    assert world.store.return_cursor == world.clock.today()
