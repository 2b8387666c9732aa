"""The rules disbursement's events can break: every settled payment is judged as its chunk
arrives (certification, death, amount, paid twice, the run's officer); payee accounts
registered, or their change confirmed, by the officer who decided the certification;
accounts replaced shortly before a run paid them (a flag, not a finding, one per payee and
run), measured on the events' business time: the run's start as disbursement states it
and the account in force then (a change awaiting its checker is in force once confirmed).

The chunks of a batch are stored with one statement, and only the payments that may break
a rule (found in the database, however many payments came) are judged one by one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from siquan.contracts import disbursement_v1 as disbursement
from siquan.oversight.application.deferred import Asked
from siquan.oversight.reconciliation.application.decisions import dismiss
from siquan.oversight.reconciliation.application.judging import expectations, judge_items
from siquan.oversight.reconciliation.application.ports import Chunk, RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_findings, raise_flag
from siquan.oversight.reconciliation.application.sources import (
    message_id_of,
    run_started_at,
    told_at,
)
from siquan.oversight.reconciliation.domain.conduct import (
    confirmed_by_decider,
    registered_by_decider,
)
from siquan.oversight.reconciliation.domain.findings import PAID_TWICE, Flag
from siquan.oversight.reconciliation.domain.payments import SettledItem, paid_twice
from siquan.shared.registry import handles

ACCOUNT_CHANGED = "account_changed_before_run"


@handles(disbursement.PaymentRunStarted)
async def remember_run(e: disbursement.PaymentRunStarted, uow: RuleUnit) -> None:
    uow.watched.add_run(run_id=e.run_id, program_code=e.program_code, period=e.period,
                        division_code=e.division_code, message_id=message_id_of(uow),
                        started_by=e.started_by, started_at=run_started_at(e, uow))


@handles(disbursement.AllocationRequested)
async def remember_requested_run(e: disbursement.AllocationRequested, uow: RuleUnit) -> None:
    uow.watched.add_run(run_id=e.run_id, program_code=e.program_code, period=e.period,
                        division_code=e.division_code, message_id=message_id_of(uow))


def chunk_of(e: disbursement.PaymentsSettled, message_id: str) -> Chunk:
    return Chunk(message_id, e.run_id, e.program_code, e.period, e.division_code, e.payments)


@handles(disbursement.PaymentsSettled)
async def judge_chunk(e: disbursement.PaymentsSettled, uow: RuleUnit) -> None:
    chunk = chunk_of(e, message_id_of(uow))
    uow.settled.store(chunk)
    uow.later(settle_chunks, chunk)


async def settle_chunks(uow: RuleUnit, asked: Asked[Chunk]) -> None:
    """Judge what may be wrong with the payments the batch's chunks stored."""
    chunks = [chunk for chunk, _ in asked]
    origins = {chunk.message_id: origin for chunk, origin in asked}
    found = await uow.settled.settle(chunks, expectations(chunks),
                                     uow.config.account_change_window)
    if found.suspects:
        judgements = await judge_items(uow, found.suspects)
        for item in found.suspects:
            await raise_findings(uow, judgements[item.payment_id].findings,
                                 origins[item.message_id])
    if found.again:
        runs = await uow.watched.runs(item.run_id for item, _, _ in found.again)
        for item, earlier, earlier_message in found.again:
            await raise_findings(uow, [paid_twice(item, earlier, earlier_message,
                                                  run=runs.get(item.run_id))],
                                 origins[item.message_id])
    for item, replaced in found.accounts_changed:
        await raise_flag(uow, _account_changed(uow, item, replaced))


def _account_changed(uow: RuleUnit, item: SettledItem, replaced: str) -> Flag:
    return Flag(
        kind=ACCOUNT_CHANGED, dedup_key=f"{ACCOUNT_CHANGED}:{item.run_id}:{item.person_key}",
        reason=f"the payee's account was replaced within "
               f"{uow.config.account_change_window.days} days before run "
               f"{item.run_id} paid it",
        evidence=(replaced, item.message_id), person_key=item.person_key,
        run_id=item.run_id, program_code=item.program_code, period=item.period,
        division_code=item.division_code)


@handles(disbursement.PaymentsReturned)
async def forget_returned(e: disbursement.PaymentsReturned, uow: RuleUnit) -> None:
    """Money the bank sent back: the payment no longer pays its period, and a retry may.
    A fact of the batch, written after its chunks and before any rule judges them, so a
    retry in the same batch as the payment and its return is not paid twice, whatever
    order the three came in; a payment another transaction stores later finds the return
    in the ledger when it is judged; a retry judged before the return reached oversight
    is seen again by `dismiss_retries`."""
    uow.settled.mark_returned(p.payment_id for p in e.payments)
    uow.later(dismiss_retries, ReturnTold(tuple(p.payment_id for p in e.payments),
                                          told_at(uow), message_id_of(uow)))


@dataclass(frozen=True)
class ReturnTold:
    """Payments disbursement told oversight were returned, when it told it (its signed
    occurred-at) and in which message."""

    payment_ids: tuple[str, ...]
    at: datetime | None
    message_id: str


async def dismiss_retries(uow: RuleUnit, asked: Asked[ReturnTold]) -> None:
    """A retry found paid twice before oversight heard of the return that allowed it (the
    return in another instance's batch, or still queued): when disbursement told of the
    return before the retry's chunk occurred, and no live payment stored before the retry
    pays the same, the finding is dismissed (published as an auditor's decision is). A
    payment made while the first was still out stays paid twice, even once that first
    comes back."""
    told = {payment_id: (t, origin) for t, origin in asked for payment_id in t.payment_ids}
    retries = [r for r in await uow.settled.repeats_of_returned(told)
               if _told_before(told[r.returned_id][0], r.occurred_at)]
    if not retries:
        return
    found = await uow.findings.open_by_keys(_twice_key(r.payment_id) for r in retries)
    for retry in retries:  # a retry of two payments returned in the batch: dismissed once
        finding_id = found.pop(_twice_key(retry.payment_id), None)
        if finding_id is None:
            continue
        return_told, origin = told[retry.returned_id]
        why = (f"payment {retry.returned_id} was returned by the bank, as disbursement "
               f"told in message {return_told.message_id} before it made payment "
               f"{retry.payment_id}: a retry, paid once")
        await dismiss(uow, finding_id, why, origin)


def _twice_key(payment_id: str) -> str:
    return f"{PAID_TWICE.name}:{payment_id}"


def _told_before(told: ReturnTold, retry_occurred_at: datetime | None) -> bool:
    return (told.at is not None and retry_occurred_at is not None
            and told.at <= retry_occurred_at)


@handles(disbursement.PayeeAccountRegistered)
async def judge_payee_account(e: disbursement.PayeeAccountRegistered, uow: RuleUnit
                              ) -> None:
    message_id = message_id_of(uow)
    uow.watched.add_payee_account(
        person_key=e.person_key, registered_by=e.registered_by,
        registered_at=e.registered_at, replaces_previous=e.replaces_previous,
        message_id=message_id, awaiting_confirmation=e.awaiting_confirmation)
    uow.later(judge_payee_accounts, (e.person_key, e.registered_by, message_id))


async def judge_payee_accounts(uow: RuleUnit, asked: Asked[tuple[str, str, str]]) -> None:
    """The officer who decided a person's certification registered their account."""
    certs = await uow.watched.certifications_of_persons(person for (person, _, _), _ in asked)
    for (person, officer, message_id), origin in asked:
        await raise_findings(uow, (registered_by_decider(cert, officer, message_id)
                                   for cert in certs.get(person, [])), origin)


@handles(disbursement.PayeeAccountConfirmed)
async def judge_payee_account_confirmation(e: disbursement.PayeeAccountConfirmed,
                                           uow: RuleUnit) -> None:
    """Maker and checker of an account change are both in the audit log (the event names
    them); a checker who decided the person's certification acts in two powers. The
    change is in force from its confirmation."""
    uow.watched.add_account_confirmation(person_key=e.person_key,
                                         registered_at=e.registered_at,
                                         confirmed_at=e.confirmed_at,
                                         message_id=message_id_of(uow))
    uow.later(judge_payee_account_confirmations,
              (e.person_key, e.confirmed_by, message_id_of(uow)))


async def judge_payee_account_confirmations(uow: RuleUnit,
                                            asked: Asked[tuple[str, str, str]]) -> None:
    certs = await uow.watched.certifications_of_persons(person for (person, _, _), _ in asked)
    for (person, checker, message_id), origin in asked:
        await raise_findings(uow, (confirmed_by_decider(cert, checker, message_id)
                                   for cert in certs.get(person, [])), origin)
