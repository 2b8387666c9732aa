"""A statement line matches only a settled payment with the same id, amount and account;
anything else, and a settled payment no line states, is a difference with its evidence."""

from __future__ import annotations

from siquan.disbursement.domain.statement import (
    HeldPayment,
    StatementLine,
    reconcile,
)

ACCOUNT, OTHER = "622202000000010001", "622202000000099999"


def held(n: int, status: str = "settled", amount: int = 21_000) -> HeldPayment:
    return HeldPayment(f"p{n}", status, ACCOUNT, amount, f"REF{n}" if status != "failed"
                       else None)


def line(n: int, payment: str, amount: int = 21_000, account: str = ACCOUNT
         ) -> StatementLine:
    return StatementLine(n, payment, account, amount, f"REF{n}")


def test_a_line_with_the_same_id_amount_and_account_matches() -> None:
    found = reconcile([line(1, "p1")], {"p1": held(1)}, [])

    assert (found.matched, found.differences) == (1, [])


def test_the_id_alone_does_not_match() -> None:
    payments = {"p1": held(1), "p2": held(2), "p3": held(3), "p4": held(4, "failed"),
                "p5": held(5, "returned")}
    lines = [line(1, "p1", amount=21_001), line(2, "p2", account=OTHER),
             line(3, "p3", amount=1, account=OTHER), line(4, "p4"), line(5, "p5"),
             line(6, "nobody"), line(7, "p5")]

    found = reconcile(lines, payments, [held(6)])

    assert found.matched == 1  # p5: returned later, settled first
    assert [(d.kind, d.line, d.payment_id) for d in found.differences] == [
        ("amount_differs", 1, "p1"), ("account_differs", 2, "p2"),
        ("amount_and_account_differ", 3, "p3"), ("not_settled", 4, "p4"),
        ("unknown_payment", 6, "nobody"), ("duplicate_line", 7, "p5"),
        ("missing_from_statement", 0, "p6")]
    amount = found.differences[0]
    assert (amount.expected_amount_fen, amount.stated_amount_fen) == (21_000, 21_001)
    account = found.differences[1]
    assert (account.expected_account, account.stated_account) == ("**************0001",
                                                                  "**************9999")
    assert found.differences[3].held_status == "failed"
