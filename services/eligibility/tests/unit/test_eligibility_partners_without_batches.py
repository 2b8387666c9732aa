"""A partner agency whose client does not read batches yet is named in
`SIQUAN_PARTNERS_WITHOUT_BATCHES`: its projection's types are then published one event to
a message; a name that is no partner agency refuses the start."""

import pytest
from pydantic import ValidationError

from siquan.eligibility.settings import EligibilitySettings


def test_the_named_agencies_projection_types_go_singly(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.setenv("SIQUAN_PARTNERS_WITHOUT_BATCHES", '["social_security"]')
    single = EligibilitySettings(mode="development").single_message_types()
    assert single == {"social_security.certification.started.v1",
                      "social_security.certification.ended.v1"}
    assert EligibilitySettings(mode="development",
                               partners_without_batches=frozenset()).single_message_types() \
        == frozenset()


def test_a_name_that_is_no_partner_agency_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a partner agency: tax_bureau"):
        EligibilitySettings(mode="development",
                            partners_without_batches=frozenset({"tax_bureau"}))
