"""Resident IDs, division codes, periods and money at the edge."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from siquan.contracts.types import (
    DivisionCode,
    Fen,
    Period,
    ResidentId,
    gb11643_check_digit,
    mask_name,
    mask_resident_id,
)

resident_id = TypeAdapter(ResidentId)


def test_accepts_a_resident_id_whose_check_character_is_x() -> None:
    assert resident_id.validate_python("11010519491231002x") == "11010519491231002X"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_17_digits_with_their_computed_check_character_validate(first17: str) -> None:
    assert resident_id.validate_python(first17 + gb11643_check_digit(first17))


@given(st.text(alphabet="0123456789", min_size=17, max_size=17),
       st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_refused(first17: str, check: str) -> None:
    if check == gb11643_check_digit(first17):
        return
    with pytest.raises(ValidationError, match="check digit"):
        resident_id.validate_python(first17 + check)


@pytest.mark.parametrize("bad", ["", "1101051949123100", "11010519491231002Y", "a" * 18])
def test_malformed_resident_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        resident_id.validate_python(bad)


def test_masks_keep_only_what_a_public_notice_may_show() -> None:
    assert mask_resident_id("11010519491231002X") == "1101**********002X"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"


@pytest.mark.parametrize("code,ok", [("420117", True), ("42011", False), ("001234", False)])
def test_division_codes_are_six_digits(code: str, ok: bool) -> None:
    adapter = TypeAdapter(DivisionCode)
    if ok:
        assert adapter.validate_python(code) == code
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(code)


@pytest.mark.parametrize("period,ok", [("2026", True), ("2026-11", True), ("2026-S2", True),
                                       ("2026-O1", True), ("2026-13", False), ("26-01", False)])
def test_periods_have_one_of_the_known_shapes(period: str, ok: bool) -> None:
    adapter = TypeAdapter(Period)
    if ok:
        assert adapter.validate_python(period) == period
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(period)


def test_money_is_a_non_negative_integer_of_fen() -> None:
    adapter = TypeAdapter(Fen)
    assert adapter.validate_python(120000) == 120000
    with pytest.raises(ValidationError):
        adapter.validate_python(-1)
    with pytest.raises(ValidationError):
        adapter.validate_python(1.5)
