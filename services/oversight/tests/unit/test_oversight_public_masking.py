"""What the public may see: names with the given name masked, resident IDs as
`1101**********1234`; and tracking numbers that cannot be guessed."""

from __future__ import annotations

import secrets

from hypothesis import given
from hypothesis import strategies as st

from siquan.oversight.public.domain.complaints import (
    TRACKING_NUMBER,
    normalise_tracking_number,
    tracking_number,
)
from siquan.oversight.public.domain.masking import HIDDEN_ID, shown_name, shown_resident_id


def test_a_masked_resident_id_is_shown_as_it_is() -> None:
    assert shown_resident_id("4201**********0011") == "4201**********0011"


def test_a_full_resident_id_is_masked() -> None:
    assert shown_resident_id("42011719600101001x") == "4201**********001X"


def test_anything_else_in_place_of_a_resident_id_is_hidden() -> None:
    assert shown_resident_id("4201 1719 6001 0100") == HIDDEN_ID
    assert shown_resident_id("42011719600101") == HIDDEN_ID


def test_a_masked_name_is_shown_as_it_is() -> None:
    assert shown_name("张*") == "张*"
    assert shown_name("欧**") == "欧**"


def test_a_full_name_keeps_only_the_family_name() -> None:
    assert shown_name("张三丰") == "张**"
    assert shown_name("李") == "李*"


def test_an_empty_name_shows_nothing() -> None:
    assert shown_name("  ") == "**"


@given(st.text(min_size=1, max_size=12))
def test_no_shown_name_reveals_more_than_its_first_character(name: str) -> None:
    shown = shown_name(name)
    assert len(shown) >= 2 and set(shown[1:]) == {"*"}


@given(st.from_regex(r"\A\d{17}[\dX]\Z"))
def test_no_shown_resident_id_reveals_its_middle_digits(resident_id: str) -> None:
    shown = shown_resident_id(resident_id)
    assert shown[4:14] == "*" * 10 and shown[:4] + shown[14:] == \
        resident_id[:4] + resident_id[14:]


def test_a_tracking_number_has_the_year_and_sixteen_base32_characters() -> None:
    number = tracking_number(2026, secrets.token_bytes(10))

    assert number.startswith("TS-2026-") and TRACKING_NUMBER.match(number)


def test_tracking_numbers_from_random_bytes_differ() -> None:
    numbers = {tracking_number(2026, secrets.token_bytes(10)) for _ in range(1000)}

    assert len(numbers) == 1000


def test_a_tracking_number_is_looked_up_whatever_its_case_and_spaces() -> None:
    number = tracking_number(2026, secrets.token_bytes(10))

    assert normalise_tracking_number(f"  {number.lower()} ") == number
    assert normalise_tracking_number("TS-2026-../../etc") is None
