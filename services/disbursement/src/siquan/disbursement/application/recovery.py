"""Recovery (追回): finding the money settled for periods after a certification ended, and
the officers' repayments and write-offs that close what is owed back.

- Whenever a certification ends (revoked, lapsed) or a death is recorded, and whenever
  its category or county changes, the person's settled payments are weighed again
  (`domain.recovery.overpaid`, and `paid_above_standard` against the policy's standard
  for the category and county in force in each period paid); payments not found before
  become a receivable per certification, fiscal year and cause, published as
  `overpayment.recorded.v2` in the same transaction. The payment id is the key of a found
  payment, so a redelivered message, or a death reported twice, records nothing again.
- A disbursement officer records a repayment (full or partial, never above what is
  outstanding): `recovery.recorded` (repayment); fund custody credits the special account.
- A write-off is proposed by one officer and approved by another (never the proposer):
  only the approval is published (`recovery.recorded`, write_off, naming both).
- Where the policy allows it, a run withholds an open receivable from what it owes the
  same household (`domain.offsets`): each offset is recorded and published
  (`recovery.recorded`, offset) in the unit of work that freezes the run.
- An overpaid payment the bank returns (after it became a receivable) brought the money
  back: in the unit of work that marks it returned, that much of its receivable is
  repaid (`recovery.recorded`, repayment, naming the returned payment), so the receivable
  does not stay open for money already in the special account; fund custody books the
  return once (as a return) and closes the receivable without crediting it again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from siquan.contracts.disbursement_v1 import OverpaidPayment, RecoveryRecorded
from siquan.contracts.disbursement_v2 import OverpaymentRecordedV2
from siquan.contracts.policy import PolicyCatalogue, load_catalogue
from siquan.contracts.types import division_scope
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.offsets import Offset
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.recovery import (
    Receivable,
    Recovery,
    Standard,
    paid_above_standard,
    receivables_of,
)
from siquan.shared.auth import Officer

log = logging.getLogger(__name__)


async def find_overpayments(uow: Work, person_key: str) -> list[str]:
    """Record as receivables the person's settled payments for periods nothing was owed
    for any more, and what was paid above the standard now owed for periods still owed;
    the ids of the receivables recorded now."""
    await uow.receivables.lock_person(person_key)
    payments = await uow.receivables.settled_after_end(person_key)
    payments += paid_above_standard(await uow.receivables.settled_in_force(person_key),
                                    _standard(load_catalogue()))
    recorded = []
    now = uow.clock.now()
    for found in receivables_of(payments):
        if not await uow.receivables.add(found, person_key, now):
            continue
        recorded.append(found.receivable_id)
        uow.publish(OverpaymentRecordedV2(
            receivable_id=found.receivable_id, person_key=person_key,
            certification_id=found.certification_id, program_code=found.program_code,
            division_code=found.division_code, fiscal_year=found.fiscal_year,
            cause=found.cause, ended_from=found.ended_from,
            payments=tuple(OverpaidPayment(
                payment_id=p.payment_id, run_id=p.run_id, run_period=p.run_period,
                period=p.period, item=p.item, amount_fen=p.amount_fen)
                for p in found.payments),
            total_fen=found.total_fen, recorded_at=now))
    return recorded


def _standard(catalogue: PolicyCatalogue) -> Standard:
    def owed(program_code: str, category: str, period: str, division: str) -> int | None:
        try:
            return catalogue.amount_for(program_code, category, period, division)
        except (KeyError, ValueError):
            return None
    return owed


async def give_up_for_death_corrected(uow: Work, person_key: str,
                                      certification_ids: Sequence[str], correction_id: str,
                                      corrected_by: str) -> int:
    """A death recorded in error was corrected: the receivables it raised on these
    certifications are not pursued — what is outstanding of each is written off by the
    correction (`recovery.recorded`, write_off, approved by the approver who corrected
    the death), and fund custody gives it up. Idempotent: a receivable closed already
    gets nothing. How many were given up."""
    await uow.receivables.lock_person(person_key)
    given_up = 0
    for receivable_id in await uow.receivables.of_death(person_key, certification_ids):
        receivable, described = await uow.receivables.get(receivable_id, for_update=True)
        proposal = receivable.proposal
        recovery = receivable.give_up_for_death_corrected(
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"death-corrected:{correction_id}:"
                                               f"{receivable_id}")), corrected_by)
        if recovery is None:
            continue
        now = uow.clock.now()
        if proposal is not None:
            await uow.receivables.decide_proposal(proposal.proposal_id, now)
        reference = f"death corrected {correction_id}"
        await uow.receivables.add_recovery(receivable_id, recovery, reference, now)
        _published(uow, described, receivable, recovery, reference)
        given_up += 1
    return given_up


async def recover_returned(uow: Work, returned: Sequence[tuple[str, int, str]]) -> int:
    """Repay the receivables of the overpaid payments among those just returned
    (payment id, amount, the bank's reference each); how many recoveries were recorded.
    A payment only part of which was overpaid (above a lowered standard) repays that
    part."""
    holding = await uow.receivables.holding([payment_id for payment_id, _, _ in returned])
    recorded = 0
    for payment_id, amount_fen, bank_reference in returned:
        if payment_id not in holding:
            continue
        receivable_id, overpaid_fen = holding[payment_id]
        receivable, described = await uow.receivables.get(receivable_id, for_update=True)
        recovery = receivable.returned_by_bank(str(uuid.uuid4()), payment_id,
                                               min(amount_fen, overpaid_fen))
        if recovery is None:
            log.warning("overpaid payment %s returned after its receivable %s closed",
                        payment_id, receivable.receivable_id)
            continue
        reference = f"bank return {bank_reference}".strip()
        await uow.receivables.add_recovery(receivable.receivable_id, recovery, reference,
                                           uow.clock.now())
        _published(uow, described, receivable, recovery, reference)
        recorded += 1
    return recorded


async def record_offsets(uow: Work, run: PaymentRun, offsets: Sequence[Offset]) -> None:
    """Record and publish each offset a run's roster took (`offsets.apply_offsets`), in
    the unit of work that froze the run; recorded by the officer who started it."""
    for taken in offsets:
        receivable, described = await uow.receivables.get(taken.receivable_id,
                                                          for_update=True)
        recovery = receivable.repay(str(uuid.uuid4()), taken.offset_fen, run.started_by,
                                    kind="offset")
        reference = f"run {run.id} {taken.period} {taken.item}"
        await uow.receivables.add_recovery(receivable.receivable_id, recovery, reference,
                                           uow.clock.now())
        await uow.receivables.add_offset(run.id, recovery.recovery_id, taken)
        _published(uow, described, receivable, recovery, reference)


@dataclass(frozen=True)
class RecordRepayment:
    officer: Officer
    receivable_id: str
    amount_fen: int
    reference: str


@dataclass(frozen=True)
class ProposeWriteOff:
    officer: Officer
    receivable_id: str
    reason: str


@dataclass(frozen=True)
class ApproveWriteOff:
    officer: Officer
    receivable_id: str
    proposal_id: str


async def _locked(uow: Work, officer: Officer, receivable_id: str
                  ) -> tuple[Receivable, dict[str, Any]]:
    receivable, described = await uow.receivables.get(receivable_id, for_update=True)
    officer.check_scope(described["division_code"])
    return receivable, described


def _published(uow: Work, described: dict[str, Any], receivable: Receivable,
               recovery: Recovery, reference: str) -> None:
    uow.publish(RecoveryRecorded(
        recovery_id=recovery.recovery_id, receivable_id=receivable.receivable_id,
        program_code=described["program_code"], division_code=described["division_code"],
        fiscal_year=described["fiscal_year"], kind=recovery.kind,
        amount_fen=recovery.amount_fen, outstanding_fen=receivable.outstanding_fen,
        reference=reference, recorded_by=recovery.recorded_by,
        approved_by=recovery.approved_by, recorded_at=uow.clock.now(),
        returned_payment_id=recovery.returned_payment_id))


def _answer(receivable: Receivable, described: dict[str, Any]) -> dict[str, Any]:
    return described | {"recovered_fen": receivable.recovered_fen,
                        "written_off_fen": receivable.written_off_fen,
                        "outstanding_fen": receivable.outstanding_fen,
                        "status": receivable.status}


async def record_repayment(command: RecordRepayment, uow: Work) -> dict[str, Any]:
    receivable, described = await _locked(uow, command.officer, command.receivable_id)
    recovery = receivable.repay(str(uuid.uuid4()), command.amount_fen, command.officer.id)
    await uow.receivables.add_recovery(receivable.receivable_id, recovery, command.reference,
                                       uow.clock.now())
    _published(uow, described, receivable, recovery, command.reference)
    return _answer(receivable, described) | {"recovery_id": recovery.recovery_id}


async def propose_write_off(command: ProposeWriteOff, uow: Work) -> dict[str, Any]:
    receivable, described = await _locked(uow, command.officer, command.receivable_id)
    proposal = receivable.propose_write_off(str(uuid.uuid4()), command.officer.id)
    await uow.receivables.add_proposal(receivable.receivable_id, proposal, command.reason,
                                       uow.clock.now())
    return _answer(receivable, described) | {
        "proposal_id": proposal.proposal_id, "proposed_fen": proposal.amount_fen,
        "proposed_by": proposal.proposed_by, "awaiting_approval": True}


async def approve_write_off(command: ApproveWriteOff, uow: Work) -> dict[str, Any]:
    receivable, described = await _locked(uow, command.officer, command.receivable_id)
    recovery = receivable.approve_write_off(command.proposal_id, command.officer.id)
    now = uow.clock.now()
    await uow.receivables.decide_proposal(command.proposal_id, now)
    await uow.receivables.add_recovery(receivable.receivable_id, recovery, "", now)
    _published(uow, described, receivable, recovery, "")
    return _answer(receivable, described) | {"recovery_id": recovery.recovery_id,
                                             "approved_by": recovery.approved_by}


async def list_receivables(uow: Work, officer: Officer, *, program_code: str | None,
                           status: str | None, person_key: str | None
                           ) -> list[dict[str, Any]]:
    return await uow.receivables.search(division_prefix=division_scope(officer.division),
                                        program_code=program_code, status=status,
                                        person_key=person_key)


async def show_receivable(uow: Work, officer: Officer, receivable_id: str) -> dict[str, Any]:
    receivable, described = await uow.receivables.get(receivable_id)
    officer.check_scope(described["division_code"])
    return _answer(receivable, described) | {
        "payments": await uow.receivables.payments_of(receivable.receivable_id),
        "write_off_awaiting_approval": None if receivable.proposal is None else {
            "proposal_id": receivable.proposal.proposal_id,
            "amount_fen": receivable.proposal.amount_fen,
            "proposed_by": receivable.proposal.proposed_by}}
