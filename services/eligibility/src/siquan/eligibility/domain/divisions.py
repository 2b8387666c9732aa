"""Where an application belongs: its county (6 digits) and, when entered for one, its
township (9 digits). Scope checks use the most specific of the two, so a township officer
acts only on its own township's applications and a county officer on all of them."""

from __future__ import annotations

import re

_LOCAL = re.compile(r"^(\d{6})(\d{3})?$")


def split_division(code: str) -> tuple[str, str | None]:
    """`420117` → (`420117`, None); `420117001` → (`420117`, `420117001`)."""
    match = _LOCAL.match(code)
    if match is None or code.startswith("00"):
        raise ValueError("division must be a 6-digit county or a 9-digit township code")
    return match.group(1), (code if match.group(2) else None)


def scope_of(division_code: str, township_code: str | None) -> str:
    """The code an officer's scope is checked against."""
    return township_code or division_code
