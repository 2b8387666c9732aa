"""What the oversight ingestion benchmark publishes: a county's everyday mixed stream of
small events (applications, reviews, grants, payee accounts, revocations, deaths,
complaints), and a province's payment run in chunks — each event signed as its producer
would sign it, and all of it clean, so oversight must raise nothing."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts import oversight_v1 as oversight
from siquan.contracts.base import Event
from siquan.contracts.public_security_v1 import DeathReported

PROGRAM, PERIOD, DIVISION, CATEGORY = "special_assistance", "2026-11", "420117", "death"
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
CLERK, REVIEWER, APPROVER = "clerk-420117-01", "reviewer-420117-01", "approver-420117-01"
DISBURSER = "disburser-420117-01"


def key_of(kind: str, n: int) -> str:
    """A person key (an HMAC in production: 64 hex characters, as random)."""
    return hashlib.sha256(f"{kind}:{n}".encode()).hexdigest()


def id_of(kind: str, n: int) -> str:
    return str(uuid.UUID(key_of(kind, n)[:32]))


def _person(n: int) -> Iterator[Event]:
    """A person's way to a certification: submitted, reviewed, granted, account."""
    person, application = key_of("mixed", n), id_of("application", n)
    yield eligibility.ApplicationSubmitted(
        application_id=application, program_code=PROGRAM, category=CATEGORY,
        person_key=person, masked_name="王*", division_code=DIVISION, submitted_by=CLERK,
        submitted_at=NOW)
    yield eligibility.ApplicationReviewed(
        application_id=application, program_code=PROGRAM, person_key=person,
        division_code=DIVISION, outcome="approved", reviewed_by=REVIEWER, reviewed_at=NOW)
    yield eligibility.CertificationGranted(
        certification_id=id_of("certification", n), application_id=application,
        program_code=PROGRAM, category=CATEGORY, policy_version="bench", person_key=person,
        masked_name="王*", masked_resident_id="4201**********0011", division_code=DIVISION,
        effective_from=date(2026, 1, 1), reviewed_by=REVIEWER, approved_by=APPROVER,
        approved_at=NOW)
    yield disbursement.PayeeAccountRegistered(
        person_key=person, bank_code="ABC", masked_account="****1234",
        registered_by=DISBURSER, registered_at=NOW, replaces_previous=False,
        division_code=DIVISION)


def _now_and_then(n: int) -> Event:
    """What else a county's day brings: a revocation, a death, a complaint."""
    person = key_of("mixed", n)
    kind = n % 3
    if kind == 0:
        return eligibility.CertificationRevoked(
            certification_id=id_of("certification", n), program_code=PROGRAM,
            person_key=person, division_code=DIVISION, effective_from=date(2027, 1, 1),
            reason="moved away", revoked_by=APPROVER)
    if kind == 1:
        return DeathReported(report_id=f"PS-{n}", person_key=key_of("elsewhere", n),
                             date_of_death=date(2026, 12, 20))
    return oversight.ComplaintFiled(
        complaint_id=id_of("complaint", n), tracking_number=f"TS-2026-{n:016d}",
        category="officer_misconduct", division_code=DIVISION, filed_at=NOW)


def mixed(count: int) -> Iterator[Event]:
    """`count` events: people certified, and every sixth event something else."""
    made, n = 0, 0
    while made < count:
        for event in (*_person(n), *_person(n + 1), _now_and_then(n)):
            if made == count:
                return
            yield event
            made += 1
        n += 2


def payment_ids(run: int) -> Iterator[str]:
    """Time-ordered ids, as disbursement makes them: a prefix per run and a counter."""
    prefix = id_of("run-prefix", run)[:24]
    n = 0
    while True:
        n += 1
        yield f"{prefix}{n:012x}"


def payment_run(payments: int, size: int, amount: int) -> Iterable[Event]:
    """A run: started, funded, `payments` settled in chunks of `size`, completed, settled."""
    run = {"run_id": id_of("run", payments), "program_code": PROGRAM, "period": PERIOD,
           "division_code": DIVISION}
    total = payments * amount
    yield disbursement.PaymentRunStarted(payee_count=payments, total_fen=total, skipped=(),
                                         started_by=DISBURSER, **run)
    yield disbursement.AllocationRequested(fiscal_year=2026, payee_count=payments,
                                           total_fen=total, **run)
    yield fund_custody.AllocationApproved(allocation_id=id_of("allocation", payments),
                                          amount_fen=total, available_fen=0, **run)
    ids = payment_ids(payments)
    for chunk, start in enumerate(range(0, payments, size)):
        yield disbursement.PaymentsSettled(chunk=chunk, payments=tuple(
            disbursement.SettledPayment(
                payment_id=next(ids), person_key=key_of("payee", n),
                certification_id=id_of("payee-certification", n), item="benefit",
                amount_fen=amount, bank_reference=f"B{n:09d}")
            for n in range(start, min(start + size, payments))), **run)
    yield disbursement.PaymentRunCompleted(payee_count=payments, total_fen=total,
                                           settled_count=payments, settled_fen=total,
                                           failed_count=0, failed_fen=0, **run)
    yield fund_custody.SettlementCompleted(reserved_fen=total, paid_fen=total, released_fen=0,
                                           available_fen=0, **run)


def run_certifications(payments: int) -> Iterator[tuple[object, ...]]:
    """The run's certifications as oversight's rules keep them (granted long before)."""
    for n in range(payments):
        yield (id_of("payee-certification", n), None, key_of("payee", n), PROGRAM, CATEGORY,
               DIVISION, date(2026, 1, 1), REVIEWER, APPROVER, NOW, uuid.uuid4())
