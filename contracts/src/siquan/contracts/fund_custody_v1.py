"""Events published by fund custody (资金管理), major version 1, on `siquan.fund_custody`.

Fund custody holds no personal data: these events carry counts and amounts only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import Contract, Event, register
from siquan.contracts.officer_activity import OfficerActivity
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
    returned_fen: Fen = Field(
        default=0, description="Part of paid_fen the bank sent back before the run settled; "
                               "it is available again (paid_fen stays what the bank settled)")


class LevelAmounts(Contract):
    """An amount per fiscal level (central, provincial, municipal, county)."""

    central: Fen = Field(description="Central budget's part")
    provincial: Fen = Field(description="Provincial budget's part")
    municipal: Fen = Field(description="Municipal (prefecture) budget's part")
    county: Fen = Field(description="County budget's part, with any rounding remainder")


class ForecastLine(Contract):
    """One benefit category of a forecast: how many are certified and what each is owed."""

    category: str = Field(description="Benefit category within the program")
    head_count: int = Field(ge=0, description="Certifications in the category payable in "
                                              "at least one period of the year")
    per_person_fen: Fen = Field(description="Owed to one person over the year's periods")
    total_fen: Fen = Field(description="Owed over the periods each certification was "
                                       "payable in (a certification revoked or granted "
                                       "mid-year counts only its own periods)")


class ForecastPublished(_FundCustody):
    """A fund forecast (资金预报) for a special account's fiscal year: certified head count x
    the policy standard x the year's payment periods, split by the fiscal shares. A new
    version is published whenever the roster changes a figure."""

    routing_key = RoutingKey.FORECAST_PUBLISHED
    program_code: ProgramCode
    fiscal_year: int = Field(ge=2000, le=2100, description="Fiscal year forecast")
    division_code: DivisionCode
    version: int = Field(ge=1, description="Forecast version for this special account")
    frequency: Literal["monthly", "yearly", "semester", "one_off"] = Field(
        description="The program's payment frequency")
    periods: tuple[Period, ...] = Field(description="The year's payment periods")
    head_count: int = Field(ge=0, description="Active certifications counted")
    lines: tuple[ForecastLine, ...] = Field(description="Per benefit category")
    total_fen: Fen = Field(description="What the year needs")
    by_level: LevelAmounts = Field(description="The total split by the policy's fiscal "
                                               "shares; the levels add up to the total")
    cause: Literal["requested", "roster_changed"] = Field(
        description="Requested by a treasury officer, or recomputed after the roster changed")
    computed_at: datetime = Field(description="When it was computed (UTC)")


class YearEndStatementPublished(_FundCustody):
    """The year-end settlement (专项结算) of a special account. It balances to the fen:
    closing = opening + appropriations - payments + returns + recoveries; the closing
    balance is carried forward as the next fiscal year's opening balance, and the account
    takes no more postings."""

    routing_key = RoutingKey.STATEMENT_PUBLISHED
    statement_id: str = Field(description="Statement identifier (UUID)")
    program_code: ProgramCode
    fiscal_year: int = Field(ge=2000, le=2100, description="Fiscal year settled")
    division_code: DivisionCode
    opening_fen: Fen = Field(description="Previous year's closing balance brought forward")
    appropriated: LevelAmounts = Field(description="Appropriations by fiscal level")
    appropriated_total_fen: Fen = Field(description="Appropriations, all levels")
    paid_fen: Fen = Field(description="What the bank settled to beneficiaries (gross)")
    returned_fen: Fen = Field(description="What the bank sent back after settling it")
    closing_fen: Fen = Field(description="Closing balance, carried forward")
    runs_settled: int = Field(ge=0, description="Payment runs settled in the year")
    reserved_fen: Fen = Field(description="What those runs reserved (= paid + released)")
    released_fen: Fen = Field(description="What they did not spend and released")
    produced_by: OfficerId
    produced_at: datetime = Field(description="When it was produced (UTC)")
    recovered_fen: Fen = Field(default=0, description="What overpaid beneficiaries paid "
                                                     "back (追回) into the account: on this "
                                                     "year's receivables, and on closed "
                                                     "earlier years' (收回以前年度支出); a "
                                                     "bank's return of an overpaid payment "
                                                     "is in `returned_fen`, an offset never "
                                                     "left the account")


class FundCustodyOfficerActivity(OfficerActivity):
    """A login, failed login or administrator's action on an officer account of
    fund_custody's console and API."""

    producer = "fund_custody"
    routing_key = RoutingKey.FUND_CUSTODY_OFFICER_ACTIVITY


register(AppropriationRecorded, AllocationApproved, AllocationRejected, SettlementCompleted,
         ForecastPublished, YearEndStatementPublished)
register(FundCustodyOfficerActivity)
