"""Properties of the books: whatever sequence of appropriations, reservations, payments,
releases and returns is attempted, every non-source balance stays at or above zero, the
books stay balanced, each run keeps reserved = net paid + returned + released, and the
year-end statement then balances to the fen and carries the whole balance forward."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS, Books, FiscalLevel, is_source
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.fund_custody.domain.statement import RunRecords, YearEndStatement

KEY = AccountKey("special_assistance", 2026, "420117")
NOW = datetime(2026, 12, 31, tzinfo=UTC)
RUNS = ("run-a", "run-b", "run-c")
amounts = st.integers(min_value=-1_000, max_value=2_000_000)
operation = st.one_of(
    st.tuples(st.just("appropriate"), st.sampled_from(FISCAL_LEVELS), amounts),
    st.tuples(st.just("reserve"), st.sampled_from(RUNS), amounts),
    st.tuples(st.just("pay"), st.sampled_from(RUNS), amounts),
    st.tuples(st.just("release"), st.sampled_from(RUNS), st.just(0)),
    st.tuples(st.just("return"), st.sampled_from(RUNS), amounts),
)
Op = tuple[str, str, int]
# A run's payments and returns move a percentage of what they could (over 100: refused).
percents = st.sampled_from([100, 50, 30, 120, -5]) | st.integers(min_value=-5, max_value=120)
chunks = st.integers(min_value=0, max_value=5)


def attempt(account: SpecialAccount, step: int, op: Op) -> None:
    name, target, amount = op
    before = dict(account.books.balances)
    try:
        if name == "appropriate":
            account.appropriate(f"a{step}", target, amount)  # type: ignore[arg-type]
        elif name == "reserve":
            account.reserve(target, amount)
        elif name == "pay":
            account.pay(target, step, amount)
        elif name == "return":
            account.take_return(target, step, amount)
        else:
            account.release(target)
    except FundRuleBroken:
        assert account.books.balances == before  # a refused move changes nothing


def assert_books_hold(books: Books) -> None:
    assert books.is_balanced()
    assert all(v >= 0 for k, v in books.balances.items() if not is_source(k))
    assert all(v <= 0 for k, v in books.balances.items() if is_source(k))
    came_in = (sum(books.appropriated_fen().values()) + books.returned_fen
               + books.brought_forward_fen)
    assert came_in == (books.available_fen + books.reserved_fen + books.paid_out_fen
                       + books.carried_forward_fen)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=60))
def test_any_sequence_of_moves_keeps_every_balance_non_negative_and_the_books_balanced(
        operations: list[Op]) -> None:
    account = SpecialAccount("sa", KEY, Books())
    for step, op in enumerate(operations):
        attempt(account, step, op)
        assert_books_hold(account.books)


class Year(RuleBasedStateMachine):
    """A special account and its runs' allocations, moved together as the service does,
    each step all or nothing; at the end every run settles and the year is closed."""

    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.account = SpecialAccount("sa", KEY, Books())
        self.allocations: dict[str, Allocation] = {}

    @rule(level=st.sampled_from(FISCAL_LEVELS),
          amount=st.sampled_from([100_000, 40_000])
          | st.integers(min_value=-1_000, max_value=150_000))
    def appropriate(self, level: FiscalLevel, amount: int) -> None:
        self._all_or_nothing(lambda: self._appropriate(level, amount))

    @rule(target=runs, total=st.integers(min_value=0, max_value=80_000))
    def request_run(self, total: int) -> str:
        run_id = f"run-{len(self.allocations)}"
        self.allocations[run_id] = Allocation(f"al-{run_id}", run_id, "sa", KEY, "2026-11",
                                              1, total, NOW)
        self._approve_waiting()
        return run_id

    @rule(run_id=runs, percent=percents, chunk=chunks)
    def pay(self, run_id: str, percent: int, chunk: int) -> None:
        run = self.allocations[run_id]
        amount = (run.total_fen - run.paid_fen) * percent // 100
        self._all_or_nothing(lambda: (run.record_paid(amount),
                                      self.account.pay(run_id, chunk, amount)))

    @rule(run_id=runs, percent=percents, chunk=chunks)
    def take_return(self, run_id: str, percent: int, chunk: int) -> None:
        run = self.allocations[run_id]
        amount = (run.paid_fen - run.returned_fen) * percent // 100
        self._all_or_nothing(lambda: (run.record_returned(amount),
                                      self.account.take_return(run_id, chunk, amount),
                                      self._approve_waiting()))

    @rule(run_id=runs)
    def settle(self, run_id: str) -> None:
        self._all_or_nothing(lambda: self._settle(self.allocations[run_id]))

    @invariant()
    def books_hold_and_every_run_adds_up(self) -> None:
        assert_books_hold(self.account.books)
        for run in self.allocations.values():
            assert 0 <= run.returned_fen <= run.paid_fen
            if run.status == "approved":
                held = self.account.books.reserved_for(run.run_id)
                assert held == run.total_fen - run.paid_fen
            if run.status == "settled":
                assert run.total_fen == run.net_paid_fen + run.returned_fen + run.released_fen

    def teardown(self) -> None:
        """Close the year: every run completes (settling one may fund a waiting one; those
        never funded are cancelled), then the statement balances to the fen and carries
        the whole balance forward."""
        while approved := [r for r in self.allocations.values() if r.status == "approved"]:
            for run in approved:
                self._settle(run)
        for run in self.allocations.values():
            if run.status == "waiting":
                run.settle(0, 0, NOW)
        statement = YearEndStatement.of(self.account, self._records())
        assert statement.closing_fen == (statement.opening_fen
                                         + statement.appropriated_total_fen
                                         - statement.paid_fen + statement.returned_fen)
        assert statement.net_paid_fen == sum(r.net_paid_fen for r in self.allocations.values())
        self.account.carry_forward("statement")
        assert_books_hold(self.account.books)
        assert self.account.books.available_fen == 0
        assert self.account.books.carried_forward_fen == statement.closing_fen

    def _appropriate(self, level: FiscalLevel, amount: int) -> None:
        self.account.appropriate(f"a{len(self.account.books.balances)}-{amount}", level,
                                 amount)
        self._approve_waiting()

    def _settle(self, run: Allocation) -> None:
        run.settle(run.paid_fen, run.paid_fen, NOW)
        self.account.release(run.run_id)
        self._approve_waiting()

    def _approve_waiting(self) -> None:
        for run in self.allocations.values():
            if run.status == "waiting" and self.account.can_reserve(run.total_fen):
                run.approve(NOW)
                self.account.reserve(run.run_id, run.total_fen)

    def _all_or_nothing(self, move: Callable[[], object]) -> None:
        saved = copy.deepcopy((self.account, self.allocations))
        try:
            move()
        except FundRuleBroken:
            self.account, self.allocations = saved

    def _records(self) -> RunRecords:
        settled = [r for r in self.allocations.values() if r.status == "settled"]
        return RunRecords(
            runs_settled=len(settled), reserved_fen=sum(r.total_fen for r in settled),
            settled_chunks_fen=sum(r.paid_fen for r in self.allocations.values()),
            released_fen=sum(r.released_fen for r in settled),
            returns_booked_fen=sum(r.returned_fen for r in self.allocations.values()))


Year.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestAnyYearWithReturnsKeepsEveryRunAddingUpAndItsStatementBalancesToTheFen = Year.TestCase
