"""A death (死亡注销), whatever its source: public security's single message or its daily
batch file, or an officer's record with its evidence (a death certificate, the village's
or community's report, a hospital's or crematorium's record). Eligibility keeps every
report: it revokes what the person holds when it arrives, and it stays on record for
whatever comes after it — an application entered or approved later never makes a dead
person a beneficiary, whatever order the messages and commands meet in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from siquan.eligibility.domain.errors import Refused

DeathSource = Literal["public_security", "public_security_file", "officer"]
EvidenceKind = Literal["death_certificate", "village_report", "community_report",
                       "hospital_record", "cremation_record"]
EVIDENCE_KINDS: tuple[EvidenceKind, ...] = (
    "death_certificate", "village_report", "community_report", "hospital_record",
    "cremation_record")
"""What an officer records a death on: 死亡证明 (medical death certificate), the village
committee's or the residents' committee's report, a hospital's record, a cremation
(funeral home) record."""


@dataclass(frozen=True)
class Death:
    report_id: str
    person_key: str
    date_of_death: date
    source: DeathSource = "public_security"
    evidence_kind: EvidenceKind | None = None
    document_number: str | None = None
    """The reference of the evidence (the certificate's or the record's number)."""
    recorded_by: str | None = None
    """The officer who recorded it (an officer's record only)."""
    masked_resident_id: str | None = None
    """The person's resident ID as 1101**********1234, when the source named them by it."""
    file_id: str | None = None
    """The daily file it came on (public security's file only), with its line."""
    file_line: int | None = None


CorrectionEvidenceKind = Literal["household_register_extract", "public_security_correction",
                                 "in_person_check", "village_report", "community_report"]
CORRECTION_EVIDENCE_KINDS: tuple[CorrectionEvidenceKind, ...] = (
    "household_register_extract", "public_security_correction", "in_person_check",
    "village_report", "community_report")
"""What shows a death was recorded in error: an extract of the household register showing
the person registered as alive, public security's correction of its report, an officer's
in-person check, the village's or community's report."""


def check_corrector(recorded_by: str | None, corrector: str) -> None:
    """Four eyes: the officer who recorded a death never corrects it."""
    if recorded_by is not None and recorded_by == corrector:
        raise Refused("the officer who recorded the death cannot correct it; another "
                      "county approver must")
