"""For unit tests: eligibility's handlers on the in-memory unit of work. A `Cycle` holds one
store and a clock that stands still, opens a unit for every step as a request or a
message would (`cycle.run(handler, command)` commits when the handler returns, and
discards everything when it raises), and walks applications through the chain so a test
starts where it needs to; the officers below act in county 420117."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

from siquan.contracts.base import Event
from siquan.contracts.household import HouseholdFacts
from siquan.eligibility.adapters.memory import FakeEligibilityWork, MemoryStore
from siquan.eligibility.application import approvals, households, intake, notices, reviews
from siquan.eligibility.application.ports import Terms
from siquan.eligibility.domain.household_register import shared_facts
from siquan.eligibility.domain.notice import PublicNotice
from siquan.shared.auth import Officer
from siquan.shared.clock import FixedClock
from siquan.shared.person import person_key
from siquan.shared.testing.facts import evidence_file, qualifying_household, required_evidence
from siquan.shared.testing.residents import ResidentFactory

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
C = TypeVar("C")
R = TypeVar("R")
E = TypeVar("E", bound=Event)
PROGRAM = "special_assistance"


def officer(officer_id: str, *roles: str, division: str = "420117") -> Officer:
    return Officer(id=officer_id, name=officer_id, roles=roles, division=division,
                   token_sha256="0" * 64)


CLERK = officer("clerk-1", "clerk")
RECORDER = officer("recorder-1", "clerk")
REVIEWER = officer("reviewer-1", "township_reviewer")
APPROVER = officer("approver-1", "county_approver")
TOWNSHIP_CLERK = officer("clerk-420117001", "clerk", division="420117001")
OTHER_TOWNSHIP_CLERK = officer("clerk-420117002", "clerk", division="420117002")


@dataclass(frozen=True)
class Done(Generic[R]):
    """What a committed unit returned and published."""

    result: R
    uow: FakeEligibilityWork

    def published(self, kind: type[E]) -> list[E]:
        return [e for e in self.uow.published(kind) if isinstance(e, kind)]


def full_facts(resident_id: str, program_code: str = PROGRAM, category: str = "death",
               on: date | None = None) -> HouseholdFacts:
    """Every fact the program's criteria read, stated so the resident qualifies."""
    return HouseholdFacts.model_validate(
        qualifying_household(resident_id, program_code, category, on))


class Cycle:
    """One county's applications in memory, driven through the handlers."""

    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.store = MemoryStore()
        self.people = ResidentFactory("420117", birth_year=1958)
        self.terms = Terms(person_key_secret=secrets.token_hex(16))

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[FakeEligibilityWork]:
        uow = FakeEligibilityWork(self.clock, self.store, terms=self.terms)
        yield uow
        await uow.commit()

    async def run(self, handler: Callable[[C, Any], Awaitable[R]], command: C) -> Done[R]:
        """One handler in one unit of work: committed, or nothing at all when it raises."""
        async with self.unit() as uow:
            result = await handler(command, uow)
        return Done(result, uow)

    async def step(self, step: Callable[[Any], Awaitable[R]]) -> Done[R]:
        """One background-loop step in one unit of work."""
        async with self.unit() as uow:
            result = await step(uow)
        return Done(result, uow)

    def advance_to(self, day: date) -> None:
        if self.clock.today() < day:
            self.clock.set(datetime.combine(day, START.timetz()))

    def later(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    def key_of(self, resident_id: str) -> str:
        return person_key(self.terms.person_key_secret, resident_id)

    def snapshot(self) -> str:
        """Everything a command could change, by value."""
        return repr(self.store.__dict__)

    async def submit(self, resident_id: str | None = None, *, by: Officer = CLERK,
                     evidence: bool = True, **overrides: Any) -> str:
        """Enter an application with the household facts its program needs (unless
        `facts` is given) and, with `evidence`, the documents approval requires."""
        fields: dict[str, Any] = {
            "resident_id": resident_id or self.people.next(), "name": "王秀英",
            "program_code": PROGRAM, "category": "death", "division_code": "420117",
            "eligible_from": date(2026, 1, 1), **overrides}
        if "facts" not in fields:
            fields["facts"] = full_facts(fields["resident_id"], fields["program_code"],
                                         fields["category"], fields["eligible_from"])
        done = await self.run(intake.submit_application, intake.SubmitApplication(by, **fields))
        application_id = done.result[0]
        if evidence:
            await self.file_evidence(application_id, fields["program_code"],
                                     fields["category"], by=by)
        return application_id

    async def file_evidence(self, application_id: str, program_code: str = PROGRAM,
                            category: str = "death", *, by: Officer = CLERK) -> None:
        """One document of each kind the program requires for the category."""
        for kind in required_evidence(program_code, category):
            name, content, content_type = evidence_file(kind)
            await self.run(intake.add_evidence, intake.AddEvidence(
                by, application_id, kind, name, content_type, content))

    async def register_household(self, head: str, facts: HouseholdFacts, *,
                                 division_code: str = "420117") -> str:
        """The household of `head` (its only member) in the register, with the household's
        part of `facts` (a per-household benefit is applied for by a member); its id."""
        done = await self.run(households.register, households.RegisterHousehold(
            REVIEWER, f"{division_code}-{head[-8:]}", division_code, shared_facts(facts),
            [households.NewMember(head, "陈建国", "head")]))
        return str(done.result[0]["household_id"])

    async def community_review(self, ids: list[str], *, by: Officer = RECORDER) -> None:
        await self.run(reviews.record_community_review, reviews.RecordCommunityReview(
            by, "420117", self.clock.today(), 12, reviews.Verdicts(ids, {})))

    async def township_review(self, ids: list[str], *, by: Officer = REVIEWER) -> None:
        await self.run(reviews.review,
                       reviews.ReviewApplications(by, reviews.Verdicts(ids, {})))

    async def to_notice(self, ids: list[str]) -> PublicNotice:
        await self.community_review(ids)
        await self.township_review(ids)
        done = await self.run(notices.publish_notice,
                              notices.PublishNotice(REVIEWER, PROGRAM, "420117", ids))
        return done.result

    async def closed_notice(self, count: int = 1) -> tuple[list[str], PublicNotice]:
        """Applications on a notice whose days are over (not closed yet)."""
        ids = [await self.submit() for _ in range(count)]
        notice = await self.to_notice(ids)
        self.advance_to(notice.closes_on)
        return ids, notice

    async def certified(self, resident_id: str | None = None) -> str:
        """A certification granted through the whole chain; its id."""
        application_id = await self.submit(resident_id)
        notice = await self.to_notice([application_id])
        self.advance_to(notice.closes_on)
        done = await self.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice.id))
        return done.result.certified[0]["certification_id"]
