"""The partner agencies' projections, major version 1, on `siquan.partners`.

Eligibility publishes, for each agency, only what that agency needs to do its own work,
under routing keys scoped to it (`<agency>.certification.started.v1`, ...); the broker
lets each agency read its own keys alone (`siquan.partner.<agency>.projection`).

- civil affairs (民政) and social security (人社) learn who receives which benefit from
  when, and when it ends, so that no one is paid twice for one need;
- education (教育) learns only of its own programs (the girls' scholarship and the exam
  bonus points it applies), nothing of special assistance or any other benefit;
- public security (公安) learns only that the certifications of a person it reported dead
  have ended (the message's causation id is its report's message id).

No projection carries a resident ID, the internal person key or anything derived from an
ID with a key another party holds: a person is named by a pseudonym, the HMAC-SHA256 of the
resident ID under the agency's own key, so each agency can match its own records (it
computes the same HMAC over the IDs it holds) and two agencies cannot join their feeds.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.types import DivisionCode, ProgramCode

Pseudonym = Annotated[
    str,
    Field(pattern=r"^[0-9a-f]{64}$",
          description="The person, as this agency alone can name them: HMAC-SHA256 of the "
                      "resident ID (18 characters, upper case X) under the agency's own "
                      "pseudonym key, in lower-case hex"),
]
Ending = Literal["revoked", "lapsed", "suspended"]

EDUCATION_PROGRAMS: frozenset[str] = frozenset({"girls_scholarship", "exam_bonus_points"})
"""The programs education administers or applies, the only ones its projection carries."""


class _Projection(Event):
    producer = "eligibility"
    audience: ClassVar[str]


STARTED = "First day the benefit is owed"
ENDED = "First day nothing is owed any more"
ENDING = ("How it ended: revoked (death, loss of status, a finding), lapsed (not "
          "re-confirmed in time) or suspended (while a finding is examined; a later "
          "`started` resumes it)")


class CivilAffairsCertificationStarted(_Projection):
    """A person is owed a benefit from a date (certified, or reinstated after a
    suspension): civil affairs checks it against the assistance it pays itself."""

    audience = "civil_affairs"
    routing_key = "civil_affairs.certification.started.v1"
    pseudonym: Pseudonym
    program_code: ProgramCode
    category: str = Field(description="Benefit category within the program")
    division_code: DivisionCode
    effective_from: date = Field(description=STARTED)


class CivilAffairsCertificationEnded(_Projection):
    """A person's benefit ends (or pauses) from a date."""

    audience = "civil_affairs"
    routing_key = "civil_affairs.certification.ended.v1"
    pseudonym: Pseudonym
    program_code: ProgramCode
    division_code: DivisionCode
    effective_from: date = Field(description=ENDED)
    ending: Ending = Field(description=ENDING)


class SocialSecurityCertificationStarted(_Projection):
    """A person is owed a benefit from a date: social security checks it against the
    pension subsidies and top-ups it pays itself."""

    audience = "social_security"
    routing_key = "social_security.certification.started.v1"
    pseudonym: Pseudonym
    program_code: ProgramCode
    category: str = Field(description="Benefit category within the program")
    division_code: DivisionCode
    effective_from: date = Field(description=STARTED)


class SocialSecurityCertificationEnded(_Projection):
    """A person's benefit ends (or pauses) from a date."""

    audience = "social_security"
    routing_key = "social_security.certification.ended.v1"
    pseudonym: Pseudonym
    program_code: ProgramCode
    division_code: DivisionCode
    effective_from: date = Field(description=ENDED)
    ending: Ending = Field(description=ENDING)


EducationProgram = Literal["girls_scholarship", "exam_bonus_points"]


class EducationCertificationStarted(_Projection):
    """A pupil's family is certified for an education program (the girls' scholarship,
    the exam bonus points) from a date."""

    audience = "education"
    routing_key = "education.certification.started.v1"
    pseudonym: Pseudonym
    program_code: EducationProgram = Field(description="The education program")
    division_code: DivisionCode
    effective_from: date = Field(description=STARTED)


class EducationCertificationEnded(_Projection):
    """A certification for an education program ends (or pauses) from a date."""

    audience = "education"
    routing_key = "education.certification.ended.v1"
    pseudonym: Pseudonym
    program_code: EducationProgram = Field(description="The education program")
    effective_from: date = Field(description=ENDED)


class PublicSecurityCertificationEnded(_Projection):
    """A certification of a person public security reported dead has ended: the death
    report took effect. The AMQP header `x-siquan-causation-id` is the message id of the
    death report; which benefit it was is not public security's business."""

    audience = "public_security"
    routing_key = "public_security.certification.ended.v1"
    pseudonym: Pseudonym
    effective_from: date = Field(description=ENDED)


PROJECTIONS: tuple[type[_Projection], ...] = (
    CivilAffairsCertificationStarted, CivilAffairsCertificationEnded,
    SocialSecurityCertificationStarted, SocialSecurityCertificationEnded,
    EducationCertificationStarted, EducationCertificationEnded,
    PublicSecurityCertificationEnded)
register(*PROJECTIONS)
