"""Why an officer reads a person's record: every such read states a purpose (the `purpose`
query parameter or the `X-Purpose` header), which is recorded with the read."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Query

from siquan.shared.errors import InvalidRequest

_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def stated_purpose(
        purpose: Annotated[str | None, Query(
            max_length=200, description="Why the record is read (recorded with the read); "
                                        "or the X-Purpose header")] = None,
        x_purpose: Annotated[str | None, Header(max_length=200)] = None) -> str:
    stated = (purpose or x_purpose or "").strip()
    if not _PRINTABLE.match(stated):
        raise InvalidRequest("state why you read this record: the `purpose` query parameter "
                             "or the X-Purpose header (1-200 printable characters)")
    return stated


Purpose = Annotated[str, Depends(stated_purpose)]
"""FastAPI dependency: the purpose the officer stated (422 when none)."""
