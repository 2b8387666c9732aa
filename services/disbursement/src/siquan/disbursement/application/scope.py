"""Division scope: an officer acts only for the divisions their own division covers."""

from siquan.disbursement.domain.errors import OutOfScope
from siquan.shared.auth import Officer


def check_scope(officer: Officer, division_code: str) -> None:
    if not officer.covers(division_code):
        raise OutOfScope(f"officer {officer.id} acts for {officer.division}, "
                         f"not for division {division_code}")
