"""`TopUpAfterRaise`: a retroactive raise owes, for each period earlier runs paid at the
old amount, the difference in fen, once per raise."""

from __future__ import annotations

from datetime import date

import pytest

from siquan.contracts.policy import Citation, PolicyCatalogue, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend, layered
from siquan.disbursement.domain.amounts import amount_table, arrears_window
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.top_ups import PaidBefore, top_up

PROGRAM, DIVISION = "special_assistance", "420117"
ACCOUNT = PayeeAccount("102", "6222021234567890123")
CITATION = Citation(document="鄂卫健发〔2026〕9号", clause="提高特别扶助金标准")


def _raised(*raises: tuple[str, date, int]) -> PolicyCatalogue:
    published = []
    for label, day, amount in raises:
        base = layered(seed_catalogue(), published).in_force(PROGRAM, day, DIVISION)
        published.append(amend(base, PolicyChanges(amounts_fen={"death": amount}),
                               version=label, effective_from=day, citation=CITATION))
    return layered(seed_catalogue(), published)


def _paid(period: str, fen: int) -> PaidBefore:
    return PaidBefore("pk-1", "cert-1", "death", period, fen, ACCOUNT, date(2026, 1, 1))


def _table(catalogue: PolicyCatalogue, run: str = "2026-11"):  # type: ignore[no-untyped-def]
    return amount_table(catalogue, PROGRAM, run, DIVISION, arrears_window(run, "2026-01", 12))


def test_a_period_paid_before_the_raise_took_effect_is_topped_up_by_the_difference() -> None:
    old = seed_catalogue().amount_for(PROGRAM, "death", "2026-08", DIVISION)
    table = _table(_raised(("raise-2026", date(2026, 7, 1), old + 3_456)))
    owed = top_up(_paid("2026-08", old), table)
    assert owed is not None
    assert (owed.period, owed.amount_fen, owed.item, owed.arrear) == (
        "2026-08", 3_456, "topup:raise-2026", True)
    assert owed.label == "topup:raise-2026"


@pytest.mark.parametrize(("period", "paid_delta"), [
    ("2026-06", 0),        # before the raise: the old amount is right
    ("2026-08", 3_456),    # paid at the new amount already (or topped up)
    ("2026-08", 9_999),    # paid more than owed: a recovery, not a top-up
])
def test_no_top_up_where_nothing_more_is_owed(period: str, paid_delta: int) -> None:
    old = seed_catalogue().amount_for(PROGRAM, "death", period, DIVISION)
    table = _table(_raised(("raise-2026", date(2026, 7, 1), old + 3_456)))
    assert top_up(_paid(period, old + paid_delta), table) is None


def test_an_unpaid_period_is_an_arrear_not_a_top_up() -> None:
    table = _table(_raised(("raise-2026", date(2026, 7, 1), 30_000)))
    assert top_up(_paid("2026-08", 0), table) is None


def test_a_period_outside_the_window_is_not_topped_up() -> None:
    table = _table(_raised(("raise-2026", date(2025, 7, 1), 30_000)))
    assert top_up(_paid("2025-08", 21_000), table) is None


def test_a_second_raise_tops_up_only_the_rest_under_its_own_label() -> None:
    old = seed_catalogue().amount_for(PROGRAM, "death", "2026-08", DIVISION)
    table = _table(_raised(("raise-a", date(2026, 7, 1), old + 1_000),
                           ("raise-b", date(2026, 8, 1), old + 1_750)))
    owed = top_up(_paid("2026-08", old + 1_000), table)
    assert owed is not None
    assert (owed.amount_fen, owed.item) == (750, "topup:raise-b")
    july = top_up(_paid("2026-07", old), table)
    assert july is not None and (july.amount_fen, july.item) == (1_000, "topup:raise-a")
