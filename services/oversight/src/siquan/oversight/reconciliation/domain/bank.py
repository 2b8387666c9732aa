"""What the bank states against what disbursement instructed: a statement line or a result
line that is not the settled payment with the same payment id, amount and account (or a
settled payment no statement line names) is a wrong payment to look into — money may
have gone to another account or in another amount than the roster said.

Disbursement finds each difference and publishes it with its evidence
(`bank_statement.difference.v1`, `bank_result.mismatch.v1`); oversight makes one finding
of each, keyed on where it was stated (a statement's line; a result's payment, whichever
batch carried it), so the same difference delivered or answered again raises nothing
new. The finding cites the message and keeps its figures: the payment id, the expected
and the stated amounts in fen and accounts — masked again here, so that no account
number reaches a finding whatever a producer sent — and when disbursement found it.

A result line that differs leaves its payment unanswered until the bank answers it as
instructed (更正回盘): the payment is then settled, or refused, in a chunk of its own.
Its finding is dismissed by reconciliation when that answer occurred after the
difference was found (`closes_dispute`); the finding of a line naming no payment of the
batch (`not_in_batch`), or of a statement's line, stays for an auditor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.findings import Finding

_DESCRIBED = {
    "amount_differs": "with another amount than the payment's",
    "account_differs": "to another account than the payment's",
    "amount_and_account_differ": "with another amount and to another account",
    "not_settled": "as paid while it is held as not settled",
    "unknown_payment": "though it is no payment of the run",
    "duplicate_line": "a second time",
    "missing_from_statement": "nowhere, though the bank settled it",
    "not_in_batch": "though the batch did not instruct it",
}


def masked(account: str | None) -> str | None:
    """Every character but the last four as `*` (None stays None)."""
    if account is None:
        return None
    return "*" * max(len(account) - 4, 0) + account[-4:]


@dataclass(frozen=True)
class BankDifference:
    """A difference as disbursement stated it (accounts masked by disbursement)."""

    source: str  # "statement" or "results"
    where: str  # the statement id, or the results' batch
    bank_document: str  # the bank's statement id, or the batch
    line: int  # the statement's line (0: none); 0 for results
    kind: str
    payment_id: str
    run_id: str
    program_code: str
    period: str
    division_code: str
    expected_amount_fen: int | None
    stated_amount_fen: int | None
    expected_account: str | None
    stated_account: str | None
    held_status: str | None
    bank_reference: str
    message_id: str
    found_at: datetime | None = None
    """When disbursement found it: the statement's import, the results file's reading."""


def _fen(amount: int | None) -> str:
    return "no amount" if amount is None else f"{amount} fen"


def _stated_in(d: BankDifference) -> str:
    """Where the difference was stated, as its finding's key names it: a statement's line;
    for a result, nowhere in particular — the bank answering a payment's re-sent
    instruction with the same difference states nothing new, whichever batch carried it."""
    return f"{d.where}:{d.line}" if d.source == "statement" else "results"


def bank_difference_finding(d: BankDifference) -> Finding:
    rule = rules.BANK_STATEMENT_DIFFERS if d.source == "statement" else \
        rules.BANK_RESULT_DIFFERS
    expected, stated = masked(d.expected_account), masked(d.stated_account)
    where = (f"the bank's statement {d.bank_document}, line {d.line}," if d.line else
             f"the bank's statement {d.bank_document}") if d.source == "statement" else \
        f"the bank's results for batch {d.bank_document}"
    held = f"held: {_fen(d.expected_amount_fen)} to {expected or 'no account'}" + (
        f" ({d.held_status})" if d.held_status else "")
    return Finding(
        rule=rule,
        dedup_key=f"{rule.name}:{_stated_in(d)}:{d.payment_id}:{d.kind}:"
                  f"{d.stated_amount_fen}:{stated}",
        reason=f"{where} states payment {d.payment_id} {_DESCRIBED.get(d.kind, d.kind)} "
               f"({d.kind}); {held}; stated: {_fen(d.stated_amount_fen)} to "
               f"{stated or 'no account'}",
        evidence=(d.message_id,), run_id=d.run_id, program_code=d.program_code,
        period=d.period, division_code=d.division_code,
        amount_fen=d.expected_amount_fen if d.expected_amount_fen is not None
        else d.stated_amount_fen,
        details={"source": d.source, "kind": d.kind, "payment_id": d.payment_id,
                 "line": d.line, "bank_document": d.bank_document,
                 "expected_amount_fen": d.expected_amount_fen,
                 "stated_amount_fen": d.stated_amount_fen,
                 "expected_account": expected, "stated_account": stated,
                 "held_status": d.held_status, "bank_reference": d.bank_reference,
                 "found_at": None if d.found_at is None else d.found_at.isoformat()})


DISPUTED_KINDS = ("amount_differs", "account_differs", "amount_and_account_differ")
"""The kinds of result line that hold up the payment they name until the bank corrects."""


@dataclass(frozen=True)
class OpenDispute:
    """An open `bank_result_differs` finding about a payment of a run, awaiting the bank's
    corrected answer."""

    finding_id: str
    payment_id: str
    found_at: datetime | None


@dataclass(frozen=True)
class Answer:
    """The bank's answer to a payment as oversight logged it: the chunk of the run that
    settled or refused it, and when disbursement says that chunk occurred."""

    payment_id: str
    outcome: str
    """`settled` or `failed`."""
    run_id: str
    chunk: int
    at: datetime | None


def latest_answers(answers: Iterable[Answer]) -> dict[str, Answer]:
    """Payment id → the bank's latest answer to it (an answer of unknown time is never the
    latest, unless it is the only one)."""
    found: dict[str, Answer] = {}
    for answer in answers:
        than = found.get(answer.payment_id)
        if than is None or (answer.at is not None
                            and (than.at is None or answer.at > than.at)):
            found[answer.payment_id] = answer
    return found


def closes_dispute(dispute: OpenDispute, answered_at: datetime | None) -> bool:
    """The payment answered at `answered_at` (its chunk's signed occurred-at) is the bank's
    corrected answer: given after the difference was found. An answer of unknown time, or
    of a dispute of unknown time, closes nothing (an auditor decides)."""
    return (answered_at is not None and dispute.found_at is not None
            and answered_at > dispute.found_at)


def dispute_closed(payment_id: str, outcome: str, chunk: int, run_id: str) -> str:
    """Why reconciliation dismisses the finding of a dispute the bank corrected."""
    answered = "settled" if outcome == "settled" else "refused"
    return (f"the bank answered payment {payment_id} again as instructed, and it was "
            f"{answered} in chunk {chunk} of run {run_id}: the result line that differed "
            f"was not applied and its correction replaces it")
