"""The public side's configuration, read once from the settings: where days are counted,
the working-day calendar, the SLA per category, the hotline."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from siquan.oversight.public.domain.calendar import WorkCalendar
from siquan.oversight.public.domain.complaints import sla_working_days
from siquan.oversight.settings import OversightSettings


@dataclass(frozen=True)
class PublicConfig:
    hotline: str
    zone: ZoneInfo
    calendar: WorkCalendar
    sla: dict[str, int]
    person_key_secret: str

    @classmethod
    def from_settings(cls, settings: OversightSettings) -> PublicConfig:
        return cls(hotline=settings.public_hotline, zone=settings.office_zone,
                   calendar=WorkCalendar.of(settings.public_holidays,
                                            settings.public_makeup_workdays),
                   sla=sla_working_days(settings.complaint_sla_working_days),
                   person_key_secret=settings.person_key_secret)
