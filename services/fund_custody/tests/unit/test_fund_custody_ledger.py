"""The ledger of a special account: balanced transactions, balances that never go negative,
and the arithmetic of appropriate → reserve → pay → release."""

from __future__ import annotations

import pytest

from siquan.fund_custody.domain.errors import InsufficientFunds, UnbalancedTransaction
from siquan.fund_custody.domain.ledger import (
    AVAILABLE,
    PAID_OUT,
    Books,
    Entry,
    Transaction,
    appropriation_account,
    reserved_account,
)
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount


def new_account() -> SpecialAccount:
    return SpecialAccount("sa-1", AccountKey("special_assistance", 2026, "420117"), Books())


def test_a_transaction_whose_entries_do_not_sum_to_zero_is_refused() -> None:
    with pytest.raises(UnbalancedTransaction):
        Transaction("appropriation", "x", (Entry(AVAILABLE, 100), Entry(PAID_OUT, -99)))


def test_a_transaction_needs_at_least_two_entries() -> None:
    with pytest.raises(UnbalancedTransaction):
        Transaction("appropriation", "x", (Entry(AVAILABLE, 0),))


def test_a_transaction_refuses_a_zero_entry() -> None:
    with pytest.raises(UnbalancedTransaction):
        Transaction("release", "x", (Entry(AVAILABLE, 0), Entry(PAID_OUT, 0)))


def test_an_appropriation_makes_money_available_and_records_the_fiscal_level() -> None:
    account = new_account()
    account.appropriate("a1", "central", 50_000)
    account.appropriate("a2", "county", 15_000)
    assert account.books.available_fen == 65_000
    assert account.books.appropriated_fen() == {"central": 50_000, "provincial": 0,
                                                "municipal": 0, "county": 15_000}
    assert account.books.balance(appropriation_account("central")) == -50_000
    assert account.books.is_balanced()


def test_an_appropriation_must_be_positive() -> None:
    account = new_account()
    with pytest.raises(Exception, match="positive"):
        account.appropriate("a1", "central", 0)
    assert account.books.balances == {}


def test_reserving_more_than_is_available_is_refused_with_the_shortfall() -> None:
    account = new_account()
    account.appropriate("a1", "central", 1_000)
    with pytest.raises(InsufficientFunds) as refused:
        account.reserve("run-1", 1_500)
    assert refused.value.shortfall_fen == 500
    assert account.books.available_fen == 1_000
    assert account.books.reserved_fen == 0


def test_a_reservation_moves_money_from_available_to_the_run() -> None:
    account = new_account()
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    assert account.books.available_fen == 4_000
    assert account.books.reserved_for("run-1") == 6_000
    assert account.books.reserved_fen == 6_000


def test_paying_moves_money_from_the_reservation_to_paid_out() -> None:
    account = new_account()
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    account.pay("run-1", 0, 2_500)
    account.pay("run-1", 1, 1_500)
    assert account.books.reserved_for("run-1") == 2_000
    assert account.books.paid_out_fen == 4_000
    assert account.books.is_balanced()


def test_paying_more_than_the_run_holds_is_refused_and_changes_nothing() -> None:
    account = new_account()
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    before = dict(account.books.balances)
    with pytest.raises(InsufficientFunds):
        account.pay("run-1", 0, 6_001)
    assert account.books.balances == before


def test_a_run_cannot_pay_from_another_runs_reservation() -> None:
    account = new_account()
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    with pytest.raises(InsufficientFunds):
        account.pay("run-2", 0, 1)


def test_releasing_returns_what_the_run_did_not_spend() -> None:
    account = new_account()
    account.appropriate("a1", "central", 10_000)
    account.reserve("run-1", 6_000)
    account.pay("run-1", 0, 4_000)
    released = account.release("run-1")
    assert released is not None and released.entries[1].amount_fen == 2_000
    assert account.books.reserved_for("run-1") == 0
    assert account.books.available_fen == 6_000
    assert account.books.paid_out_fen == 4_000
    assert account.books.is_balanced()


def test_releasing_an_empty_reservation_posts_nothing() -> None:
    account = new_account()
    assert account.release("run-1") is None


def test_books_refuse_a_posting_that_would_overdraw_available() -> None:
    books = Books()
    with pytest.raises(InsufficientFunds):
        books.post(Transaction.transfer("reservation", "r", AVAILABLE,
                                        reserved_account("r"), 1))
    assert books.balances == {}


def test_a_source_account_cannot_hold_money() -> None:
    books = Books.of({AVAILABLE: 300, appropriation_account("central"): -100,
                      appropriation_account("county"): -200})
    with pytest.raises(UnbalancedTransaction):
        books.post(Transaction.transfer("release", "r", AVAILABLE,
                                        appropriation_account("central"), 101))
