"""Every officer read of a person's record or statement, kept and watched: eligibility's
reads arrive as `person_record.read.v1`, oversight's own statement and audit-trail reads are
recorded where they happen. An officer who reads more persons' records in a day than
`RuleConfig.reads_per_officer_per_day` raises `unusual_personal_data_reads` (once per
officer and day); the finding names the officer and the reads that crossed the line."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Protocol

from siquan.contracts.eligibility_v1 import PersonRecordRead
from siquan.contracts.types import county_of
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_finding
from siquan.oversight.reconciliation.domain.findings import UNUSUAL_PERSONAL_DATA_READS, Finding
from siquan.shared.auth import Officer
from siquan.shared.registry import handles


@dataclass(frozen=True)
class Read:
    read_id: str
    officer_id: str
    officer_division: str
    person_key: str
    record: str
    record_id: str
    purpose: str
    service: str
    read_at: datetime


class Reads(Protocol):
    async def add(self, read: Read) -> bool:
        """Keep the read; False when it was kept before (a redelivered message)."""

    async def count_on(self, officer_id: str, day: date, zone: tzinfo) -> int:
        """The officer's reads on `day` (midnight to midnight in `zone`)."""

    async def find(self, *, division_prefix: str, officer_id: str | None,
                   since: datetime | None, until: datetime | None,
                   limit: int) -> list[Read]: ...

    async def volume(self, *, division_prefix: str, since: datetime | None,
                     until: datetime | None) -> list[dict[str, object]]: ...


class ReadsUnit(RuleUnit, Protocol):
    @property
    def reads(self) -> Reads: ...


@handles(PersonRecordRead)
async def record_eligibility_read(e: PersonRecordRead, uow: ReadsUnit) -> None:
    await _keep(uow, Read(e.read_id, e.officer_id, e.officer_division, e.person_key,
                          e.record, e.record_id, e.purpose, "eligibility", e.read_at))


async def record_read(uow: ReadsUnit, officer: Officer, person_key: str, record: str,
                      purpose: str) -> None:
    """Oversight's own read of a person's statement or audit trail, in the reading unit."""
    await _keep(uow, Read(str(uuid.uuid4()), officer.id, officer.division, person_key,
                          record, person_key, purpose, "oversight", uow.now()))


async def _keep(uow: ReadsUnit, read: Read) -> None:
    if not await uow.reads.add(read):
        return
    day = read.read_at.astimezone(uow.zone).date()  # the office's day
    count = await uow.reads.count_on(read.officer_id, day, uow.zone)
    limit = uow.config.reads_per_officer_per_day
    if count <= limit:
        return
    await raise_finding(uow, Finding(
        UNUSUAL_PERSONAL_DATA_READS, f"unusual_personal_data_reads/{read.officer_id}/{day}",
        f"officer {read.officer_id} read {count} persons' records on {day}, more than the "
        f"{limit} a day expected", evidence=(read.read_id,), officer_id=read.officer_id,
        division_code=county_of(read.officer_division)))
