"""The rules fund custody's events can break: a settlement that does not add up or does not
settle what the allocation reserved, a year-end statement that does not balance, and money
moved for a run disbursement never announced (judged by the sweep after the grace period,
since disbursement's events come on another queue)."""

from __future__ import annotations

from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.oversight.reconciliation.adapters import funds
from siquan.oversight.reconciliation.application.context import Seen
from siquan.oversight.reconciliation.domain.conduct import (
    Movement,
    Settlement,
    YearEnd,
    settlement_findings,
    statement_findings,
)


async def on_allocation_approved(seen: Seen, e: fund_custody.AllocationApproved) -> None:
    await funds.add_movement(seen.conn, Movement(
        seen.message_id, e.run_id, "reservation", e.amount_fen, e.program_code, e.period,
        e.division_code))


async def on_settlement(seen: Seen, e: fund_custody.SettlementCompleted) -> None:
    reservation = await funds.reservation_of(seen.conn, e.run_id)
    await funds.add_movement(seen.conn, Movement(
        seen.message_id, e.run_id, "settlement", e.paid_fen, e.program_code, e.period,
        e.division_code))
    settlement = Settlement(
        run_id=e.run_id, program_code=e.program_code, period=e.period,
        division_code=e.division_code, reserved_fen=e.reserved_fen, paid_fen=e.paid_fen,
        released_fen=e.released_fen, returned_fen=int(getattr(e, "returned_fen", 0) or 0),
        message_id=seen.message_id)
    allocated, allocation_message = reservation if reservation else (None, None)
    await seen.raiser.findings(settlement_findings(settlement, allocated,
                                                   allocation_message))


async def on_year_end(seen: Seen, e: fund_custody.YearEndStatementPublished) -> None:
    levels = e.appropriated
    await seen.raiser.findings(statement_findings(YearEnd(
        program_code=e.program_code, fiscal_year=e.fiscal_year, division_code=e.division_code,
        opening_fen=e.opening_fen,
        appropriated_by_level=(levels.central, levels.provincial, levels.municipal,
                               levels.county),
        appropriated_total_fen=e.appropriated_total_fen, paid_fen=e.paid_fen,
        returned_fen=e.returned_fen, closing_fen=e.closing_fen, reserved_fen=e.reserved_fen,
        released_fen=e.released_fen, message_id=seen.message_id)))
