"""The treasury pages read an amount typed in yuan as integer fen, exactly, and show fen
as yuan."""

from __future__ import annotations

import pytest

from siquan.fund_custody.console.pages import fen_of
from siquan.shared.accounts.role_pages import yuan


@pytest.mark.parametrize(("typed", "fen"), [
    ("3000", 300_000), ("3000.00", 300_000), ("12,345.6", 1_234_560), ("0.01", 1),
    ("¥2500", 250_000), (" 19.99 ", 1_999)])
def test_an_amount_in_yuan_is_read_as_fen(typed: str, fen: int) -> None:
    assert fen_of(typed) == fen


@pytest.mark.parametrize("typed", ["", "三千元", "0", "-5", "1.005", "NaN", "Infinity",
                                   "1e3.5"])
def test_what_is_not_a_positive_amount_of_money_is_refused(typed: str) -> None:
    assert fen_of(typed) is None


@pytest.mark.parametrize(("fen", "shown"), [
    (0, "¥0.00"), (1, "¥0.01"), (500_000, "¥5,000.00"), (-12_345, "-¥123.45"),
    ("n/a", "")])
def test_fen_are_shown_as_yuan(fen: object, shown: str) -> None:
    assert yuan(fen) == shown
