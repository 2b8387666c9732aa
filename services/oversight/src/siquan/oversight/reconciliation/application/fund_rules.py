"""The rules fund custody's events can break: a settlement that does not add up or does not
settle what the allocation reserved, a year-end statement that does not balance, and money
moved for a run disbursement never announced (judged by the sweep after the grace period,
since disbursement's events come on another queue)."""

from __future__ import annotations

from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.oversight.application.deferred import Asked
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_findings
from siquan.oversight.reconciliation.application.sources import message_id_of
from siquan.oversight.reconciliation.domain.conduct import (
    Movement,
    Settlement,
    YearEnd,
    settlement_findings,
    statement_findings,
)
from siquan.shared.registry import handles


@handles(fund_custody.AllocationApproved)
async def remember_reservation(e: fund_custody.AllocationApproved, uow: RuleUnit) -> None:
    uow.funds.add_movement(Movement(
        message_id_of(uow), e.run_id, "reservation", e.amount_fen, e.program_code, e.period,
        e.division_code))


@handles(fund_custody.SettlementCompleted)
async def judge_settlement(e: fund_custody.SettlementCompleted, uow: RuleUnit) -> None:
    message_id = message_id_of(uow)
    uow.funds.add_movement(Movement(
        message_id, e.run_id, "settlement", e.paid_fen, e.program_code, e.period,
        e.division_code))
    uow.later(judge_settlements, Settlement(
        run_id=e.run_id, program_code=e.program_code, period=e.period,
        division_code=e.division_code, reserved_fen=e.reserved_fen, paid_fen=e.paid_fen,
        released_fen=e.released_fen, returned_fen=int(getattr(e, "returned_fen", 0) or 0),
        message_id=message_id))


async def judge_settlements(uow: RuleUnit, asked: Asked[Settlement]) -> None:
    """Each settlement against its run's reservation (which may be in the same batch)."""
    reserved = await uow.funds.reservations(s.run_id for s, _ in asked)
    for settlement, origin in asked:
        allocated, allocation_message = reserved.get(settlement.run_id, (None, None))
        await raise_findings(uow, settlement_findings(settlement, allocated,
                                                      allocation_message), origin)


@handles(fund_custody.YearEndStatementPublished)
async def judge_year_end(e: fund_custody.YearEndStatementPublished, uow: RuleUnit) -> None:
    levels = e.appropriated
    await raise_findings(uow, statement_findings(YearEnd(
        program_code=e.program_code, fiscal_year=e.fiscal_year, division_code=e.division_code,
        opening_fen=e.opening_fen,
        appropriated_by_level=(levels.central, levels.provincial, levels.municipal,
                               levels.county),
        appropriated_total_fen=e.appropriated_total_fen, paid_fen=e.paid_fen,
        returned_fen=e.returned_fen, closing_fen=e.closing_fen, reserved_fen=e.reserved_fen,
        released_fen=e.released_fen, message_id=message_id_of(uow),
        recovered_fen=e.recovered_fen)))
