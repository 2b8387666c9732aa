"""Which failed and returned payments a retry pays again, and why the others wait."""

from __future__ import annotations

from datetime import date

from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.payable import ALREADY_PAID, NO_ACCOUNT, NOT_ACTIVE, ON_HOLD
from siquan.disbursement.domain.retry import ACCOUNT_NOT_FIXED, RefusedPayment, plan_retry
from siquan.disbursement.domain.roster import PayeeAccount

FIXED = PayeeAccount("102", "6222020000000012345")


def refused(n: int, *, period: str = "2026-05", ends: date | None = None, held: bool = False,
            account: PayeeAccount | None = FIXED, live: bool = False,
            refused_to_current: bool = False) -> RefusedPayment:
    cert = Certification(f"cert-{n}", f"{n:064x}", "special_assistance", "death", "420117",
                         date(2026, 1, 1), ends)
    return RefusedPayment(f"p-{n}", cert.id, cert.person_key, period, 21_000, cert, held,
                          account, live, refused_to_current)


def test_a_refused_payment_whose_account_was_corrected_is_paid_again_in_its_period() -> None:
    payments, skipped = plan_retry([refused(1), refused(2, period="2026-04")], "2026-05")
    assert [(p.period, p.amount_fen, p.account, p.arrear) for p in payments] == [
        ("2026-05", 21_000, FIXED, False), ("2026-04", 21_000, FIXED, True)]
    assert skipped == []


def test_nothing_is_retried_that_is_paid_ended_held_unaccounted_or_not_corrected() -> None:
    payments, skipped = plan_retry([
        refused(1, live=True), refused(2, ends=date(2026, 5, 1)), refused(3, held=True),
        refused(4, account=None), refused(5, refused_to_current=True)], "2026-05")
    assert payments == []
    assert [s.reason for s in skipped] == [ALREADY_PAID, NOT_ACTIVE, ON_HOLD, NO_ACCOUNT,
                                           ACCOUNT_NOT_FIXED]
