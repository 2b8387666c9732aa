"""The one rule for "may we pay this person for this period", in Python; the same rule's
SQL is held to these answers by property tests against PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from siquan.disbursement.domain.payable import (
    ALREADY_PAID,
    AWAITING_CONFIRMATION,
    DIED,
    IN_FORCE,
    NO_ACCOUNT,
    NOT_ACTIVE,
    NOT_ALLOCATED,
    ON_HOLD,
    PAYABLE,
    PLANNABLE,
    SUSPENDED,
    PaymentFacts,
)

MAY = PaymentFacts("2026-05", certified_from=date(2026, 1, 1), has_account=True,
                   allocated=True)


def test_a_certified_living_unheld_payee_with_an_account_and_an_allocation_may_be_paid(
        ) -> None:
    assert PAYABLE.obstacle(MAY) is None


@pytest.mark.parametrize(("change", "reason"), [
    ({"paid": True}, ALREADY_PAID),
    ({"certified_from": None}, NOT_ACTIVE),
    ({"certified_from": date(2026, 6, 1)}, NOT_ACTIVE),
    ({"certified_until": date(2026, 5, 1)}, NOT_ACTIVE),
    ({"benefits_end": date(2026, 5, 1)}, DIED),
    ({"held": True}, ON_HOLD),
    ({"suspended": True}, SUSPENDED),
    ({"has_account": False}, NO_ACCOUNT),
    ({"account_unconfirmed": True}, AWAITING_CONFIRMATION),
    ({"allocated": False}, NOT_ALLOCATED),
])
def test_each_condition_refuses_with_its_own_reason(change: dict[str, object],
                                                    reason: str) -> None:
    assert PAYABLE.obstacle(replace(MAY, **change)) == reason  # type: ignore[arg-type]


def test_a_certification_ending_or_a_death_within_the_period_still_pays_it() -> None:
    assert PAYABLE.allows(replace(MAY, certified_until=date(2026, 5, 2),
                                  benefits_end=date(2026, 5, 2)))


def test_the_first_failed_condition_gives_the_reason() -> None:
    assert PAYABLE.obstacle(replace(MAY, paid=True, held=True)) == ALREADY_PAID


def test_a_roster_is_frozen_before_its_allocation_and_in_force_is_dates_only() -> None:
    assert PLANNABLE.allows(replace(MAY, allocated=False))
    assert IN_FORCE.allows(PaymentFacts("2026-05", certified_from=date(2026, 5, 31)))
    assert not IN_FORCE.allows(PaymentFacts("2026-05", certified_from=date(2026, 6, 1)))


def test_the_sql_counts_a_missing_fact_as_a_failed_condition() -> None:
    sql = IN_FORCE.sql_obstacle({"certified_from": "c.f", "certified_until": "c.u",
                                 "benefits_end": "d.e", "period_start": "$1",
                                 "period_end": "$2"})
    assert sql.count("COALESCE(") == 2 and "(c.f) <= ($2)" in sql


def test_the_sql_refuses_a_query_that_does_not_say_how_to_read_a_fact() -> None:
    with pytest.raises(KeyError, match="certified_from"):
        PAYABLE.sql_allows({"paid": "false"})
