"""Value types checked at the edge: money in fen, resident ID numbers, division codes, periods."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_PERIOD_SHAPE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-S([12])|-O(\d{1,4}))?$")


def gb11643_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_resident_id(value: str) -> str:
    """Accept an 18-character resident ID whose check character is right (GB 11643)."""
    candidate = value.strip().upper()
    if not _ID_SHAPE.match(candidate):
        raise ValueError("resident ID must be 17 digits followed by a digit or X")
    if gb11643_check_digit(candidate[:17]) != candidate[17]:
        raise ValueError("resident ID check digit does not match (GB 11643)")
    return candidate


def validate_division(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value) or value[:2] == "00":
        raise ValueError("administrative division code must be 6 digits (GB/T 2260)")
    return value


def division_scope(division: str) -> str:
    """The code prefix a 6-digit division covers, by its level (GB/T 2260): a province
    (420000) covers `42`, a prefecture (420100) `4201`, a county (420117) only itself."""
    if division.endswith("0000"):
        return division[:2]
    if division.endswith("00"):
        return division[:4]
    return division


def validate_period(value: str) -> str:
    if not _PERIOD_SHAPE.match(value):
        raise ValueError("period must be YYYY, YYYY-MM, YYYY-S1/S2 or YYYY-O<n> (one-off)")
    return value


def mask_resident_id(resident_id: str) -> str:
    """`110101199001011234` → `1101**********1234`: what logs, events and notices may show."""
    return f"{resident_id[:4]}{'*' * 10}{resident_id[-4:]}"


def mask_name(name: str) -> str:
    """Keep the family name (first character), mask the given name: 张三丰 → 张**."""
    return name[:1] + "*" * max(len(name) - 1, 1)


Fen = Annotated[int, Field(ge=0, description="An amount of money in fen (分), 1 yuan = 100 fen")]
SignedFen = Annotated[int, Field(description="A signed amount in fen (分)")]
ResidentId = Annotated[
    str,
    AfterValidator(validate_resident_id),
    Field(description="18-character resident ID number, GB 11643 check digit verified",
          examples=["11010519491231002X"]),
]
DivisionCode = Annotated[
    str,
    AfterValidator(validate_division),
    Field(description="6-digit administrative division code (province, prefecture, county)",
          examples=["110105"]),
]
Period = Annotated[
    str,
    AfterValidator(validate_period),
    Field(description="Benefit period: YYYY (year), YYYY-MM (month), "
                      "YYYY-S1/S2 (semester), YYYY-O<n> (one-off number n)",
          examples=["2026-11", "2026"]),
]
PersonKey = Annotated[
    str,
    Field(pattern=r"^[0-9a-f]{64}$",
          description="Keyed hash (HMAC-SHA256) of the resident ID: identifies a person "
                      "across services without revealing the ID number"),
]
HouseholdKey = Annotated[
    str,
    Field(pattern=r"^[0-9a-f]{64}$",
          description="Keyed hash (HMAC-SHA256, the person-key secret) of the household's "
                      "register number (户号): the same for every member of one household, "
                      "so per-household rules and offsets apply without revealing it"),
]
AccountFingerprint = Annotated[
    str,
    Field(pattern=r"^[0-9a-f]{64}$",
          description="Keyed hash (HMAC-SHA256, the person-key secret) of a bank account "
                      "(bank code and number): the same for every payee paid into one "
                      "account, so an account shared outside a household or a recorded "
                      "agent is seen without the number"),
]
ContactPhone = Annotated[
    str,
    Field(pattern=r"^1[3-9][0-9]{9}$",
          description="A mainland mobile number (11 digits) the person controls: one-time "
                      "codes that open their own statement are sent to it",
          examples=["13800138000"]),
]
OfficerId = Annotated[
    str, Field(min_length=1, max_length=64, description="The acting officer's ID")
]
ProgramCode = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]{2,63}$", description="Policy catalogue program code",
               examples=["reward_assistance_rural"])
]


def validate_township(value: str) -> str:
    """A 9-digit township (乡镇/街道) code: its county's 6-digit code and 3 more digits."""
    if not re.fullmatch(r"\d{9}", value) or value[:2] == "00":
        raise ValueError("township code must be 9 digits: the county's 6 and 3 more")
    return value


def county_of(code: str) -> str:
    """The 6-digit county code of a county (itself) or township (its first 6 digits)."""
    return code[:6]


TownshipCode = Annotated[
    str,
    AfterValidator(validate_township),
    Field(description="9-digit township (乡镇/街道) code: the county's 6 digits and 3 more",
          examples=["420117001"]),
]
