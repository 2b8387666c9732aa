"""Events published by fund custody (资金管理), major version 1, on `siquan.fund_custody`.

Fund custody holds no personal data: these events carry counts and amounts only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import DivisionCode, Fen, OfficerId, Period, ProgramCode

FiscalLevel = Literal["central", "provincial", "municipal", "county"]


class _FundCustody(Event):
    producer = "fund_custody"


class AppropriationRecorded(_FundCustody):
    """A fiscal level paid money into a program's special account (拨款)."""

    routing_key = RoutingKey.APPROPRIATION_RECORDED
    appropriation_id: str = Field(description="Appropriation identifier (UUID)")
    program_code: ProgramCode
    fiscal_year: int = Field(ge=2000, le=2100, description="Fiscal year of the special account")
    division_code: DivisionCode
    fiscal_level: FiscalLevel = Field(description="Which budget paid it")
    amount_fen: Fen
    available_fen: Fen = Field(description="Special account's available balance afterwards")
    recorded_by: OfficerId
    recorded_at: datetime = Field(description="When it was recorded (UTC)")


class AllocationApproved(_FundCustody):
    """The run's control total is reserved in the special account; the run may pay."""

    routing_key = RoutingKey.ALLOCATION_APPROVED
    allocation_id: str = Field(description="Allocation identifier (UUID)")
    run_id: str = Field(description="The payment run funded")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    amount_fen: Fen = Field(description="Amount reserved: the run's control total")
    available_fen: Fen = Field(description="Available balance after the reservation")


class AllocationRejected(_FundCustody):
    """The special account cannot cover the run; nothing was reserved."""

    routing_key = RoutingKey.ALLOCATION_REJECTED
    run_id: str = Field(description="The payment run refused")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    requested_fen: Fen = Field(description="The run's control total")
    available_fen: Fen = Field(description="Available balance at the time")
    shortfall_fen: Fen = Field(description="requested - available")
    reason: str = Field(description="Why the allocation was refused")


class SettlementCompleted(_FundCustody):
    """A run is settled: reserved = paid + released, and the unused part is available again."""

    routing_key = RoutingKey.SETTLEMENT_COMPLETED
    run_id: str = Field(description="The payment run settled")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    reserved_fen: Fen = Field(description="What the allocation reserved")
    paid_fen: Fen = Field(description="What the bank settled and left the account")
    released_fen: Fen = Field(description="What went back to the available balance")
    available_fen: Fen = Field(description="Available balance after settlement")


register(AppropriationRecorded, AllocationApproved, AllocationRejected, SettlementCompleted)
