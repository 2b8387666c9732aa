"""An auditor's decisions on the in-memory unit of work: resolving a finding, lifting a
hold; a refused decision changes nothing."""

from __future__ import annotations

import secrets

import pytest

from siquan.contracts.oversight_v1 import FindingResolved, HoldLifted
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.reconciliation.application import decisions
from siquan.oversight.reconciliation.application.raising import raise_finding
from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.findings import Finding
from siquan.shared.auth import Officer
from siquan.shared.errors import OutOfScope, Refused


def auditor(division: str = "420117") -> Officer:
    return Officer(id=f"auditor-{division}", name="审计", roles=("auditor",),
                   division=division, token_sha256="0" * 64)


async def raised(uow: FakeOversightWork, rule: rules.Rule = rules.PAID_AFTER_DEATH) -> str:
    finding_id = await raise_finding(uow, Finding(
        rule=rule, dedup_key=f"{rule.name}:{secrets.token_hex(4)}", reason="r",
        evidence=("m-1",), person_key=secrets.token_hex(32), program_code="special_assistance",
        division_code="420117"))
    assert finding_id is not None
    return finding_id


async def test_resolving_a_finding_publishes_the_outcome(uow: FakeOversightWork) -> None:
    finding_id = await raised(uow)

    resolved = await decisions.resolve_finding(uow, finding_id=finding_id, officer=auditor(),
                                               outcome="confirmed", resolution="recovered")

    assert (resolved["status"], resolved["outcome"]) == ("resolved", "confirmed")
    [event] = uow.published(FindingResolved)
    assert (event.finding_id, event.resolved_by) == (finding_id, "auditor-420117")


async def test_a_finding_is_resolved_once(uow: FakeOversightWork) -> None:
    finding_id = await raised(uow)
    await decisions.resolve_finding(uow, finding_id=finding_id, officer=auditor(),
                                    outcome="confirmed", resolution="recovered")

    with pytest.raises(Refused):
        await decisions.resolve_finding(uow, finding_id=finding_id, officer=auditor(),
                                        outcome="dismissed", resolution="again")
    assert len(uow.published(FindingResolved)) == 1


async def test_an_auditor_of_another_division_may_not_lift_a_hold(
        uow: FakeOversightWork) -> None:
    await raised(uow)
    [hold_id] = uow.store.holds

    with pytest.raises(OutOfScope):
        await decisions.lift_hold(uow, hold_id=hold_id, officer=auditor("110105"),
                                  reason="checked")
    assert uow.published(HoldLifted) == []
    assert uow.store.holds[hold_id]["lifted_at"] is None


async def test_lifting_a_hold_publishes_it_with_the_reason(uow: FakeOversightWork) -> None:
    await raised(uow)
    [hold_id] = uow.store.holds

    lifted = await decisions.lift_hold(uow, hold_id=hold_id, officer=auditor(),
                                       reason="death record was wrong")

    assert lifted["lift_reason"] == "death record was wrong"
    [event] = uow.published(HoldLifted)
    assert event.hold_id == hold_id


async def test_a_second_finding_about_a_held_person_places_no_second_hold(
        uow: FakeOversightWork) -> None:
    first = Finding(rule=rules.PAID_AFTER_REVOCATION, dedup_key="x:1", reason="r",
                    evidence=("m-1",), person_key="a" * 64, program_code="special_assistance")
    await raise_finding(uow, first)
    await raise_finding(uow, Finding(rule=rules.PAID_WHILE_SUSPENDED, dedup_key="x:2",
                                     reason="r", evidence=("m-2",), person_key="a" * 64,
                                     program_code="special_assistance"))

    assert len(uow.store.holds) == 1 and len(uow.store.findings) == 2
