"""Events published by disbursement (资金发放), major version 2, on `siquan.disbursement`.

`overpayment.recorded.v2` names one more cause than version 1: a backdated change (of
category, of county) to a lower standard for months already paid, the receivable being
what was paid above it. Version 1 messages still queued are read as version 2 (the same
fields, its causes a subset)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import register
from siquan.contracts.disbursement_v1 import OverpaidPayment, OverpaymentRecorded, _Disbursement
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import DivisionCode, Fen, PersonKey, ProgramCode
from siquan.contracts.upcasting import upcaster


class OverpaymentRecordedV2(_Disbursement):
    """Money settled for periods after a certification ended (a death, a revocation or
    lapse with an earlier effective date), or above the standard a backdated change owes
    for periods already paid, is owed back: a receivable (追回) of one certification's
    payments in one fiscal year's special account."""

    routing_key = RoutingKey.OVERPAYMENT_RECORDED_V2
    receivable_id: str = Field(description="Receivable identifier (UUID)")
    person_key: PersonKey
    certification_id: str = Field(description="The certification that ended, or whose "
                                               "standard was lowered")
    program_code: ProgramCode
    division_code: DivisionCode
    fiscal_year: int = Field(ge=2000, le=2100,
                             description="Fiscal year of the runs that paid (the special "
                                         "account the receivable belongs to)")
    cause: Literal["death", "revocation", "standard_lowered"] = Field(
        description="What made the payments overpaid: the person's death, a revocation "
                    "(or lapse), or a backdated change of category or county to a lower "
                    "standard (each payment is then the part of it paid above that "
                    "standard)")
    ended_from: date = Field(description="First day nothing was owed any more (for "
                                         "standard_lowered: first day of the lower "
                                         "standard)")
    payments: tuple[OverpaidPayment, ...] = Field(
        min_length=1, description="The overpaid payments (or the overpaid part of each)")
    total_fen: Fen = Field(description="Sum of the overpaid payments")
    recorded_at: datetime = Field(description="When the overpayment was found (UTC)")


register(OverpaymentRecordedV2)


@upcaster(OverpaymentRecorded, OverpaymentRecordedV2)
def upcast_overpayment_v1_v2(old: OverpaymentRecorded) -> OverpaymentRecordedV2:
    return OverpaymentRecordedV2(**old.model_dump())
