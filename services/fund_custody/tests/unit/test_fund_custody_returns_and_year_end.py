"""Returns and the year end in the domain: a return brings money back as available without
touching paid_out, an allocation never gets back more than it paid, and a year closes by
carrying its whole available balance forward, after which it takes no more money."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import AccountClosed, FundRuleBroken
from siquan.fund_custody.domain.ledger import Books
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount

KEY = AccountKey("special_assistance", 2026, "420117")
NOW = datetime(2026, 12, 31, tzinfo=UTC)


def paid_account() -> SpecialAccount:
    account = SpecialAccount("sa-1", KEY, Books())
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    account.pay("run-1", 0, 5_000)
    return account


def paid_allocation(paid_fen: int = 5_000) -> Allocation:
    allocation = Allocation(id="al-1", run_id="run-1", special_account_id="sa-1", key=KEY,
                            period="2026-11", payee_count=3, total_fen=6_000,
                            requested_at=NOW)
    allocation.approve(NOW)
    allocation.record_paid(paid_fen)
    return allocation


def test_a_return_makes_money_available_again_and_leaves_paid_out_as_settled() -> None:
    account = paid_account()
    account.take_return("run-1", 0, 2_100)
    books = account.books
    assert (books.available_fen, books.paid_out_fen, books.returned_fen) == (6_100, 5_000,
                                                                             2_100)
    assert books.is_balanced()


def test_a_return_tags_the_run_and_chunk_it_belongs_to() -> None:
    returned = paid_account().take_return("run-1", 3, 2_100)
    assert returned is not None
    assert (returned.kind, returned.run_id, returned.chunk) == ("return", "run-1", 3)


def test_a_run_keeps_reserved_equal_to_net_paid_plus_returned_plus_released() -> None:
    allocation = paid_allocation()
    allocation.record_returned(2_100)
    released = allocation.settle(5_000, 5_000, NOW)
    assert allocation.total_fen == (allocation.net_paid_fen + allocation.returned_fen
                                    + released)
    assert (allocation.net_paid_fen, allocation.returned_fen, released) == (2_900, 2_100,
                                                                            1_000)


def test_a_run_cannot_get_back_more_than_it_paid() -> None:
    allocation = paid_allocation()
    allocation.record_returned(4_000)
    with pytest.raises(FundRuleBroken, match="5000 fen paid"):
        allocation.record_returned(1_001)
    assert allocation.returned_fen == 4_000


def test_a_waiting_allocation_has_nothing_that_could_come_back() -> None:
    allocation = Allocation(id="al-2", run_id="run-2", special_account_id="sa-1", key=KEY,
                            period="2026-11", payee_count=1, total_fen=1_000,
                            requested_at=NOW)
    with pytest.raises(FundRuleBroken, match="waiting"):
        allocation.record_returned(1)


def test_carrying_forward_moves_the_whole_available_balance_and_closes_the_year() -> None:
    account = paid_account()
    account.release("run-1")
    carried = account.carry_forward("st-1")
    assert carried is not None and carried.entries[1].amount_fen == 5_000
    assert (account.books.available_fen, account.books.carried_forward_fen) == (0, 5_000)
    assert account.closed and account.books.is_balanced()


def test_a_year_with_money_still_reserved_cannot_be_closed() -> None:
    account = paid_account()
    with pytest.raises(FundRuleBroken, match="reserved"):
        account.carry_forward("st-1")
    assert not account.closed
    assert account.books.carried_forward_fen == 0


def test_a_closed_year_takes_no_appropriation_reservation_or_return() -> None:
    account = paid_account()
    account.release("run-1")
    account.carry_forward("st-1")
    before = dict(account.books.balances)
    with pytest.raises(AccountClosed):
        account.appropriate("a2", "county", 1_000)
    with pytest.raises(AccountClosed):
        account.reserve("run-2", 0)
    with pytest.raises(AccountClosed):
        account.take_return("run-1", 1, 100)
    assert account.books.balances == before


def test_the_next_year_opens_with_the_balance_brought_forward() -> None:
    following = SpecialAccount("sa-2", AccountKey("special_assistance", 2027, "420117"),
                               Books())
    following.bring_forward("st-1", 5_000)
    assert (following.books.available_fen, following.books.brought_forward_fen) == (5_000,
                                                                                    5_000)
    assert following.books.is_balanced()
