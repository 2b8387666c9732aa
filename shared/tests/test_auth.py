"""Officers' division scope and tokens."""

import hashlib

import pytest

from siquan.shared.auth import Officer, OfficerRegistry


def _officer(division: str) -> Officer:
    return Officer(id="o", name="o", roles=("clerk",), division=division,
                   token_sha256=hashlib.sha256(b"t").hexdigest())


@pytest.mark.parametrize("officer,division,covered", [
    ("420117", "420117", True), ("420110", "420111", False), ("420100", "420117", True),
    ("420100", "420201", False), ("420000", "429004", True), ("420000", "110105", False),
])
def test_an_officer_covers_the_divisions_below_its_level(officer: str, division: str,
                                                         covered: bool) -> None:
    assert _officer(officer).covers(division) is covered


def test_only_the_right_token_authenticates() -> None:
    registry = OfficerRegistry([_officer("420117")])
    assert registry.authenticate("t") is not None
    assert registry.authenticate("wrong") is None
