"""Taking in a complaint, report or objection, from the public web form or the hotline:
give it a tracking number and a due date, store it, and publish `complaint.filed.v1` in
the same transaction. An objection must name an application on a notice in force; it is
filed against that notice's division and is due within the notice."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from siquan.contracts.oversight_v1 import ComplaintCategory, ComplaintFiled
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.domain.calendar import end_of_day, local_day
from siquan.oversight.public.domain.complaints import (
    OBJECTION,
    TRACKING_TOKEN_BYTES,
    Channel,
    Complaint,
    FieldRefused,
    due_on,
    tracking_number,
)
from siquan.shared.auth import Officer
from siquan.shared.person import person_key


@dataclass(frozen=True)
class FileComplaint:
    category: ComplaintCategory
    description: str
    channel: Channel
    anonymous: bool
    division_code: str | None = None
    application_id: str | None = None
    resident_id: str | None = None  # only its person key is kept
    contact: str | None = None
    taken_by: Officer | None = None  # the hotline operator


async def file_complaint(uow: PublicUnit, config: PublicConfig, command: FileComplaint
                         ) -> Complaint:
    now = uow.now()
    today = local_day(now, config.zone)
    division, closes_on = command.division_code, None
    if command.category == OBJECTION and command.application_id is not None:
        posted = await uow.notices.posted_entry(command.application_id, today)
        if posted is None:
            raise FieldRefused("application_id", "no notice in force lists this "
                               "application; objections are taken while it is posted")
        division, closes_on = posted.township_code or posted.division_code, posted.closes_on
    if division is None:
        raise FieldRefused("division_code", "the county or township concerned is required")
    if command.taken_by is not None:
        command.taken_by.check_scope(division)
    due = due_on(command.category, today, config.calendar, config.sla, closes_on)
    complaint = Complaint(
        complaint_id=str(uuid.uuid4()),
        tracking_number=tracking_number(today.year, secrets.token_bytes(
            TRACKING_TOKEN_BYTES)),
        category=command.category, channel=command.channel, anonymous=command.anonymous,
        division_code=division, application_id=command.application_id,
        person_key=(person_key(config.person_key_secret, command.resident_id)
                    if command.resident_id else None),
        description=command.description, contact=command.contact, status="open",
        handler=None, filed_at=now, due_at=end_of_day(due, config.zone))
    message_id = uow.publish(ComplaintFiled(
        complaint_id=complaint.complaint_id, tracking_number=complaint.tracking_number,
        category=command.category,
        application_id=complaint.application_id, person_key=complaint.person_key,
        division_code=division, filed_at=now))
    await uow.complaints.insert(complaint, message_id)
    return complaint
