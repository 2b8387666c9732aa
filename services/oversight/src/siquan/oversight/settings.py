"""Oversight's settings (env prefix `SIQUAN_`)."""

from datetime import date
from typing import Literal

from pydantic import Field

from siquan.shared.settings import ServiceSettings


class OversightSettings(ServiceSettings):
    amqp_url: str = "amqp://oversight:siquan-oversight-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_oversight:siquan-siquan_oversight-dev"
                   "@127.0.0.1:5432/siquan_oversight")
    http_port: int = 8004
    consumer_bulk_ack: bool = Field(
        default=True, description="Acknowledge a committed batch at once when it can")
    consumer_batch_bytes: int = Field(
        default=8 * 2**20, ge=0,
        description="Bytes of message bodies after which a batch takes no more: a batch of "
                    "payment chunks holds a few chunks, never a whole run (0: no limit)")
    pg_toast_compression: Literal["", "pglz", "lz4"] = Field(
        default="lz4",
        description="How long values are compressed: lz4 writes a chunk's megabytes of "
                    "payments into the audit log in a tenth of the CPU pglz takes")
    checkpoint_seconds: float = Field(
        default=60.0, gt=0,
        description="How often the audit chain's head is published if it moved")
    # The public side (notice board, complaints, statements).
    public_hotline: str = Field(default="12320",
                                description="Hotline shown on the notice board and forms")
    public_holidays: tuple[date, ...] = Field(
        default=(), description="Public holidays: not working days for complaint SLAs")
    public_makeup_workdays: tuple[date, ...] = Field(
        default=(), description="Weekend days worked in exchange for a holiday (调休)")
    complaint_sla_working_days: dict[str, int] = Field(
        default_factory=dict,
        description="Working days to resolve a complaint, per category, overriding the "
                    "defaults (15; notice_objection 5, and within its notice)")
    complaint_escalation_seconds: float = Field(
        default=60.0, gt=0, description="How often overdue complaints are escalated")
    reconciliation_sweep_seconds: float = Field(
        default=30.0, gt=0,
        description="How often the sweep looks for unpaid persons past the deadline, payments "
                    "and fund movements still unmatched after the grace period, and "
                    "timeliness below the target")
    reconciliation_grace_seconds: float = Field(
        default=120.0, ge=0,
        description="How long a fact may lag on another queue (a grant behind its payment, "
                    "a run behind its allocation) before its absence is a finding")
    omission_deadline_days: int = Field(
        default=30, ge=0,
        description="Days after a period's end by which every certified person of a county "
                    "where a run was made must have been paid (漏)")
    timeliness_target_days: int = Field(
        default=30, ge=1, description="An application is certified on time within this many days")
    timeliness_target_rate: float = Field(
        default=0.9, gt=0, le=1,
        description="Share of a division's applications to certify on time (资格确认及时率)")
    timeliness_check_seconds: float = Field(
        default=600.0, gt=0,
        description="How often the sweep recomputes each division's certification timeliness")
    timeliness_min_applications: int = Field(
        default=10, ge=1,
        description="A division's timeliness is judged from this many applications of a year")
    reads_per_officer_per_day: int = Field(
        default=200, ge=1,
        description="Reads of persons' records or statements by one officer in a day beyond "
                    "which oversight raises the finding unusual_personal_data_reads")
    account_change_flag_days: int = Field(
        default=30, ge=0,
        description="A payee account replaced this many days or fewer before a run that paid "
                    "it is flagged")
