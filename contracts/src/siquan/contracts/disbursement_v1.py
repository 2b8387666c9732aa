"""Events published by disbursement (资金发放), major version 1, on `siquan.disbursement`.

Bank-facing results move in chunks: one message carries up to a few thousand payments.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import Contract, Event, register
from siquan.contracts.officer_activity import OfficerActivity
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import (
    AccountFingerprint,
    DivisionCode,
    Fen,
    OfficerId,
    Period,
    PersonKey,
    ProgramCode,
)


class _Disbursement(Event):
    producer = "disbursement"


class PayeeAccountRegistered(_Disbursement):
    """A disbursement officer registered or changed where a beneficiary is paid."""

    routing_key = RoutingKey.PAYEE_ACCOUNT_REGISTERED
    person_key: PersonKey
    bank_code: str = Field(description="Bank identifier")
    masked_account: str = Field(description="Account number with all but the last 4 masked")
    registered_by: OfficerId
    registered_at: datetime = Field(description="When (UTC)")
    replaces_previous: bool = Field(description="Whether an earlier account was replaced")
    previous_registered_at: datetime | None = Field(
        default=None, description="When the replaced account had been registered (UTC); "
                                  "None for a first registration")
    division_code: DivisionCode | None = Field(
        default=None, description="Division of the certification disbursement holds for "
                                  "the person")
    awaiting_confirmation: bool = Field(
        default=False, description="Whether the account changed an earlier one and is not "
                                   "paid until a second disbursement officer confirms it "
                                   "(`payee_account.confirmed`)")
    account_fingerprint: AccountFingerprint | None = Field(
        default=None, description="Keyed fingerprint of the account (never its number): "
                                  "the same for every payee paid into it")
    collected_by_agent: bool = Field(
        default=False, description="Whether the account is a payee agent's (代领人) who "
                                   "collects for the beneficiary")
    agent_person_key: PersonKey | None = Field(
        default=None, description="The agent as a person key; None without an agent")
    agent_masked_resident_id: str | None = Field(
        default=None, description="The agent's resident ID, all but the first 4 and last "
                                  "4 characters masked")
    agent_evidence_kind: Literal["power_of_attorney", "guardianship", "other"] | None = Field(
        default=None, description="What the agency rests on (委托书, 监护)")
    shared_outside_household: bool = Field(
        default=False, description="Whether the account already receives for another "
                                   "payee outside the beneficiary's household and any "
                                   "recorded agency (held for a second officer)")


class PayeeAccountFingerprinted(_Disbursement):
    """An account registered before accounts carried a keyed fingerprint now has one: the
    service computed it from the stored number once, so the account is compared with the
    accounts of other payees like one registered since. Nothing about the account or its
    confirmation changed; `registered_at` is still when it was registered."""

    routing_key = RoutingKey.PAYEE_ACCOUNT_FINGERPRINTED
    person_key: PersonKey
    bank_code: str = Field(description="Bank identifier")
    masked_account: str = Field(description="Account number with all but the last 4 masked")
    registered_at: datetime = Field(description="When the account was registered (UTC)")
    division_code: DivisionCode = Field(description="Division of the account's registration")
    account_fingerprint: AccountFingerprint = Field(
        description="Keyed fingerprint of the account (never its number): the same for "
                    "every payee paid into it")
    agent_person_key: PersonKey | None = Field(
        default=None, description="The payee agent (代领人) whose account it is, as a person "
                                  "key; None for the beneficiary's own account")
    fingerprinted_at: datetime = Field(description="When the fingerprint was computed (UTC)")


class PayeeAccountConfirmed(_Disbursement):
    """A second disbursement officer (the checker) confirmed a change of a payee's account
    that another officer (the maker) registered; runs pay to it from now on."""

    routing_key = RoutingKey.PAYEE_ACCOUNT_CONFIRMED
    person_key: PersonKey
    bank_code: str = Field(description="Bank identifier")
    masked_account: str = Field(description="Account number with all but the last 4 masked")
    registered_by: OfficerId = Field(description="The officer who registered the change "
                                                 "(the maker)")
    registered_at: datetime = Field(description="When the change was registered (UTC)")
    confirmed_by: OfficerId = Field(description="The officer who confirmed it (the checker, "
                                                "never the maker)")
    confirmed_at: datetime = Field(description="When (UTC)")
    division_code: DivisionCode = Field(description="Division of the certification "
                                                    "disbursement holds for the person")
    account_fingerprint: AccountFingerprint | None = Field(
        default=None, description="Keyed fingerprint of the account (never its number): "
                                  "the same for every payee paid into it")
    collected_by_agent: bool = Field(
        default=False, description="Whether the account is a payee agent's (代领人) who "
                                   "collects for the beneficiary")
    agent_person_key: PersonKey | None = Field(
        default=None, description="The agent as a person key; None without an agent")
    agent_masked_resident_id: str | None = Field(
        default=None, description="The agent's resident ID, all but the first 4 and last "
                                  "4 characters masked")
    agent_evidence_kind: Literal["power_of_attorney", "guardianship", "other"] | None = Field(
        default=None, description="What the agency rests on (委托书, 监护)")


class SkippedPayee(Contract):
    """A certified person the run did not pay, and why."""

    person_key: PersonKey
    certification_id: str = Field(description="The certification that was skipped")
    reason: str = Field(description="Why: e.g. no payee account, hold")


class FlaggedPayee(Contract):
    """A payee the run pays but oversight should look at first (e.g. an account changed
    shortly before the run)."""

    person_key: PersonKey
    certification_id: str = Field(description="The certification the run pays")
    reason: str = Field(description="Why the payee is flagged")
    account_registered_at: datetime = Field(description="When the current account was "
                                                        "registered (UTC)")


class PaymentRunStarted(_Disbursement):
    """A run's roster is frozen and its control totals fixed."""

    routing_key = RoutingKey.RUN_STARTED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    payee_count: int = Field(ge=0, description="Control total: number of payments")
    total_fen: Fen = Field(description="Control total: sum of the payments")
    skipped: tuple[SkippedPayee, ...] = Field(description="Certified persons not paid, why")
    started_by: OfficerId
    retry_of: str | None = Field(default=None,
                                 description="For a retry run: the run whose failed and "
                                             "returned payments it pays again")
    arrears_count: int = Field(default=0, ge=0,
                               description="Of the payments, how many pay earlier periods")
    arrears_fen: Fen = Field(default=0, description="Of the total, the arrears")
    flags: tuple[FlaggedPayee, ...] = Field(
        default=(), description="Payees paid but flagged to oversight (e.g. an account "
                                "changed in the days before the run)")
    started_at: datetime | None = Field(
        default=None, description="When the roster was frozen (UTC): the moment the run's "
                                  "account-change flags are measured from")


class AllocationRequested(_Disbursement):
    """Disbursement asks fund custody to hold the run's control total."""

    routing_key = RoutingKey.ALLOCATION_REQUESTED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    fiscal_year: int = Field(ge=2000, le=2100, description="Special account's fiscal year")
    period: Period
    division_code: DivisionCode
    payee_count: int = Field(ge=0, description="Control total: number of payments")
    total_fen: Fen = Field(description="Control total: amount to reserve")


class SettledPayment(Contract):
    """One payment the bank settled."""

    payment_id: str = Field(description="Payment identifier, the bank's end-to-end reference")
    person_key: PersonKey
    certification_id: str = Field(description="Certification the payment rests on")
    item: str = Field(description="What is paid: the period's benefit or an arrear")
    amount_fen: Fen
    bank_reference: str = Field(description="The bank's transaction reference")
    period: Period | None = Field(default=None,
                                  description="The period paid (an arrear's own period); "
                                              "None: the run's period")
    transferred_as: str | None = Field(
        default=None,
        description="The payment id of an earlier order the bank already made this transfer "
                    "under (same instruction key: a run lost in a restore of disbursement "
                    "and started again); no money moved for this payment, the bank "
                    "reference is the earlier transfer's. None: the bank moved the money "
                    "for this payment")


class PaymentsSettled(_Disbursement):
    """A chunk of a run's payments settled by the bank."""

    routing_key = RoutingKey.PAYMENTS_SETTLED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    chunk: int = Field(ge=0, description="Chunk number within the run")
    payments: tuple[SettledPayment, ...] = Field(description="The settled payments")


class FailedPayment(Contract):
    """One payment the bank refused."""

    payment_id: str = Field(description="Payment identifier")
    person_key: PersonKey
    amount_fen: Fen
    reason: str = Field(description="The bank's reason")
    period: Period | None = Field(default=None,
                                  description="The period paid (an arrear's own period); "
                                              "None: the run's period")


class PaymentsFailed(_Disbursement):
    """A chunk of a run's payments the bank refused."""

    routing_key = RoutingKey.PAYMENTS_FAILED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    chunk: int = Field(ge=0, description="Chunk number within the run")
    payments: tuple[FailedPayment, ...] = Field(description="The failed payments")


class ReturnedPayment(Contract):
    """One payment the bank settled and later returned (closed account, death, …)."""

    payment_id: str = Field(description="Payment identifier")
    person_key: PersonKey
    amount_fen: Fen
    reason: str = Field(description="The bank's reason for the return")
    returned_on: date = Field(description="Day the bank returned the money")
    period: Period | None = Field(default=None,
                                  description="The period paid (an arrear's own period); "
                                              "None: the run's period")
    item: str = Field(default="benefit",
                      description="What was paid: the period's benefit or an arrear")
    bank_reference: str = Field(default="",
                                description="The bank's reference of the original transfer")


class PaymentsReturned(_Disbursement):
    """A chunk of settled payments the bank returned days later; the money goes back to
    the special account and the payment may be retried in the same period."""

    routing_key = RoutingKey.PAYMENTS_RETURNED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    chunk: int = Field(ge=0, description="Return batch number within the run")
    payments: tuple[ReturnedPayment, ...] = Field(description="The returned payments")


class PaymentRunCompleted(_Disbursement):
    """Every instruction of the run has a final result; fund custody settles it."""

    routing_key = RoutingKey.RUN_COMPLETED
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    payee_count: int = Field(ge=0, description="Control total: number of payments")
    total_fen: Fen = Field(description="Control total")
    settled_count: int = Field(ge=0, description="Payments settled")
    settled_fen: Fen = Field(description="Amount settled")
    failed_count: int = Field(ge=0, description="Payments failed")
    failed_fen: Fen = Field(description="Amount failed")
    cancelled_count: int = Field(default=0, ge=0,
                                 description="Payments cancelled before reaching the bank "
                                             "(certification ended or hold placed since the "
                                             "run started)")
    cancelled_fen: Fen = Field(default=0, description="Amount cancelled before the bank")
    returned_count: int = Field(default=0, ge=0,
                                description="Of the settled payments, how many the bank "
                                            "had already returned when the run completed")
    returned_fen: Fen = Field(default=0, description="Of the settled amount, the returned")
    retry_of: str | None = Field(default=None,
                                 description="For a retry run: the run it retried")
    settled_chunks: int | None = Field(
        default=None, ge=0,
        description="How many `payments.settled` chunks the run published: a consumer that "
                    "has handled fewer has not seen them all yet (messages of one queue may "
                    "be handled out of order)")
    failed_chunks: int | None = Field(default=None, ge=0,
                                      description="How many `payments.failed` chunks the run "
                                                  "published")


class BankStatementDifference(_Disbursement):
    """A line of the bank's statement that is not a settled payment of the run with the
    same payment id, amount and account — or a settled payment no line states. One message
    per difference, with its evidence, for oversight to make a finding of."""

    routing_key = RoutingKey.BANK_STATEMENT_DIFFERENCE
    statement_id: str = Field(description="The imported statement (UUID)")
    statement_batch: str = Field(description="The bank's own identifier of the statement")
    statement_sha256: str = Field(description="SHA-256 of the statement file as imported")
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    kind: Literal["amount_differs", "account_differs", "amount_and_account_differ",
                  "not_settled", "unknown_payment", "duplicate_line",
                  "missing_from_statement"] = Field(
        description="`amount_differs` / `account_differs` / `amount_and_account_differ`: a "
                    "settled payment stated with another amount or account; `not_settled`: "
                    "stated as paid, held as failed, cancelled or pending; "
                    "`unknown_payment`: not a payment of the run; `duplicate_line`: a "
                    "payment stated twice; `missing_from_statement`: settled, not stated")
    line: int = Field(ge=0, description="The statement's detail line, from 1 (0: none)")
    payment_id: str = Field(description="The payment id the line states (or the payment "
                                        "missing from it)")
    expected_amount_fen: Fen | None = Field(default=None,
                                            description="The payment's amount as held")
    stated_amount_fen: Fen | None = Field(default=None,
                                          description="The amount the bank states")
    expected_account: str | None = Field(default=None,
                                         description="The account paid to, masked")
    stated_account: str | None = Field(default=None,
                                       description="The account the bank states, masked")
    held_status: str | None = Field(default=None,
                                    description="The payment's status as held (settled, "
                                                "returned, failed, cancelled, pending)")
    bank_reference: str = Field(default="", description="The bank's reference on the line")
    imported_by: OfficerId
    imported_at: datetime = Field(description="When the statement was imported (UTC)")


class BankResultMismatch(_Disbursement):
    """A line of the bank's results file that is not the instruction it answers (another
    amount or account, or a payment the batch did not hold). It was not applied: the
    payment stays unanswered until someone looks. One message per line, with its
    evidence, for oversight to make a finding of."""

    routing_key = RoutingKey.BANK_RESULT_MISMATCH
    batch: str = Field(description="The bank batch the results file answers")
    run_id: str = Field(description="Payment run identifier (UUID)")
    program_code: ProgramCode
    period: Period
    division_code: DivisionCode
    kind: Literal["not_in_batch", "amount_differs", "account_differs",
                  "amount_and_account_differ"] = Field(
        description="How the result line differs from the instruction")
    payment_id: str = Field(description="The payment id the result line names")
    expected_amount_fen: Fen | None = Field(default=None,
                                            description="The amount instructed")
    stated_amount_fen: Fen = Field(description="The amount the result line states")
    expected_account: str | None = Field(default=None,
                                         description="The account instructed, masked")
    stated_account: str = Field(description="The account the result line states, masked")
    outcome: str = Field(description="The outcome the line states (settled, failed)")
    bank_reference: str = Field(default="", description="The bank's reference on the line")
    found_at: datetime = Field(description="When the results file was read (UTC)")


class DisbursementOfficerActivity(OfficerActivity):
    """A login, failed login or administrator's action on an officer account of
    disbursement's console and API."""

    producer = "disbursement"
    routing_key = RoutingKey.DISBURSEMENT_OFFICER_ACTIVITY


class OverpaidPayment(Contract):
    """One settled payment for a period nothing was owed for any more (in version 2 of
    `overpayment.recorded`, also the part of one paid above a lowered standard)."""

    payment_id: str = Field(description="Payment identifier")
    run_id: str = Field(description="The run that paid it (UUID)")
    run_period: Period = Field(description="The run's period: the fiscal shares its spending "
                                           "was split by")
    period: Period = Field(description="The period paid (an arrear's own period)")
    item: str = Field(description="What was paid: the period's benefit or an arrear")
    amount_fen: Fen


class OverpaymentRecorded(_Disbursement):
    """Money settled for periods after a certification ended (a death, a revocation or
    lapse with an earlier effective date) is owed back: a receivable (追回) of one
    certification's payments in one fiscal year's special account. Superseded by
    `overpayment.recorded.v2` (which also names a lowered standard as a cause); still
    read, as version 2, from messages queued before it."""

    routing_key = RoutingKey.OVERPAYMENT_RECORDED
    receivable_id: str = Field(description="Receivable identifier (UUID)")
    person_key: PersonKey
    certification_id: str = Field(description="The certification that ended")
    program_code: ProgramCode
    division_code: DivisionCode
    fiscal_year: int = Field(ge=2000, le=2100,
                             description="Fiscal year of the runs that paid (the special "
                                         "account the receivable belongs to)")
    cause: Literal["death", "revocation"] = Field(
        description="What ended the certification: the person's death, or a revocation "
                    "(or lapse)")
    ended_from: date = Field(description="First day nothing was owed any more")
    payments: tuple[OverpaidPayment, ...] = Field(min_length=1,
                                                  description="The overpaid payments")
    total_fen: Fen = Field(description="Sum of the overpaid payments")
    recorded_at: datetime = Field(description="When the overpayment was found (UTC)")


class RecoveryRecorded(_Disbursement):
    """Part or all of a receivable was recovered (repaid, offset against a later
    entitlement) or written off (proposed by one officer, approved by another)."""

    routing_key = RoutingKey.RECOVERY_RECORDED
    recovery_id: str = Field(description="Recovery identifier (UUID)")
    receivable_id: str = Field(description="The receivable it reduces (UUID)")
    program_code: ProgramCode
    division_code: DivisionCode
    fiscal_year: int = Field(ge=2000, le=2100,
                             description="Fiscal year of the receivable's special account")
    kind: Literal["repayment", "offset", "write_off"] = Field(
        description="`repayment`: money paid back into the special account; `offset`: "
                    "withheld from a later entitlement of the same household; "
                    "`write_off`: given up, approved by a second officer")
    amount_fen: Fen = Field(gt=0)
    outstanding_fen: Fen = Field(description="What the receivable still holds after it")
    reference: str = Field(default="", description="The bank's or the office's reference")
    recorded_by: OfficerId = Field(description="The officer who recorded it (for a "
                                               "write-off: who proposed it)")
    approved_by: OfficerId | None = Field(default=None,
                                          description="For a write-off: the second officer "
                                                      "who approved it (never the proposer)")
    recorded_at: datetime = Field(description="When (UTC)")
    returned_payment_id: str | None = Field(
        default=None,
        description="A `repayment` that is the bank's return of this overpaid payment: the "
                    "money already came back through `payments.returned`, so it closes the "
                    "receivable without being credited to the special account a second time")


register(PayeeAccountRegistered, PayeeAccountConfirmed, PayeeAccountFingerprinted,
         PaymentRunStarted, AllocationRequested, PaymentsSettled, PaymentsFailed,
         PaymentsReturned, PaymentRunCompleted, BankStatementDifference, BankResultMismatch,
         OverpaymentRecorded, RecoveryRecorded)
register(DisbursementOfficerActivity)
