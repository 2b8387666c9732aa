"""Duplicates found by oversight's rules on the in-memory unit of work: exclusive programs,
a per-household benefit certified twice, and one account receiving for payees no household
and no recorded agency links — each a finding citing its events; and the statement of a
person an agent collects for."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.oversight_v1 import FindingRaised
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.public.application import ledger
from siquan.oversight.public.application.statements import statement_of
from siquan.oversight.reconciliation.application import duplicate_rules, eligibility_rules

HOUSEHOLD = "e" * 64
AT = datetime(2026, 3, 1, tzinfo=UTC)


def granted(program: str, person: str, *, household: str | None = None,
            category: str = "standard") -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=program, category=category, policy_version="v", person_key=person,
        masked_name="王*", masked_resident_id="4201**********0011", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by="reviewer-1", approved_by="approver-1",
        approved_at=AT, household_key=household)


def registered(person: str, fingerprint: str, *, agent: str | None = None,
               at: datetime = AT) -> disbursement.PayeeAccountRegistered:
    return disbursement.PayeeAccountRegistered(
        person_key=person, bank_code="102", masked_account="*************0017",
        registered_by="disburser-1", registered_at=at, replaces_previous=False,
        division_code="420117", account_fingerprint=fingerprint,
        collected_by_agent=agent is not None, agent_person_key=agent,
        agent_masked_resident_id=None if agent is None else "4201**********0022",
        agent_evidence_kind=None if agent is None else "power_of_attorney")


def fingerprinted(person: str, fingerprint: str, *, at: datetime = AT
                  ) -> disbursement.PayeeAccountFingerprinted:
    return disbursement.PayeeAccountFingerprinted(
        person_key=person, bank_code="102", masked_account="*************0017",
        registered_at=at, division_code="420117", account_fingerprint=fingerprint,
        fingerprinted_at=AT.replace(year=2027))


async def committed(uow: FakeOversightWork, *events: Any) -> FakeOversightWork:
    batch = FakeOversightWork(uow.clock, store=uow.store)
    for event in events:
        handlers: list[Any] = {
            eligibility.CertificationGranted: [eligibility_rules.judge_grant,
                                               duplicate_rules.remember_household],
            disbursement.PayeeAccountRegistered: [duplicate_rules.remember_account_use],
            disbursement.PayeeAccountFingerprinted: [
                duplicate_rules.remember_fingerprinted_account],
        }[type(event)]
        await batch.receive(event, *handlers)
    await batch.commit()
    return batch


def found(batch: FakeOversightWork, rule: str) -> list[FindingRaised]:
    return [f for f in batch.published(FindingRaised) if f.rule == rule]


async def test_a_person_certified_in_exclusive_programs_is_a_finding(
        uow: FakeOversightWork) -> None:
    person = secrets.token_hex(32)
    first = await committed(uow, granted("reward_assistance_rural", person))
    second = await committed(uow, granted("contraception_reward", person))
    [finding] = found(second, "certified_in_exclusive_programs")
    assert found(first, "certified_in_exclusive_programs") == []
    assert finding.person_key == person and finding.program_code == "contraception_reward"
    assert len(finding.evidence) == 2 and finding.category == "wrong_eligibility_decision"
    again = await committed(uow, granted("special_assistance", person, category="death"))
    assert found(again, "certified_in_exclusive_programs") == []


async def test_a_household_certified_twice_for_a_per_household_benefit_is_a_finding(
        uow: FakeOversightWork) -> None:
    husband, wife, neighbour = (secrets.token_hex(32) for _ in range(3))
    await committed(uow, granted("one_child_health_fee", husband, household=HOUSEHOLD))
    apart = await committed(uow, granted("one_child_health_fee", neighbour,
                                         household="f" * 64))
    twice = await committed(uow, granted("one_child_health_fee", wife, household=HOUSEHOLD))
    assert found(apart, "household_certified_twice") == []
    [finding] = found(twice, "household_certified_twice")
    assert finding.person_key == wife and len(finding.evidence) == 2
    per_person = await committed(uow, granted("reward_assistance_rural", husband,
                                              household=HOUSEHOLD),
                                 granted("reward_assistance_rural", wife,
                                         household=HOUSEHOLD))
    assert found(per_person, "household_certified_twice") == []


async def test_an_account_shared_by_unrelated_payees_is_a_finding_once(
        uow: FakeOversightWork) -> None:
    one, other = secrets.token_hex(32), secrets.token_hex(32)
    fingerprint = secrets.token_hex(32)
    alone = await committed(uow, registered(one, fingerprint))
    shared = await committed(uow, registered(other, fingerprint))
    assert found(alone, "account_shared_outside_household") == []
    [finding] = found(shared, "account_shared_outside_household")
    assert finding.person_key == other and len(finding.evidence) == 2
    assert "0017" in finding.reason and fingerprint not in finding.reason
    again = await committed(uow, registered(other, fingerprint))
    assert found(again, "account_shared_outside_household") == []


async def test_an_older_account_fingerprinted_since_is_compared_like_a_registered_one(
        uow: FakeOversightWork) -> None:
    old, newer, later_own = secrets.token_hex(32), secrets.token_hex(32), secrets.token_hex(32)
    fingerprint = secrets.token_hex(32)
    first = await committed(uow, fingerprinted(old, fingerprint, at=AT.replace(year=2015)))
    shared = await committed(uow, registered(newer, fingerprint))
    assert found(first, "account_shared_outside_household") == []
    [finding] = found(shared, "account_shared_outside_household")
    assert finding.person_key == newer and len(finding.evidence) == 2
    # An account fingerprinted later than the person's own newer registration does not
    # displace it: the person is paid into the newer account.
    own = secrets.token_hex(32)
    await committed(uow, registered(later_own, own))
    stale = await committed(uow, fingerprinted(later_own, fingerprint,
                                               at=AT.replace(year=2016)))
    assert found(stale, "account_shared_outside_household") == []


async def test_an_account_shared_within_a_household_or_an_agency_is_not(
        uow: FakeOversightWork) -> None:
    husband, wife, agent, collected = (secrets.token_hex(32) for _ in range(4))
    fingerprint, agents = secrets.token_hex(32), secrets.token_hex(32)
    await committed(uow, granted("special_assistance", husband, household=HOUSEHOLD,
                                 category="death"),
                    granted("special_assistance", wife, household=HOUSEHOLD,
                            category="death"))
    spouses = await committed(uow, registered(husband, fingerprint),
                              registered(wife, fingerprint))
    agency = await committed(uow, registered(agent, agents),
                             registered(collected, agents, agent=agent))
    for batch in (spouses, agency):
        assert found(batch, "account_shared_outside_household") == []


async def test_ending_an_agency_moves_the_payee_off_the_agents_account(
        uow: FakeOversightWork) -> None:
    agent, collected, stranger = (secrets.token_hex(32) for _ in range(3))
    agents, own = secrets.token_hex(32), secrets.token_hex(32)
    await committed(uow, registered(agent, agents), registered(collected, agents, agent=agent))
    later = AT.replace(month=4)
    await committed(uow, registered(collected, own, at=later))
    stranger_joins = await committed(uow, registered(stranger, own, at=later.replace(day=2)))
    [finding] = found(stranger_joins, "account_shared_outside_household")
    assert finding.person_key == stranger


async def test_the_statement_says_an_agent_collects_until_the_agency_ends(
        uow: FakeOversightWork) -> None:
    person, agent = secrets.token_hex(32), secrets.token_hex(32)
    await uow.receive(registered(person, secrets.token_hex(32), agent=agent),
                      ledger.payee_agency)
    collected = (await statement_of(uow, person)).as_dict(public=True)
    assert collected["collected_by_agent"] is True
    assert collected["agent"]["masked_resident_id"] == "4201**********0022"
    assert collected["agent"]["evidence_kind"] == "power_of_attorney"
    assert agent not in str(collected)
    await uow.receive(registered(person, secrets.token_hex(32), at=AT.replace(month=5)),
                      ledger.payee_agency)
    own = (await statement_of(uow, person)).as_dict(public=True)
    assert (own["collected_by_agent"], own["agent"]) == (False, None)
