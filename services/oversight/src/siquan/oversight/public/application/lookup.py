"""Finding a complaint by its tracking number (case and spaces do not matter)."""

from __future__ import annotations

from siquan.oversight.public.application.ports import Complaints
from siquan.oversight.public.domain.complaints import Complaint, normalise_tracking_number
from siquan.shared.errors import NotFound


async def look_up(complaints: Complaints, tracking_number: str) -> Complaint:
    number = normalise_tracking_number(tracking_number)
    complaint = await complaints.by_tracking_number(number) if number else None
    if complaint is None:
        raise NotFound("no complaint has this tracking number")
    return complaint
