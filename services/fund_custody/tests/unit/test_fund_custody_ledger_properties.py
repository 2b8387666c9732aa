"""Property: whatever sequence of appropriations, reservations, payments and releases is
attempted, every non-source balance stays at or above zero and the books stay balanced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS, Books, is_source
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount

RUNS = ("run-a", "run-b", "run-c")
amounts = st.integers(min_value=-1_000, max_value=2_000_000)
operation = st.one_of(
    st.tuples(st.just("appropriate"), st.sampled_from(FISCAL_LEVELS), amounts),
    st.tuples(st.just("reserve"), st.sampled_from(RUNS), amounts),
    st.tuples(st.just("pay"), st.sampled_from(RUNS), amounts),
    st.tuples(st.just("release"), st.sampled_from(RUNS), st.just(0)),
)


def attempt(account: SpecialAccount, step: int, op: tuple[str, str, int]) -> None:
    name, target, amount = op
    before = dict(account.books.balances)
    try:
        if name == "appropriate":
            account.appropriate(f"a{step}", target, amount)  # type: ignore[arg-type]
        elif name == "reserve":
            account.reserve(target, amount)
        elif name == "pay":
            account.pay(target, f"{target}:{step}", amount)
        else:
            account.release(target)
    except FundRuleBroken:
        assert account.books.balances == before  # a refused move changes nothing


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=60))
def test_any_sequence_of_moves_keeps_every_balance_non_negative_and_the_books_balanced(
        operations: list[tuple[str, str, int]]) -> None:
    account = SpecialAccount("sa", AccountKey("special_assistance", 2026, "420117"), Books())
    for step, op in enumerate(operations):
        attempt(account, step, op)
        books = account.books
        assert books.is_balanced()
        assert all(v >= 0 for k, v in books.balances.items() if not is_source(k))
        assert all(v <= 0 for k, v in books.balances.items() if is_source(k))
        appropriated = sum(books.appropriated_fen().values())
        assert appropriated == books.available_fen + books.reserved_fen + books.paid_out_fen
