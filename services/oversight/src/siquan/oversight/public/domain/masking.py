"""What the public may see of a person: the family name and a masked given name, and the
resident ID as `1101**********1234`. Notices arrive masked; these functions make sure of
it before anything is stored or shown, masking again whatever does not look masked."""

from __future__ import annotations

import re

from siquan.contracts.types import mask_name, mask_resident_id

_MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
_FULL_ID = re.compile(r"^\d{17}[\dX]$")
HIDDEN_ID = "*" * 18


def shown_resident_id(value: str) -> str:
    """A masked resident ID as it is; a full one masked; anything else hidden entirely."""
    candidate = value.strip().upper()
    if _MASKED_ID.match(candidate):
        return candidate
    if _FULL_ID.match(candidate):
        return mask_resident_id(candidate)
    return HIDDEN_ID


def shown_name(value: str) -> str:
    """A name whose given name is masked (`张*`) as it is; any other name masked."""
    candidate = value.strip()
    if len(candidate) > 1 and set(candidate[1:]) == {"*"}:
        return candidate
    return mask_name(candidate) if candidate else "**"
