"""Finding a complaint by its tracking number (case and spaces do not matter)."""

from __future__ import annotations

from siquan.oversight.public.adapters import complaints
from siquan.oversight.public.domain.complaints import Complaint, normalise_tracking_number
from siquan.shared.database import Connection
from siquan.shared.errors import NotFound


async def look_up(conn: Connection, tracking_number: str) -> Complaint:
    number = normalise_tracking_number(tracking_number)
    complaint = await complaints.by_tracking_number(conn, number) if number else None
    if complaint is None:
        raise NotFound("no complaint has this tracking number")
    return complaint
