"""Valid, unique resident ID numbers for tests and the demo (GB 11643 check digit)."""

from __future__ import annotations

import itertools
import secrets

from siquan.contracts.types import gb11643_check_digit


class ResidentFactory:
    """Resident IDs of people born in a given year, in division 420117 by default."""

    _sequence = itertools.count(secrets.randbelow(500) * 1000)

    def __init__(self, division: str = "420117", birth_year: int = 1960) -> None:
        self.division, self.birth_year = division, birth_year

    def next(self) -> str:
        n = next(self._sequence)
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        serial = (n // 336) % 1000
        first17 = f"{self.division}{self.birth_year}{month:02d}{day:02d}{serial:03d}"
        return first17 + gb11643_check_digit(first17)
